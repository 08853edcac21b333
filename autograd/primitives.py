"""The primitive table: every differentiable operation, its forward rule and its local derivative.

Each primitive is a forward rule on floats and, right beside it, its *partials*: the local
derivative of the output with respect to each operand, ``partials(out, *operands)``.  The same
partials rule serves two callers:

* the eager engine calls it on floats when it records an operation, and stores the numbers
  in the new node, so backpropagation is only multiply-and-add (no rule lookup per node);
* ``grad(..., create_graph=True)`` calls it on Values, so the derivative is itself a graph
  that can be differentiated again.

That is why the rules use only arithmetic operators and the ``_exp``/``_log``/... helpers
below, which work on both floats and Values.  A rule returns one partial per operand, or
``None`` where the derivative is undefined or infinite (the engine raises if such an operand
actually needs a gradient, and ignores it for constants).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
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


@dataclass(frozen=True, slots=True)
class Primitive:
    """One differentiable operation: forward on floats, partials on floats or Values.

    ``arity`` is the number of operands, or ``None`` for the n-ary ``sum`` and ``dot``.
    ``domain`` is the open interval of each operand where the derivative exists (for
    n-ary ops, of every operand); ``kinks`` are points inside it where the derivative jumps
    and a subgradient is used instead.
    """

    name: str
    arity: int | None
    forward: Callable[..., float]
    partials: Callable[..., tuple[Any, ...]]
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

_ONE_ONE = (1.0, 1.0)
_ONE = (1.0,)
_ZERO = (0.0,)
_SIXTH = (1.0 / 6.0,)
_MINUS_ONE = (-1.0,)


def _add_partials(out: Number, a: Number, b: Number) -> tuple[Any, ...]:
    return _ONE_ONE


def _mul_partials(out: Number, a: Number, b: Number) -> tuple[Any, ...]:
    return b, a


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


def _infinite_slope(base: float, exponent: float) -> float:
    """b * a ** (b - 1) beyond the float range: inf with its sign, as float arithmetic gives."""
    power_sign = 1.0 if base > 0 or (exponent - 1) % 2 == 0 else -1.0
    return math.copysign(INF, exponent) * power_sign


def _pow_partials(out: Number, a: Number, b: Number) -> tuple[Any, ...]:
    base, exponent = _data(a), _data(b)
    d_base: Any
    if exponent == 0 and base == 0:
        d_base = 0.0  # 0 ** 0: PyTorch's convention (elsewhere the rule below gives 0 too,
        # and under create_graph keeps its dependence on b for d²/da db = 1/a at b = 0)
    elif base == 0 and exponent < 1:
        d_base = None  # infinite slope at 0, e.g. sqrt
    else:
        try:
            d_base = b * a ** (b - 1)
        except OverflowError:
            if type(a) is not float:
                raise
            d_base = _infinite_slope(base, exponent)
    d_exponent: Any
    if base > 0:
        d_exponent = out * _log(a)
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


def _exp_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (out,)


def _log_forward(a: float) -> float:
    if a <= 0:
        raise ValueError(f"log: the operand must be > 0, got {a!r}")
    return math.log(a)


def _log_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (1.0 / a,)


def _sqrt_forward(a: float) -> float:
    if a < 0:
        raise ValueError(f"sqrt: the operand must be >= 0, got {a!r}")
    return math.sqrt(a)


def _sqrt_partials(out: Number, a: Number) -> tuple[Any, ...]:
    if _data(out) == 0:
        return (None,)  # infinite slope at 0
    return (0.5 / out,)


def _sin_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (_cos(a),)


def _cos_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (-_sin(a),)


def _tanh_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (1.0 - out * out,)


def _sigmoid_forward(a: float) -> float:
    # Two branches so that exp never sees a large positive argument.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _sigmoid_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (out * (1.0 - out),)


def _relu_forward(a: float) -> float:
    return a if a > 0 else 0.0


def _relu_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return _ONE if _data(a) > 0 else _ZERO  # relu'(0) = 0, as PyTorch


def _abs_partials(out: Number, a: Number) -> tuple[Any, ...]:
    x = _data(a)
    return _ONE if x > 0 else _MINUS_ONE if x < 0 else _ZERO  # abs'(0) = 0, as PyTorch


def _hard_sigmoid_forward(a: float) -> float:
    # PyTorch's evaluation order, so results agree to the last bit.
    return min(max(a + 3.0, 0.0), 6.0) / 6.0


def _hard_sigmoid_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return _SIXTH if -3.0 < _data(a) < 3.0 else _ZERO


# --- n-ary ------------------------------------------------------------------------------
# Sums run left to right, ((t0 + t1) + t2) + ..., exactly as the chain a user would write
# with ``+``, so ``sum``/``dot`` agree bit for bit with that chain (and with numpy reducing
# over a non-innermost axis, which the compiled replay relies on).


def _sum_forward(*xs: float) -> float:
    total = xs[0]
    for x in xs[1:]:
        total += x
    return total


def _sum_partials(out: Number, *xs: Number) -> tuple[Any, ...]:
    return (1.0,) * len(xs)


def _dot_forward(*ws_then_xs: float) -> float:
    n = len(ws_then_xs) // 2
    total = ws_then_xs[0] * ws_then_xs[n]
    for w, x in zip(ws_then_xs[1:n], ws_then_xs[n + 1 :]):
        total += w * x
    return total


def _dot_partials(out: Number, *ws_then_xs: Number) -> tuple[Any, ...]:
    n = len(ws_then_xs) // 2
    return ws_then_xs[n:] + ws_then_xs[:n]


REAL = (-INF, INF)
POSITIVE = (0.0, INF)

ADD = Primitive("add", 2, operator.add, _add_partials, (REAL, REAL), symbol="+")
MUL = Primitive("mul", 2, operator.mul, _mul_partials, (REAL, REAL), symbol="*")
POW = Primitive(
    "pow",
    2,
    _pow,
    _pow_partials,
    (POSITIVE, REAL),
    operand_names=("base", "exponent"),
    symbol="**",
)
EXP = Primitive("exp", 1, _exp_forward, _exp_partials, (REAL,))
LOG = Primitive("log", 1, _log_forward, _log_partials, (POSITIVE,))
SQRT = Primitive("sqrt", 1, _sqrt_forward, _sqrt_partials, (POSITIVE,))
SIN = Primitive("sin", 1, math.sin, _sin_partials, (REAL,))
COS = Primitive("cos", 1, math.cos, _cos_partials, (REAL,))
TANH = Primitive("tanh", 1, math.tanh, _tanh_partials, (REAL,))
SIGMOID = Primitive("sigmoid", 1, _sigmoid_forward, _sigmoid_partials, (REAL,))
RELU = Primitive("relu", 1, _relu_forward, _relu_partials, (REAL,), kinks=(0.0,))
ABS = Primitive("abs", 1, abs, _abs_partials, (REAL,), kinks=(0.0,))
HARD_SIGMOID = Primitive(
    "hard_sigmoid",
    1,
    _hard_sigmoid_forward,
    _hard_sigmoid_partials,
    (REAL,),
    kinks=(-3.0, 3.0),
)
SUM = Primitive("sum", None, _sum_forward, _sum_partials, (REAL,))
DOT = Primitive("dot", None, _dot_forward, _dot_partials, (REAL,))

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
