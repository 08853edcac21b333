"""Neural networks on autograd Values: modules, losses, SGD, mini-batches, fit, save/load.

``import nn`` stays light: matplotlib (``History.plot``) and tqdm (``fit(progress=True)``)
are imported only when used.
"""

from __future__ import annotations

from . import losses
from .data import batches, num_batches
from .modules import ACTIVATIONS, MLP, Layer, Module, Neuron
from .optim import SGD
from .serialize import load, save
from .train import History, NonFiniteLossError, fit

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ACTIVATIONS",
    "losses",
    "SGD",
    "batches",
    "num_batches",
    "fit",
    "History",
    "NonFiniteLossError",
    "save",
    "load",
]
