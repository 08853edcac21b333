"""The primitive table: every differentiable operation, its forward rule and its derivative.

Each derivative rule is written once and serves two callers:

* plain backpropagation passes floats (``g``, the output's data, the operands' data) and gets
  floats back;
* ``grad(..., create_graph=True)`` passes Values and gets Values back, so the derivative is
  itself a graph that can be differentiated again.

That is why the rules use only arithmetic operators and the ``_exp``/``_log``/... helpers
below, which work on both floats and Values.  A rule returns one gradient per operand, or
``None`` where the derivative is undefined or infinite (the engine raises if such an operand
actually needs a gradient, and ignores it for constants).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Number = Any  # a float on the plain path, a Value on the create_graph path

INF = math.inf


def _data(x: Number) -> float:
    """Return the float behind a float or a Value (for branching on kinks)."""
    return x if type(x) is float else x.data


def _exp(x: Number) -> Number:
    return math.exp(x) if type(x) is float else x.exp()


def _log(x: Number) -> Number:
    return math.log(x) if type(x) is float else x.log()


def _sin(x: Number) -> Number:
    return math.sin(x) if type(x) is float else x.sin()


def _cos(x: Number) -> Number:
    return math.cos(x) if type(x) is float else x.cos()


def _overflow(op: str, x: float) -> OverflowError:
    return OverflowError(f"{op}: the result overflows a float for operand {x!r}")


@dataclass(frozen=True)
class Primitive:
    """One differentiable operation: forward on floats, derivative on floats or Values.

    ``arity`` is the number of operands, or ``None`` for the n-ary ``sum`` and ``dot``.
    ``domain`` is the open interval of each operand where the derivative exists (for
    n-ary ops, of every operand); ``kinks`` are points inside it where the derivative jumps
    and a subgradient is used instead.
    """

    name: str
    arity: int | None
    forward: Callable[..., float]
    derivative: Callable[..., tuple[Any, ...]]
    domain: tuple[tuple[float, float], ...]
    kinks: tuple[float, ...] = ()
    operand_names: tuple[str, ...] = ()
    symbol: str = ""  # how ``Value.op`` shows it, micrograd-style ("+" for add); else the name

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"

    @property
    def display(self) -> str:
        """The symbol shown as ``Value.op``: "+", "*", "**", or the name."""
        return self.symbol or self.name


# --- binary -----------------------------------------------------------------------------


def _add(a: float, b: float) -> float:
    return a + b


def _add_derivative(g: Number, out: Number, a: Number, b: Number) -> tuple[Any, ...]:
    return g, g


def _mul(a: float, b: float) -> float:
    return a * b


def _mul_derivative(g: Number, out: Number, a: Number, b: Number) -> tuple[Any, ...]:
    return g * b, g * a


def _pow(a: float, b: float) -> float:
    if a < 0 and not b.is_integer():
        raise ValueError(
            f"pow: a negative base ({a!r}) to a non-integer power ({b!r}) has no real value"
        )
    if a == 0 and b < 0:
        raise ZeroDivisionError(f"pow: zero base to a negative power ({b!r})")
    try:
        return float(a**b)
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {b!r} overflows a float") from None


def _pow_derivative(g: Number, out: Number, a: Number, b: Number) -> tuple[Any, ...]:
    base, exponent = _data(a), _data(b)
    d_base: Any
    if exponent == 0 and base == 0:
        d_base = 0.0  # 0 ** 0: PyTorch's convention (elsewhere the rule below gives 0 too,
        # and under create_graph keeps its dependence on b for d²/da db = 1/a at b = 0)
    elif base == 0 and exponent < 1:
        d_base = None  # infinite slope at 0, e.g. sqrt
    else:
        d_base = g * b * a ** (b - 1)
    d_exponent: Any
    if base > 0:
        d_exponent = g * out * _log(a)
    elif base == 0 and exponent >= 0:
        d_exponent = 0.0  # PyTorch's convention (0 ** b is 0 for every b > 0)
    else:
        d_exponent = None  # b -> a ** b has no real derivative for a < 0
    return d_base, d_exponent


# --- unary ------------------------------------------------------------------------------


def _exp_forward(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise _overflow("exp", a) from None


def _exp_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (g * out,)


def _log_forward(a: float) -> float:
    if a <= 0:
        raise ValueError(f"log: the operand must be > 0, got {a!r}")
    return math.log(a)


def _log_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (g / a,)


def _sqrt_forward(a: float) -> float:
    if a < 0:
        raise ValueError(f"sqrt: the operand must be >= 0, got {a!r}")
    return math.sqrt(a)


def _sqrt_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    if _data(out) == 0:
        return (None,)  # infinite slope at 0
    return (g / (2 * out),)


def _sin_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (g * _cos(a),)


def _cos_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (-g * _sin(a),)


def _tanh_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (g * (1 - out * out),)


def _sigmoid_forward(a: float) -> float:
    # Two branches so that exp never sees a large positive argument.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _sigmoid_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (g * out * (1 - out),)


def _relu_forward(a: float) -> float:
    return a if a > 0 else 0.0


def _relu_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (g * (1.0 if _data(a) > 0 else 0.0),)  # relu'(0) = 0, as PyTorch


def _abs_forward(a: float) -> float:
    return abs(a)


def _abs_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    x = _data(a)
    return (g * (1.0 if x > 0 else -1.0 if x < 0 else 0.0),)  # abs'(0) = 0, as PyTorch


def _hard_sigmoid_forward(a: float) -> float:
    # PyTorch's evaluation order, so results agree to the last bit.
    return min(max(a + 3.0, 0.0), 6.0) / 6.0


def _hard_sigmoid_derivative(g: Number, out: Number, a: Number) -> tuple[Any, ...]:
    return (g * (1.0 / 6.0 if -3.0 < _data(a) < 3.0 else 0.0),)


# --- n-ary ------------------------------------------------------------------------------


def _fsum(op: str, terms: Iterable[float]) -> float:
    # fsum rounds once (exact otherwise), but raises where a plain sum would give inf/NaN.
    try:
        return math.fsum(terms)
    except OverflowError:
        raise OverflowError(f"{op}: the result overflows a float") from None
    except ValueError:
        raise ValueError(f"{op}: the terms include both inf and -inf") from None


def _sum_forward(*xs: float) -> float:
    return _fsum("sum", xs)


def _sum_derivative(g: Number, out: Number, *xs: Number) -> tuple[Any, ...]:
    return (g,) * len(xs)


def _dot_forward(*ws_then_xs: float) -> float:
    n = len(ws_then_xs) // 2
    return _fsum("dot", [w * x for w, x in zip(ws_then_xs[:n], ws_then_xs[n:])])


def _dot_derivative(g: Number, out: Number, *ws_then_xs: Number) -> tuple[Any, ...]:
    n = len(ws_then_xs) // 2
    ws, xs = ws_then_xs[:n], ws_then_xs[n:]
    return tuple(g * x for x in xs) + tuple(g * w for w in ws)


REAL = (-INF, INF)
POSITIVE = (0.0, INF)

ADD = Primitive("add", 2, _add, _add_derivative, (REAL, REAL), symbol="+")
MUL = Primitive("mul", 2, _mul, _mul_derivative, (REAL, REAL), symbol="*")
POW = Primitive(
    "pow",
    2,
    _pow,
    _pow_derivative,
    (POSITIVE, REAL),
    operand_names=("base", "exponent"),
    symbol="**",
)
EXP = Primitive("exp", 1, _exp_forward, _exp_derivative, (REAL,))
LOG = Primitive("log", 1, _log_forward, _log_derivative, (POSITIVE,))
SQRT = Primitive("sqrt", 1, _sqrt_forward, _sqrt_derivative, (POSITIVE,))
SIN = Primitive("sin", 1, math.sin, _sin_derivative, (REAL,))
COS = Primitive("cos", 1, math.cos, _cos_derivative, (REAL,))
TANH = Primitive("tanh", 1, math.tanh, _tanh_derivative, (REAL,))
SIGMOID = Primitive("sigmoid", 1, _sigmoid_forward, _sigmoid_derivative, (REAL,))
RELU = Primitive("relu", 1, _relu_forward, _relu_derivative, (REAL,), kinks=(0.0,))
ABS = Primitive("abs", 1, _abs_forward, _abs_derivative, (REAL,), kinks=(0.0,))
HARD_SIGMOID = Primitive(
    "hard_sigmoid",
    1,
    _hard_sigmoid_forward,
    _hard_sigmoid_derivative,
    (REAL,),
    kinks=(-3.0, 3.0),
)
SUM = Primitive("sum", None, _sum_forward, _sum_derivative, (REAL,))
DOT = Primitive("dot", None, _dot_forward, _dot_derivative, (REAL,))

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (
        ADD,
        MUL,
        POW,
        EXP,
        LOG,
        SQRT,
        SIN,
        COS,
        TANH,
        SIGMOID,
        RELU,
        ABS,
        HARD_SIGMOID,
        SUM,
        DOT,
    )
}
"""Every primitive by name: the complete set of operations the engine differentiates."""
