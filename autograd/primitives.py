"""The primitive table: every differentiable operation, its forward rule and its local derivative.

Each primitive is a forward rule on floats and, right beside it, its *partials*: the local
derivative of the output with respect to each operand, ``partials(out, *operands)``.  The same
partials rule serves two callers:

* the eager engine calls it on floats when it records an operation, and stores the numbers
  in the new node, so backpropagation is only multiply-and-add (no rule lookup per node);
* ``grad(..., create_graph=True)`` calls it on Values, so the derivative is itself a graph
  that can be differentiated again.

That is why the rules use only arithmetic operators and the ``_exp``/``_log``/... helpers
below, which work on both floats and Values.  A rule returns one partial per operand, or an
``Undefined`` where the derivative is undefined or infinite (backpropagation raises if a
gradient that is asked for flows through it, and ignores it otherwise: for a constant, say).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Number = Any  # a float on the plain path, a Value on the create_graph path

INF = math.inf
NAN = math.nan


class Undefined:
    """A local derivative that does not exist, such as sqrt's at 0.

    Like NaN, it absorbs every sum and product it enters, so every gradient that flows on
    from it is undefined too.  Unlike NaN, it remembers where it came from, so that
    backpropagation can name the primitive if a gradient that was asked for is undefined.
    """

    __slots__ = ("name", "operand", "at")

    def __init__(self, name: str, operand: str, at: tuple[float, ...]) -> None:
        self.name, self.operand, self.at = name, operand, at

    def __add__(self, other: object) -> Undefined:
        return self

    __radd__ = __mul__ = __rmul__ = __add__

    def __repr__(self) -> str:
        return f"Undefined({self.describe()})"

    def describe(self) -> str:
        """Which derivative is undefined, and where."""
        at = ", ".join(repr(x) for x in self.at)
        return (
            f"{self.name}: the derivative with respect to the {self.operand} is undefined or "
            f"infinite at ({at})"
        )


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


@dataclass(frozen=True, slots=True)
class Primitive:
    """One differentiable operation: forward on floats, partials on floats or Values.

    ``arity`` is the number of operands, or ``None`` for the n-ary ones (``sum``, ``dot``,
    ``logsumexp``, ``select``).
    ``domain`` is the open interval of each operand where the derivative exists (for
    n-ary ops, of every operand); ``kinks`` are points inside it where the derivative jumps
    and a subgradient is used instead.

    Outside the operation's own domain (log of a negative number, say) ``forward`` returns
    NaN, as numpy does, and ``domain_error(*operands)`` gives the error to raise for those
    operands.  ``result_error`` turns every non-finite result into its error, for the eager
    engine and the compiled kernels alike.
    """

    name: str
    arity: int | None
    forward: Callable[..., float]
    partials: Callable[..., tuple[Any, ...]]
    domain: tuple[tuple[float, float], ...]
    kinks: tuple[float, ...] = ()
    operand_names: tuple[str, ...] = ()
    symbol: str = ""  # how ``Value.op`` shows it, micrograd-style ("+" for add); else the name
    domain_error: Callable[..., Exception | None] | None = None

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
    if (a < 0 and not b.is_integer()) or (a == 0 and b < 0):
        return NAN  # no real value: see _pow_domain_error
    try:
        return float(a**b)
    except OverflowError:
        return INF  # result_error reports it


def _pow_domain_error(a: float, b: float) -> Exception | None:
    if a < 0 and not b.is_integer():
        return ValueError(
            f"pow: a negative base ({a!r}) to a non-integer power ({b!r}) has no real value"
        )
    if a == 0 and b < 0:
        return ZeroDivisionError(f"pow: zero base to a negative power ({b!r})")
    return None


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
        d_base = Undefined("pow", "base", (base, exponent))  # infinite slope at 0, e.g. sqrt
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
        # b -> a ** b has no real derivative for a < 0
        d_exponent = Undefined("pow", "exponent", (base, exponent))
    return d_base, d_exponent


# --- unary ------------------------------------------------------------------------------


def _exp_forward(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return INF  # result_error reports it


def _exp_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (out,)


def _log_forward(a: float) -> float:
    return math.log(a) if a > 0 else NAN


def _log_domain_error(a: float) -> Exception | None:
    return ValueError(f"log: the operand must be > 0, got {a!r}") if a <= 0 else None


def _log_partials(out: Number, a: Number) -> tuple[Any, ...]:
    return (1.0 / a,)


def _sqrt_forward(a: float) -> float:
    return math.sqrt(a) if a >= 0 else NAN


def _sqrt_domain_error(a: float) -> Exception | None:
    return ValueError(f"sqrt: the operand must be >= 0, got {a!r}") if a < 0 else None


def _sqrt_partials(out: Number, a: Number) -> tuple[Any, ...]:
    if _data(out) == 0:
        return (Undefined("sqrt", "operand", (_data(a),)),)  # infinite slope at 0
    return (0.5 / out,)


def _sin_forward(a: float) -> float:
    return math.sin(a) if a - a == 0 else NAN  # sin(±inf) has no value


def _cos_forward(a: float) -> float:
    return math.cos(a) if a - a == 0 else NAN


def _periodic_domain_error(name: str) -> Callable[[float], Exception | None]:
    def domain_error(a: float) -> Exception | None:
        return ValueError(f"{name}: the operand must be finite, got {a!r}") if a - a != 0 else None

    return domain_error


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


def _logsumexp_forward(*xs: float) -> float:
    # Shifted by the largest operand, here at run time (never frozen by a trace): every exp
    # argument is <= 0, so nothing overflows, and the largest term is exp(0) = 1, so the
    # sum is >= 1 and its log is defined.
    top = max(xs)
    if top - top != 0:  # +-inf: so is the result (and x - top would be NaN)
        return top
    total = math.exp(xs[0] - top)
    for x in xs[1:]:
        total += math.exp(x - top)
    return top + math.log(total)


def _logsumexp_partials(out: Number, *xs: Number) -> tuple[Any, ...]:
    # d out / d x_i is the softmax weight exp(x_i - m) / Σ_j exp(x_j - m), m the largest x:
    # as accurate for logits of 1e10 as of 1 (exp(x_i - out) would lose what rounding took
    # from out).  Under create_graph these are Values, so second derivatives work.
    top = max(xs, key=_data)
    if _data(top) - _data(top) != 0:  # +-inf: an infinite operand's weight is undefined
        return tuple(
            Undefined("logsumexp", "operand", (_data(x),)) if _data(x) == _data(top) else 0.0
            for x in xs
        )
    exps = [_exp(x - top) for x in xs]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    # From a list: tuple() of a generator builds its tuple outside CPython's free list,
    # which then fills with these freed tuples, a growth tests/test_memory.py sees.
    weights = [e / total for e in exps]
    return tuple(weights)


def _select_index(index: float, n: int) -> int | None:
    """The position ``index`` names among ``n`` values, or None if it names none."""
    return int(index) if index.is_integer() and 0 <= index < n else None


def _select_forward(index: float, *values: float) -> float:
    k = _select_index(index, len(values))
    return NAN if k is None else values[k]


def _select_domain_error(index: float, *values: float) -> Exception | None:
    if _select_index(index, len(values)) is None:
        return ValueError(
            f"select: the index must be a whole number from 0 to {len(values) - 1}, "
            f"got {index!r}"
        )
    return None


def _select_partials(out: Number, index: Number, *values: Number) -> tuple[Any, ...]:
    # 1 for the chosen value, 0 for the others.  The index is data (a class label, say):
    # select is flat in it between whole numbers, so its partial is 0, as torch.gather
    # gives no gradient to its index.
    k = _select_index(_data(index), len(values))
    return (0.0, *(1.0 if i == k else 0.0 for i in range(len(values))))


REAL = (-INF, INF)
POSITIVE = (0.0, INF)

ADD = Primitive("add", 2, operator.add, _add_partials, (REAL, REAL), symbol="+")
MUL = Primitive("mul", 2, operator.mul, _mul_partials, (REAL, REAL), symbol="*")
POW = Primitive("pow", 2, _pow, _pow_partials, (POSITIVE, REAL), symbol="**",
                operand_names=("base", "exponent"), domain_error=_pow_domain_error)
EXP = Primitive("exp", 1, _exp_forward, _exp_partials, (REAL,))
LOG = Primitive("log", 1, _log_forward, _log_partials, (POSITIVE,),
                domain_error=_log_domain_error)
SQRT = Primitive("sqrt", 1, _sqrt_forward, _sqrt_partials, (POSITIVE,),
                 domain_error=_sqrt_domain_error)
SIN = Primitive("sin", 1, _sin_forward, _sin_partials, (REAL,),
                domain_error=_periodic_domain_error("sin"))
COS = Primitive("cos", 1, _cos_forward, _cos_partials, (REAL,),
                domain_error=_periodic_domain_error("cos"))
TANH = Primitive("tanh", 1, math.tanh, _tanh_partials, (REAL,))
SIGMOID = Primitive("sigmoid", 1, _sigmoid_forward, _sigmoid_partials, (REAL,))
RELU = Primitive("relu", 1, _relu_forward, _relu_partials, (REAL,), kinks=(0.0,))
ABS = Primitive("abs", 1, abs, _abs_partials, (REAL,), kinks=(0.0,))
HARD_SIGMOID = Primitive("hard_sigmoid", 1, _hard_sigmoid_forward, _hard_sigmoid_partials,
                         (REAL,), kinks=(-3.0, 3.0))
SUM = Primitive("sum", None, _sum_forward, _sum_partials, (REAL,))
DOT = Primitive("dot", None, _dot_forward, _dot_partials, (REAL,))
LOGSUMEXP = Primitive("logsumexp", None, _logsumexp_forward, _logsumexp_partials, (REAL,))
SELECT = Primitive("select", None, _select_forward, _select_partials, (REAL,),
                   operand_names=("index",), domain_error=_select_domain_error)

PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (ADD, MUL, POW, EXP, LOG, SQRT, SIN, COS, TANH, SIGMOID, RELU, ABS, HARD_SIGMOID,
              SUM, DOT, LOGSUMEXP, SELECT)
}
"""Every primitive by name: the complete set of operations the engine differentiates."""


def result_error(prim: Primitive, operands: Sequence[float], result: float) -> Exception | None:
    """The error for ``prim`` giving the non-finite ``result`` on ``operands``, or None.

    Outside the primitive's domain, its own error (``log: the operand must be > 0, ...``);
    else a NaN is a ValueError and an inf made from finite operands an OverflowError.  An inf
    from an infinite operand is no error: ``Value(inf)`` is valid data and may flow on.
    """
    error = prim.domain_error(*operands) if prim.domain_error is not None else None
    if error is not None:
        return error
    shown = ", ".join(repr(x) for x in operands[:4]) + (", ..." if len(operands) > 4 else "")
    if math.isnan(result):
        return ValueError(f"{prim.name}: the result is NaN for the operands ({shown})")
    if all(math.isfinite(x) for x in operands):
        return OverflowError(f"{prim.name}: the result overflows a float for ({shown})")
    return None
