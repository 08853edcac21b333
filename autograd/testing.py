"""Hypothesis strategies for testing code built on autograd.

``finite_floats`` draws bounded finite floats; ``expressions`` draws random expression DAGs
over the primitive table, each operation inside its safe domain at the drawn point, so that
``gradcheck(expr, expr.inputs)`` is a fair test with its default tolerances::

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import expressions

    @given(expressions())
    def test_my_ops(expr):
        assert gradcheck(expr, expr.inputs)

The strategies need Hypothesis (``pip install lecturegrad[testing]``), imported when a
strategy is made: neither ``import autograd`` nor ``import autograd.testing`` imports it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis import strategies as st

from .engine import Value, dot, logsumexp, select
from .engine import sum as value_sum
from .primitives import PRIMITIVES, Primitive, Undefined

__all__ = ["Expression", "VALUE_OPS", "expressions", "finite_floats"]

# How safe a drawn expression is.  A node's *slope* bounds the sum over inputs of
# |d node / d input| at the drawn point (forward mode with absolute values, so it never
# underestimates).  Every operand keeps a distance of MARGIN * max(1, slope) from each kink
# and domain edge, so in input space the nearest kink or singularity is >= MARGIN away:
# finite differences with eps = 1e-6 never straddle a kink, and their truncation error
# O(eps² f''') stays far below gradcheck's tolerances.  Magnitudes and slopes are capped so
# that rounding error O(1e-16 |f| / eps) stays small too.
MARGIN = 1e-2
MAX_MAGNITUDE = 1e3
MAX_SLOPE = 1e3
CONSTANT_RANGE = (-3.0, 3.0)

# What each primitive needs beyond the table: how to write it in a formula, how to call it
# on Values, and tighter operand bounds where its own domain alone allows huge values or
# slopes.  Unary primitives are Value methods of the same name and need nothing here.
_INFIX = {name: prim.symbol for name, prim in PRIMITIVES.items() if prim.symbol}  # + * **
_PAIRED = frozenset({"dot"})  # operands are ws then xs, of equal length
_INDEXED = frozenset({"select"})  # the first operand is an index: a whole-number constant
_LISTED = frozenset({"logsumexp", "select"})  # written name([...]), or select(i, [...])
_EXTRA_BOUNDS: dict[str, tuple[tuple[float, float], ...]] = {
    "pow": ((0.1, 10.0), (-3.0, 3.0)),  # base > 0.1, moderate exponent
}


# How to apply the primitives that are not unary to Values (and plain numbers, for constant
# operands).  A unary primitive is the Value method of the same name.
_NOT_METHODS: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "mul": operator.mul,
    "pow": operator.pow,
    "sum": lambda *xs: value_sum(xs),
    "dot": lambda *xs: dot(xs[: len(xs) // 2], xs[len(xs) // 2 :]),
    "logsumexp": lambda *xs: logsumexp(xs),
    "select": lambda index, *xs: select(index, xs),
}

VALUE_OPS: dict[str, Callable[..., Any]] = {
    name: _NOT_METHODS[name] if name in _NOT_METHODS else getattr(Value, name)
    for name in PRIMITIVES
}
"""Each primitive's name mapped to a function applying it to Values (``Expression.__call__``)."""


@dataclass(frozen=True)
class _Node:
    op: str  # a key of PRIMITIVES, or "input" / "constant"
    operands: tuple[int, ...] = ()  # indices of earlier nodes
    constant: float = 0.0


class Expression:
    """A random expression DAG: callable on Values, drawn at the point ``inputs``."""

    def __init__(self, nodes: Sequence[_Node], inputs: Sequence[float]) -> None:
        self._nodes = tuple(nodes)
        self.inputs: list[float] = list(inputs)
        self.n_inputs: int = len(self.inputs)
        self.ops: frozenset[str] = frozenset(n.op for n in self._nodes if n.op in PRIMITIVES)
        self.formula: str = self._format()

    def __call__(self, *args: Value) -> Value:
        """Evaluate on Values (one per input), recording the graph."""
        result: Value = self.evaluate(args, VALUE_OPS)
        return result

    def evaluate(self, args: Sequence[Any], ops: Mapping[str, Callable[..., Any]]) -> Any:
        """Evaluate with ``ops[name](*operands)`` for each primitive (e.g. torch functions)."""
        if len(args) != self.n_inputs:
            raise TypeError(f"Expression: expected {self.n_inputs} inputs, got {len(args)}")
        results: list[Any] = []
        for node in self._nodes:
            if node.op == "input":
                results.append(args[len(results)])
            elif node.op == "constant":
                results.append(node.constant)
            else:
                results.append(ops[node.op](*[results[i] for i in node.operands]))
        return results[-1]

    def _format(self) -> str:
        texts: list[str] = []
        for node in self._nodes:
            parts = [texts[i] for i in node.operands]
            wrapped = [
                f"({t})" if self._nodes[i].op in _INFIX or t.startswith("-") else t
                for t, i in zip(parts, node.operands)
            ]
            if node.op == "input":
                texts.append(f"x{len(texts)}")
            elif node.op == "constant":
                texts.append(repr(node.constant))
            elif node.op in _INFIX:
                texts.append(f" {_INFIX[node.op]} ".join(wrapped))
            elif node.op in _PAIRED:
                half = len(parts) // 2
                ws, xs = ", ".join(parts[:half]), ", ".join(parts[half:])
                texts.append(f"{node.op}([{ws}], [{xs}])")
            elif node.op in _INDEXED:
                texts.append(f"{node.op}({int(float(parts[0]))}, [{', '.join(parts[1:])}])")
            elif node.op in _LISTED:
                texts.append(f"{node.op}([{', '.join(parts)}])")
            else:
                texts.append(f"{node.op}({', '.join(parts)})")
        return texts[-1]

    def __repr__(self) -> str:
        return self.formula


def finite_floats(min_value: float = -10, max_value: float = 10) -> st.SearchStrategy[float]:
    """Floats in [min_value, max_value], never NaN or infinite."""
    from hypothesis import strategies as st

    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)


def expressions(
    *,
    max_inputs: int = 3,
    max_ops: int = 6,
    ops: Iterable[str] | None = None,
    min_value: float = -5,
    max_value: float = 5,
) -> st.SearchStrategy[Expression]:
    """Random expression DAGs over ``autograd.PRIMITIVES`` (or ``ops``), safe for gradcheck."""
    names = list(PRIMITIVES) if ops is None else list(ops)
    if not names or any(n not in PRIMITIVES for n in names):
        raise ValueError(f"expressions: ops must be names from autograd.PRIMITIVES, got {names}")
    if max_inputs < 1 or max_ops < 1:
        raise ValueError("expressions: max_inputs and max_ops must be >= 1")
    names = [n for n in PRIMITIVES if n in names]  # table order: shrinks towards add
    from hypothesis import strategies as st

    return st.composite(_draw_expression)(max_inputs, max_ops, names, min_value, max_value)


def _draw_expression(
    draw: st.DrawFn,
    max_inputs: int,
    max_ops: int,
    names: list[str],
    min_value: float,
    max_value: float,
) -> Expression:
    from hypothesis import note, reject
    from hypothesis import strategies as st

    n_inputs = draw(st.integers(1, max_inputs))
    point = [draw(finite_floats(min_value, max_value)) for _ in range(n_inputs)]
    nodes = [_Node("input") for _ in range(n_inputs)]
    values = list(point)
    slopes = [1.0] * n_inputs
    for _ in range(draw(st.integers(1, max_ops))):
        prim = PRIMITIVES[draw(st.sampled_from(names))]
        _draw_node(draw, prim, nodes, values, slopes)
    if nodes[-1].op == "input":
        reject()  # no operation fitted the drawn point
    expr = Expression(_reachable(nodes), point)
    note(f"expression {expr.formula} at inputs {expr.inputs}")
    return expr


def _draw_node(
    draw: st.DrawFn,
    prim: Primitive,
    nodes: list[_Node],
    values: list[float],
    slopes: list[float],
) -> None:
    """Append ``prim`` applied to safe operands (and their constants), or nothing if none fit."""
    from hypothesis import strategies as st

    indexed = prim.name in _INDEXED
    if prim.arity is not None:
        count = prim.arity
    elif prim.name in _PAIRED:
        count = 2 * draw(st.integers(1, 3))
    else:
        count = indexed + draw(st.integers(1, 4))
    # Constants only where an operator accepts a plain number, and never for every operand
    # (an index always is one).
    constant = [prim.arity != 1 and draw(st.integers(0, 3)) == 3 for _ in range(count)]
    constant[0] = constant[0] or indexed
    if all(constant[indexed:]):
        constant[indexed] = False

    new_nodes: list[_Node] = []
    operands: list[int] = []
    for slot in range(count):
        low, high = _bounds(prim, slot)
        if indexed and slot == 0:  # which of the other count - 1 operands to select
            new_nodes.append(_Node("constant", constant=float(draw(st.integers(0, count - 2)))))
            operands.append(-len(new_nodes))
        elif constant[slot]:
            c_low = max(low, CONSTANT_RANGE[0]) + MARGIN
            c_high = min(high, CONSTANT_RANGE[1]) - MARGIN
            if c_low > c_high:
                return
            c = draw(finite_floats(c_low, c_high))
            if not _safe(c, 0.0, low, high, prim.kinks):
                return
            new_nodes.append(_Node("constant", constant=c))
            operands.append(-len(new_nodes))  # placeholder, resolved below
        else:
            candidates = [
                i
                for i, (node, v, s) in enumerate(zip(nodes, values, slopes))
                if node.op != "constant" and _safe(v, s, low, high, prim.kinks)
            ]
            if not candidates:
                return
            if slot == 0 and draw(st.booleans()):
                operands.append(candidates[-1])  # the latest node: grows deep chains
            else:
                operands.append(draw(st.sampled_from(candidates)))  # any: shares nodes

    args = [new_nodes[-i - 1].constant if i < 0 else values[i] for i in operands]
    try:
        out = prim.forward(*args)
        local = prim.partials(out, *args)
    except (ValueError, ZeroDivisionError, OverflowError):
        return
    if any(isinstance(d, Undefined) for d in local) or not abs(out) <= MAX_MAGNITUDE:
        return
    operand_slopes = [0.0 if i < 0 else slopes[i] for i in operands]  # a constant's is 0
    slope = math.fsum(abs(d) * s for d, s in zip(local, operand_slopes))
    if not slope <= MAX_SLOPE:
        return

    first_new = len(nodes)
    nodes += new_nodes
    values += [node.constant for node in new_nodes]
    slopes += [0.0] * len(new_nodes)
    resolved = tuple(first_new - i - 1 if i < 0 else i for i in operands)
    nodes.append(_Node(prim.name, resolved))
    values.append(out)
    slopes.append(slope)


def _bounds(prim: Primitive, slot: int) -> tuple[float, float]:
    """The open interval allowed for operand ``slot``: the domain, tightened if needed."""
    low, high = prim.domain[slot] if prim.arity is not None else prim.domain[0]
    extra = _EXTRA_BOUNDS.get(prim.name)
    if extra is not None:
        low, high = max(low, extra[slot][0]), min(high, extra[slot][1])
    return low, high


def _safe(value: float, slope: float, low: float, high: float, kinks: Iterable[float]) -> bool:
    """True if ``value`` keeps MARGIN * max(1, slope) from the interval's edges and the kinks."""
    margin = MARGIN * max(1.0, slope)
    inside = low + margin <= value <= high - margin and abs(value) <= MAX_MAGNITUDE
    return inside and all(abs(value - k) >= margin for k in kinks)


def _reachable(nodes: list[_Node]) -> list[_Node]:
    """The nodes the last one depends on (inputs always kept), renumbered in order."""
    n_inputs = sum(1 for n in nodes if n.op == "input")
    keep = set(range(n_inputs)) | {len(nodes) - 1}
    for i in range(len(nodes) - 1, -1, -1):
        if i in keep:
            keep.update(nodes[i].operands)
    index = {old: new for new, old in enumerate(sorted(keep))}
    return [
        _Node(n.op, tuple(index[i] for i in n.operands), n.constant)
        for old, n in enumerate(nodes)
        if old in keep
    ]
