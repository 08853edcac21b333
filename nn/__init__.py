"""Neural networks on autograd Values: modules, losses, optimizers, schedules, evaluation,
mini-batches, fit, save/load, and a bridge to PyTorch.

``import nn`` stays light: numpy (optimizer steps, ``predict(compiled=True)``), matplotlib
(``History.plot``), tqdm (``fit(progress=True)``) and torch (``to_torch``, ``from_torch``)
are imported only when used.
"""

from __future__ import annotations

from . import losses
from .bridge import from_torch, to_torch
from .data import batches, num_batches
from .evaluate import Predictor, accuracy, predict
from .modules import ACTIVATIONS, MLP, Layer, Module, Neuron
from .optim import SGD, Adam, AdamW, NonFiniteStepError, Optimizer
from .schedules import CosineAnnealingLR, ExponentialLR, LinearLR, Schedule, StepLR
from .serialize import load, save
from .train import History, NonFiniteLossError, fit

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ACTIVATIONS",
    "losses",
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "NonFiniteStepError",
    "Schedule",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "batches",
    "num_batches",
    "fit",
    "History",
    "NonFiniteLossError",
    "predict",
    "Predictor",
    "accuracy",
    "to_torch",
    "from_torch",
    "save",
    "load",
]
