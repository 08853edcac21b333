"""Two engines that are not our library, for W3: how fast can one object per node go?

W3 written with Python's builtin ``sum`` misses its 6x target (README, "Benchmarks").  Most
of the time there is CPython's generational collector rescanning the live graph, and what it
costs grows with the bytes of every live node.  These engines bracket what is possible, in
the same run as ours and micrograd:

``BareValue``
    The barest engine W3 admits.  A leaf has 2 slots (data, grad), an operation node 4 (and
    its two operands); the operation is the node's class; ``+`` and ``*`` are written inline;
    nothing is validated, labelled or switched off; backward uses ``.grad`` itself as its
    scratch, so gradients do not accumulate across calls.  No library could ship this.

``MinimalValue``
    ``BareValue`` plus the least a library needs, each of which ours has: a label on every
    Value, input validation (type, NaN) and an overflow check on results, a grad mode, and
    gradients that accumulate across backward calls.  ``+`` and ``*`` stay written inline,
    micrograd's way, the fastest form.  Ours has more besides (a table of primitives, each
    defined once, roles, stored partials, n-ary and unary operations, undefined-derivative
    checks).

Only ``+`` (also with a number) and ``*`` of Values exist: what W3 uses.
"""

from __future__ import annotations

import contextvars
import math
from typing import Any

# --- bare ---------------------------------------------------------------------------------


class BareValue:
    """A leaf: data and grad, nothing else."""

    __slots__ = ("data", "grad")

    def __init__(self, data: float) -> None:
        self.data = data
        self.grad = 0.0

    def __add__(self, other: Any) -> BareValue:
        if not isinstance(other, BareValue):
            other = BareValue(other)
        out = _new(_BareAdd)
        out.data = self.data + other.data
        out.grad = 0.0
        out.a = self
        out.b = other
        return out

    __radd__ = __add__  # float addition is commutative, bit for bit

    def __mul__(self, other: BareValue) -> BareValue:
        out = _new(_BareMul)
        out.data = self.data * other.data
        out.grad = 0.0
        out.a = self
        out.b = other
        return out

    def backward(self) -> None:
        """Set every node's grad to d self / d node (overwriting, not accumulating)."""
        mark = float("0")  # a fresh object, and the 0 each gradient starts from
        interior: list[Any] = []
        stack: list[Any] = [self]
        while stack:
            node = stack.pop()
            if node is None:
                interior.append(stack.pop())
                continue
            if node.grad is mark:
                continue
            node.grad = mark
            if isinstance(node, _BareNode):
                stack += (node, None, node.b, node.a)
        _propagate(self, interior, _BareAdd)


class _BareNode(BareValue):
    __slots__ = ("a", "b")


class _BareAdd(_BareNode):
    __slots__ = ()


class _BareMul(_BareNode):
    __slots__ = ()


_new = object.__new__


def _propagate(root: Any, interior: list[Any], add: type) -> None:
    """Seed root with 1 and accumulate along ``interior`` (topological order): a node of
    class ``add`` is a sum, any other a product; every grad starts at 0."""
    root.grad = 1.0
    for node in reversed(interior):
        g = node.grad
        if type(node) is add:
            node.a.grad += g
            node.b.grad += g
        else:
            node.a.grad += g * node.b.data
            node.b.grad += g * node.a.data

# --- minimal ------------------------------------------------------------------------------

_RECORDING: contextvars.ContextVar[bool] = contextvars.ContextVar("floor_recording",
                                                                 default=True)
_recording = _RECORDING.get


def _checked(data: object, what: str) -> float:
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        raise TypeError(f"{what}: expected a real number, got {type(data).__name__}")
    value = float(data)
    if math.isnan(value):
        raise ValueError(f"{what}: the number is NaN")
    return value


def _overflow(op: str, x: float, y: float) -> OverflowError:
    return OverflowError(f"{op}: the result overflows a float for ({x!r}, {y!r})")


class MinimalValue:
    """A leaf: data, grad and a label, validated."""

    __slots__ = ("data", "grad", "label")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float or data != data:
            data = _checked(data, "MinimalValue")
        if type(label) is not str:
            raise TypeError(f"MinimalValue: label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label

    # + and * are written out in full, as in micrograd: the fastest form (a helper or a
    # table of primitives would cost a call per operation), hence the repetition.
    def __add__(self, other: Any) -> MinimalValue:
        if not isinstance(other, MinimalValue):
            other = MinimalValue(_checked(other, "+"))
        data = self.data + other.data
        if data - data != 0:
            raise _overflow("+", self.data, other.data)
        if _recording():
            out = _new(_MinimalAdd)
            out.a = self
            out.b = other
        else:
            out = _new(MinimalValue)
        out.data = data
        out.grad = 0.0
        out.label = ""
        return out

    def __radd__(self, other: Any) -> MinimalValue:
        return MinimalValue(_checked(other, "+")) + self

    def __mul__(self, other: Any) -> MinimalValue:
        if not isinstance(other, MinimalValue):
            other = MinimalValue(_checked(other, "*"))
        data = self.data * other.data
        if data - data != 0:
            raise _overflow("*", self.data, other.data)
        if _recording():
            out = _new(_MinimalMul)
            out.a = self
            out.b = other
        else:
            out = _new(MinimalValue)
        out.data = data
        out.grad = 0.0
        out.label = ""
        return out

    def backward(self) -> None:
        """Add d self / d node into every node's grad."""
        mark = float("0")
        visited: list[Any] = []
        before: list[float] = []  # each visited node's grad before this pass
        interior: list[Any] = []
        stack: list[Any] = [self]
        while stack:
            node = stack.pop()
            if node is None:
                interior.append(stack.pop())
                continue
            if node.grad is mark:
                continue
            visited.append(node)
            before.append(node.grad)
            node.grad = mark
            if isinstance(node, _MinimalNode):
                stack += (node, None, node.b, node.a)
        _propagate(self, interior, _MinimalAdd)
        for node, old in zip(visited, before):
            node.grad = old + node.grad


class _MinimalNode(MinimalValue):
    __slots__ = ("a", "b")


class _MinimalAdd(_MinimalNode):
    __slots__ = ()


class _MinimalMul(_MinimalNode):
    __slots__ = ()


class minimal_no_grad:
    """``MinimalValue``'s grad mode: operations inside record no graph."""

    def __enter__(self) -> None:
        self._token = _RECORDING.set(False)

    def __exit__(self, *exc: object) -> None:
        _RECORDING.reset(self._token)
