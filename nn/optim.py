"""Optimizers: each update rule written once, on arrays, for eager and compiled training alike.

An optimizer holds a list of parameters (leaf Values).  Its rule, ``_update``, maps the
parameters' data and gradients, as flat numpy float64 arrays in the order of ``params``, to
their new data; any state (a momentum buffer) lives in arrays of the same layout.  Two
callers use that one rule:

* ``step()``, the eager path: it gathers ``p.data`` and ``p.grad`` from the Values, applies
  the rule and writes the new data back;
* ``step_arrays(data, grad)``, for training that keeps the parameters in arrays for a whole
  run (``fit(compiled=True)``): it updates ``data`` in place.

Elementwise numpy arithmetic rounds exactly as Python floats do, so both give the same bits.
A step that would make any parameter (or any entry of the state) inf or NaN is refused with
``NonFiniteStepError``, and the parameters and the optimizer's state are left as they were.
numpy is imported on the first step, so ``import nn`` stays light.

The rules are torch.optim's: SGD, Adam and AdamW follow its single-tensor (``foreach=False``)
code operation by operation, so trajectories agree with PyTorch's to float rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autograd import Value
from autograd.checks import brief, real

if TYPE_CHECKING:
    import numpy as np

    Array = np.ndarray[Any, np.dtype[np.float64]]

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "LearningRate", "NonFiniteStepError"]

LearningRate = float | Callable[[int], float]
"""A learning rate: a number, or a schedule mapping the update count (from 0) to a number."""


class NonFiniteStepError(FloatingPointError, ValueError):
    """An optimizer step would have made a parameter (or its state) inf or NaN; nothing changed.

    A FloatingPointError, and also a ValueError, as ``nn.NonFiniteLossError``.
    """


class Optimizer:
    """The base of the optimizers: parameters, learning rate, ``step`` and ``zero_grad``.

    A subclass defines ``_update(data, grad, lr) -> (new_data, new_state)`` on arrays; it
    reads its state from ``self.state`` (a dict of arrays, empty before the first step) and
    must not change its arguments: the base class commits the result only if it is finite
    (the new data and every array of the new state).  A subclass checks its own settings
    before it calls ``Optimizer.__init__``, which marks the parameters as such last, so a
    rejected call marks nothing.
    """

    _settings: tuple[str, ...] = ()  # a subclass's own settings, which the repr shows after lr

    def __init__(self, params: Iterable[Value], lr: LearningRate) -> None:
        name = type(self).__name__
        self.params = list(params)
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: params[{i}] must be a Value, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: params[{i}] ({p!r}) is the result of an operation, not a leaf; "
                    "only leaves can be trained"
                )
            if id(p) in seen:  # it would be stepped twice per update
                raise ValueError(f"{name}: params[{i}] appears more than once")
            seen.add(id(p))
        if not callable(lr):
            real(lr, name, "lr", minimum=0)
        self.lr = lr
        self.updates = 0
        self.state: dict[str, Array] = {}
        for p in self.params:  # trainable: drawings style it as a parameter
            p.is_parameter = True

    def current_lr(self) -> float:
        """The learning rate the next ``step`` will use."""
        if callable(self.lr):
            what = f"lr schedule at update {self.updates}"
            return real(self.lr(self.updates), type(self).__name__, what, minimum=0)
        return float(self.lr)

    def step(self) -> None:
        """Move every parameter once, by the rule, from its ``.grad``."""
        import numpy as np

        data = np.array([p.data for p in self.params], dtype=np.float64)
        grad = np.array([p.grad for p in self.params], dtype=np.float64)
        self.step_arrays(data, grad)
        for p, x in zip(self.params, data.tolist()):
            p.data = x

    def step_arrays(self, data: Array, grad: Array) -> None:
        """One step on the parameters' data and gradients as arrays; ``data`` changes in place."""
        import numpy as np

        name = type(self).__name__
        shape = (len(self.params),)
        if data.shape != shape or grad.shape != shape:
            raise ValueError(
                f"{name}: step_arrays needs data and grad of shape {shape} (one entry per "
                f"parameter), got {data.shape} and {grad.shape}"
            )
        lr = self.current_lr()
        # numpy's overflow and 0/0 warnings would only repeat the error raised below.
        with np.errstate(all="ignore"):
            new_data, new_state = self._update(data, grad, lr)
        results = [("parameter", new_data)]
        results += [(f"its {key} of parameter", array) for key, array in new_state.items()]
        for where, array in results:
            bad = np.flatnonzero(~np.isfinite(array))
            if bad.size:
                i = int(bad[0])
                raise NonFiniteStepError(
                    f"{name}: update {self.updates + 1} would make {where} {i} "
                    f"({self.params[i]!r}) {float(array[i])!r} (its gradient is "
                    f"{float(grad[i])!r}); nothing was changed: try a smaller learning rate"
                )
        data[...] = new_data
        self.state = new_state
        self.updates += 1

    def _update(self, data: Array, grad: Array, lr: float) -> tuple[Array, dict[str, Array]]:
        """The new data and state after one step (a subclass's rule)."""
        raise NotImplementedError(f"{type(self).__name__}: _update is not implemented")

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (``backward`` accumulates into it)."""
        for p in self.params:
            p.grad = 0.0

    def __repr__(self) -> str:
        settings = "".join(f", {name}={getattr(self, name)!r}" for name in self._settings)
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r}{settings})"


class SGD(Optimizer):
    """Gradient descent on ``params``: for each p, with g = p.grad + weight_decay * p,

    ``buf = g`` on the first step, else ``momentum * buf + g``; then ``p -= lr * buf``
    (without momentum, ``p -= lr * g``).  This is torch.optim.SGD with dampening 0 and
    nesterov False.  ``lr`` is a number or a callable of the update count (0, 1, 2, ...).
    Every parameter must be a leaf Value; ``SGD`` marks each ``is_parameter = True``.
    """

    _settings = ("momentum", "weight_decay")

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        self.momentum = real(momentum, "SGD", "momentum", minimum=0)
        self.weight_decay = real(weight_decay, "SGD", "weight_decay", minimum=0)
        super().__init__(params, lr)

    def _update(self, data: Array, grad: Array, lr: float) -> tuple[Array, dict[str, Array]]:
        """torch.optim.SGD's rule."""
        g = grad + self.weight_decay * data
        if self.momentum == 0.0:
            return data - lr * g, {}
        previous = self.state.get("momentum_buffer")
        buffer = g if previous is None else self.momentum * previous + g
        return data - lr * buffer, {"momentum_buffer": buffer}


class Adam(Optimizer):
    """Adam (Kingma and Ba), as torch.optim.Adam: per parameter, with t the update (from 1),

    ``g = p.grad + weight_decay * p``; ``m = lerp(m, g, 1 - beta1)``;
    ``v = beta2 * v + (1 - beta2) * g * g``; then
    ``p -= lr / (1 - beta1 ** t) * m / (sqrt(v) / sqrt(1 - beta2 ** t) + eps)``, with m and v
    starting at 0.  ``AdamW`` decays the weights instead of adding to the gradient.
    ``betas`` are two numbers in [0, 1); ``lr``, ``eps`` and ``weight_decay`` are >= 0.
    """

    _settings = ("betas", "eps", "weight_decay")
    _decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        name = type(self).__name__
        self.betas = _betas(betas, name)
        self.eps = real(eps, name, "eps", minimum=0)
        self.weight_decay = real(weight_decay, name, "weight_decay", minimum=0)
        super().__init__(params, lr)

    def _update(self, data: Array, grad: Array, lr: float) -> tuple[Array, dict[str, Array]]:
        """torch.optim.Adam's single-tensor rule, in its order of operations."""
        import numpy as np

        beta1, beta2 = self.betas
        t = self.updates + 1
        if self.weight_decay != 0:
            if self._decoupled_weight_decay:
                data = data * (1 - lr * self.weight_decay)
            else:
                grad = grad + self.weight_decay * data
        zeros = np.zeros_like(data)
        m = _lerp(self.state.get("exp_avg", zeros), grad, 1 - beta1)
        v = self.state.get("exp_avg_sq", zeros) * beta2 + (1 - beta2) * grad * grad
        step_size = lr / (1 - beta1**t)
        # ** 0.5, not math.sqrt: torch's expression, which may round differently.
        denominator = np.sqrt(v) / (1 - beta2**t) ** 0.5 + self.eps
        return data + (-step_size * m) / denominator, {"exp_avg": m, "exp_avg_sq": v}


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter), as torch.optim.AdamW: Adam with decoupled weight decay.

    Each step first shrinks every parameter, ``p *= 1 - lr * weight_decay``, then takes
    Adam's step from the plain gradient.  ``weight_decay`` defaults to 1e-2, as in PyTorch.
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


def _betas(betas: object, who: str) -> tuple[float, float]:
    """Adam's ``betas``: two numbers in [0, 1)."""
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise TypeError(f"{who}: betas must be a pair of numbers, got {brief(betas)}")
    checked = []
    for i, beta in enumerate(betas):
        b = real(beta, who, f"betas[{i}]", minimum=0)
        if not b < 1:  # beta ** t would never decay, and 1 - beta ** t would be 0
            raise ValueError(f"{who}: betas[{i}] must be < 1, got {brief(beta)}")
        checked.append(b)
    return checked[0], checked[1]


def _lerp(start: Array, end: Array, weight: float) -> Array:
    """``start + weight * (end - start)``, evaluated as torch.lerp does (from the nearer end)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)
