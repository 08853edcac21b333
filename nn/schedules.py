"""Learning-rate schedules: the rate as a function of the update count, as torch's schedulers.

A schedule is a callable ``schedule(update) -> float``, the update counted from 0, which
``fit(lr=schedule)`` and every optimizer accept in place of a number.  ``schedule(k)`` is the
rate that torch.optim.lr_scheduler's class of the same name sets after ``k`` calls of
``scheduler.step()``, i.e. the rate of the (k + 1)-th optimizer step.  torch updates the rate
step by step; these are its closed forms, so the two agree to float rounding.
"""

from __future__ import annotations

import math

from autograd.checks import brief, integer, real

__all__ = ["Schedule", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"]

# gamma ** n leaves the float range near e ** 709.8, where Python raises OverflowError;
# a rate grown by e ** 700 (about 1e304) is refused before that, with a clear message.
_LARGEST_GROWTH = 700.0


class Schedule:
    """The base of the schedules: checks the update count, then asks ``_rate`` for the rate."""

    def __call__(self, update: int) -> float:
        """The learning rate of update ``update`` (counted from 0)."""
        return self._rate(integer(update, type(self).__name__, "update", 0))

    def _rate(self, update: int) -> float:
        raise NotImplementedError(f"{type(self).__name__}: _rate is not implemented")

    def __repr__(self) -> str:
        # A schedule keeps exactly its constructor's arguments, in order.
        settings = ", ".join(f"{name}={value}" for name, value in vars(self).items())
        return f"{type(self).__name__}({settings})"


class StepLR(Schedule):
    """``lr * gamma ** (update // step_size)``: times ``gamma`` every ``step_size`` updates."""

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        self.lr = real(lr, "StepLR", "lr", minimum=0)
        self.step_size = integer(step_size, "StepLR", "step_size", 1)
        self.gamma = real(gamma, "StepLR", "gamma", minimum=0)

    def _rate(self, update: int) -> float:
        return self.lr * _power(self.gamma, update // self.step_size, "StepLR", update)


class ExponentialLR(Schedule):
    """``lr * gamma ** update``: times ``gamma`` after every update."""

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = real(lr, "ExponentialLR", "lr", minimum=0)
        self.gamma = real(gamma, "ExponentialLR", "gamma", minimum=0)

    def _rate(self, update: int) -> float:
        return self.lr * _power(self.gamma, update, "ExponentialLR", update)


class CosineAnnealingLR(Schedule):
    """``eta_min + (lr - eta_min) * (1 + cos(pi * update / T_max)) / 2``.

    From ``lr`` down to ``eta_min`` at update ``T_max`` along half a cosine.  As in torch,
    the cosine goes on after ``T_max`` (the rate rises again, back to ``lr`` at
    ``2 * T_max``): stop training at ``T_max`` updates for a plain annealing.
    """

    def __init__(self, lr: float, T_max: int, eta_min: float = 0.0) -> None:
        self.lr = real(lr, "CosineAnnealingLR", "lr", minimum=0)
        self.T_max = integer(T_max, "CosineAnnealingLR", "T_max", 1)
        self.eta_min = real(eta_min, "CosineAnnealingLR", "eta_min", minimum=0)

    def _rate(self, update: int) -> float:
        cosine = math.cos(math.pi * update / self.T_max)
        return self.eta_min + (self.lr - self.eta_min) * (1 + cosine) / 2


class LinearLR(Schedule):
    """Linear warm-up: ``lr`` times a factor going linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` updates, then ``lr * end_factor`` for good.

    As torch's LinearLR: ``start_factor`` is in (0, 1] and ``end_factor`` in [0, 1].
    """

    def __init__(
        self,
        lr: float,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.lr = real(lr, "LinearLR", "lr", minimum=0)
        self.start_factor = _factor(start_factor, "start_factor", positive=True)
        self.end_factor = _factor(end_factor, "end_factor", positive=False)
        self.total_iters = integer(total_iters, "LinearLR", "total_iters", 1)

    def _rate(self, update: int) -> float:
        progress = min(self.total_iters, update)
        change = self.end_factor - self.start_factor
        return self.lr * (self.start_factor + change * progress / self.total_iters)


def _power(gamma: float, n: int, who: str, update: int) -> float:
    """``gamma ** n``, refused with a ValueError well before it would overflow."""
    if gamma > 1 and n * math.log(gamma) > _LARGEST_GROWTH:
        raise ValueError(
            f"{who}: at update {update} the rate would have grown by gamma ** {n} = "
            f"{gamma!r} ** {n}, beyond 1e304; use a gamma <= 1 or fewer updates"
        )
    return gamma**n


def _factor(value: object, what: str, *, positive: bool) -> float:
    """A LinearLR factor: in [0, 1], or (0, 1] if ``positive``."""
    factor = real(value, "LinearLR", what, minimum=0, positive=positive)
    if factor > 1:
        raise ValueError(f"LinearLR: {what} must be at most 1, got {brief(value)}")
    return factor
