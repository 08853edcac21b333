"""Compare backpropagated gradients with central finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .backprop import grad
from .checks import real
from .engine import Value
from .grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Backpropagation and finite differences disagree; the attributes name the worst input."""

    def __init__(
        self,
        index: int,
        point: list[float],
        analytic: float,
        numeric: float,
        tolerance: float,
    ) -> None:
        self.index = index
        self.point = point
        self.analytic = analytic
        self.numeric = numeric
        self.abs_error = abs(analytic - numeric)
        self.rel_error = self.abs_error / abs(numeric) if numeric != 0 else math.inf
        self.tolerance = tolerance
        super().__init__(
            f"gradcheck: gradients disagree for input {index} at point {point}: "
            f"analytic {analytic!r}, numeric {numeric!r}, absolute error {self.abs_error:.3g}, "
            f"relative error {self.rel_error:.3g}, tolerance {tolerance:.3g} "
            "(atol + rtol * |numeric|)"
        )


def _evaluate(f: Callable[..., Value], point: Sequence[float]) -> float:
    with no_grad():
        out = f(*[Value(x) for x in point])
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out.data


def numeric_gradient(
    f: Callable[..., Value], point: Sequence[float], eps: float = 1e-6
) -> list[float]:
    """Central differences (f(x + eps) - f(x - eps)) / (2 eps) for each input, in float64."""
    eps = real(eps, "numeric_gradient", "eps", positive=True)
    point = [real(x, "numeric_gradient", "point", finite=False) for x in point]
    result = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += eps
        down[i] -= eps
        result.append((_evaluate(f, up) - _evaluate(f, down)) / (2 * eps))
    return result


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """True when backprop matches central differences for every input of ``f`` at ``inputs``.

    ``f`` takes ``len(inputs)`` Values and returns a Value.  Input i passes when
    |analytic - numeric| <= atol + rtol * |numeric| (the defaults are PyTorch's).  Otherwise
    raise ``GradcheckError`` naming the worst input, or return False if ``raise_exception``
    is false.
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {type(f).__name__}")
    point = [real(x, "gradcheck", "inputs", finite=False) for x in inputs]
    eps = real(eps, "gradcheck", "eps", positive=True)
    atol = real(atol, "gradcheck", "atol", minimum=0.0)
    rtol = real(rtol, "gradcheck", "rtol", minimum=0.0)
    values = [Value(x) for x in point]
    with enable_grad():  # the analytic side needs the graph, even inside no_grad
        out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    analytic = grad(out, values)
    numeric = numeric_gradient(f, point, eps)

    worst: tuple[float, int, float] | None = None  # (error / tolerance, index, tolerance)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        tolerance = atol + rtol * abs(n)
        error = abs(a - n)
        ratio = error / tolerance if tolerance > 0 else (0.0 if error == 0 else math.inf)
        if not (math.isfinite(a) and math.isfinite(n)):
            ratio = math.inf
        if ratio > 1 and (worst is None or ratio > worst[0]):
            worst = (ratio, i, tolerance)
    if worst is None:
        return True
    if not raise_exception:
        return False
    _, i, tolerance = worst
    raise GradcheckError(i, point, analytic[i], numeric[i], tolerance)
