"""Runnable lessons: each idea of the lecture as a demo that runs in seconds and saves pictures.

``python -m demos`` lists them; ``python -m demos NAME --help`` shows one demo's options.
From Python, every demo module has ``run(out_dir, seed=0, quick=False, ...)`` which returns a
dataclass with the numbers it found and the paths of the files it wrote, ``report(result)``
which words them, and ``REQUIRES``, the optional packages it imports (``python -m demos``
checks them before it starts).  Importing ``demos`` is cheap: a demo module (and
matplotlib) is only imported when it is used.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["DEMOS", "load"]

# In the lecture's order.  One line each: what the demo shows.
DEMOS: dict[str, str] = {
    "losses": "MAE, MSE and their slopes; cross-entropy is smallest when ŷ = y",
    "gradient_descent": "one weight w, a loss with two minima: starts, learning rates, stop rules",
    "error_surface": "two parameters (w, b): the loss surface and gradient descent's paths on it",
    "model_bias": "a line cannot draw the red curve; sums of hard sigmoids, sigmoids, ReLUs can",
    "batches": "N = 10000 examples in batches of 1, 10, 100, 10000: updates per epoch",
    "deep": "a deep MLP learns two moons (or spirals, circles) by mini-batch SGD",
    "digits": "real data: an MLP reads scikit-learn's handwritten digits; its mistakes, drawn",
    "backprop": "a neuron's graph before and after backward(), checked by finite differences",
    "scale_out": "the same MLP in PyTorch, trained on 2 processes (DDP): the same loss curve",
}


def load(name: str) -> ModuleType:
    """Import and return the module of the demo called ``name``."""
    if name not in DEMOS:
        known = ", ".join(DEMOS)
        raise ValueError(f"unknown demo {name!r}; the demos are: {known}")
    return importlib.import_module(f"{__name__}.{name}")
