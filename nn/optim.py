"""Stochastic gradient descent with torch.optim.SGD's update rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from autograd import Value
from autograd.checks import real

__all__ = ["SGD", "LearningRate"]

LearningRate = float | Callable[[int], float]
"""A learning rate: a number, or a schedule mapping the update count (from 0) to a number."""


class SGD:
    """Gradient descent on ``params``: for each p, with g = p.grad + weight_decay * p,

    ``buf = g`` on the first step, else ``momentum * buf + g``; then ``p -= lr * buf``
    (without momentum, ``p -= lr * g``).  This is torch.optim.SGD with dampening 0 and
    nesterov False.  ``lr`` is a number or a callable of the update count (0, 1, 2, ...).
    Every parameter must be a leaf Value; ``SGD`` marks each ``is_parameter = True``.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = list(params)
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"SGD: params[{i}] must be a Value, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"SGD: params[{i}] ({p!r}) is the result of an operation, not a leaf; "
                    "only leaves can be trained"
                )
            if id(p) in seen:
                # A repeated parameter would be stepped twice per update.
                raise ValueError(f"SGD: params[{i}] appears more than once")
            seen.add(id(p))
        if not callable(lr):
            real(lr, "SGD", "lr", minimum=0)
        self.lr = lr
        self.momentum = real(momentum, "SGD", "momentum", minimum=0)
        self.weight_decay = real(weight_decay, "SGD", "weight_decay", minimum=0)
        self.updates = 0
        self._buffers: list[float] | None = None
        for p in self.params:
            # A Value handed to an optimizer is trainable: drawings style it as a parameter.
            # Done last, so a rejected call marks nothing.
            p.is_parameter = True

    def current_lr(self) -> float:
        """The learning rate the next ``step`` will use."""
        if callable(self.lr):
            return real(
                self.lr(self.updates), "SGD", f"lr schedule at update {self.updates}", minimum=0
            )
        return float(self.lr)

    def step(self) -> None:
        """Move every parameter against its gradient once."""
        lr = self.current_lr()
        grads = [p.grad + self.weight_decay * p.data for p in self.params]
        if self.momentum != 0.0:
            if self._buffers is None:
                self._buffers = grads
            else:
                self._buffers = [self.momentum * buf + g for buf, g in zip(self._buffers, grads)]
            grads = self._buffers
        for p, g in zip(self.params, grads):
            p.data -= lr * g
        self.updates += 1

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (``backward`` accumulates into it)."""
        for p in self.params:
            p.grad = 0.0

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr!r}, momentum={self.momentum}, "
            f"weight_decay={self.weight_decay})"
        )
