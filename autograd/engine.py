"""Value: a scalar that records the computation graph it was computed by.

Backpropagation through that graph is in ``backprop.py``; the operations themselves, each
with its local derivative, are the table in ``primitives.py``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Union

from . import primitives as P
from .checks import real
from .grad_mode import _GRAD_ENABLED
from .primitives import Primitive

__all__ = ["Value", "topological_order", "sum", "dot", "logsumexp", "select"]

Operand = Union["Value", float, int]

# What a leaf is, for drawings and for the question "is its gradient wanted?".
INPUT, CONSTANT, PARAMETER = "input", "constant", "parameter"


class Value:
    """A scalar in a computation graph: its data, its gradient, and how it was made."""

    # One object per node and nothing beside it (no closure, no tuple of children): nodes
    # stay small, a dropped graph is freed by reference counting alone (it holds no
    # reference cycles), and the garbage collector has few objects to rescan.
    #   _role    a leaf's role (INPUT, CONSTANT, PARAMETER); None for an operation's result
    #   _prim    the Primitive that made this node; None for a leaf
    #   _a, _b   the operands: (a, b) binary, (a, None) unary, (tuple, None) n-ary
    #   _da, _db the local partials d self / d a and d self / d b, stored when the node is
    #            made (n-ary: _da is a tuple, one partial per operand)
    #   _g       scratch of the backward pass (see backprop.py)
    __slots__ = ("data", "grad", "label", "_role", "_prim", "_a", "_b", "_da", "_db", "_g")

    data: float
    grad: float
    label: str
    _role: str | None
    _prim: Primitive | None
    _a: Any
    _b: Value | None
    _da: Any
    _db: Any
    _g: Any

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float or data != data:  # the common case, checked cheaply
            data = real(data, "Value", "data", finite=False, allow_bool=True)
        if type(label) is not str:
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._role = INPUT
        self._prim = self._a = self._b = self._g = None

    # --- what it is -----------------------------------------------------------------------

    @property
    def op(self) -> str:
        """The primitive that made this Value: "+", "*", "**", "exp", ... ("" for a leaf)."""
        return "" if self._prim is None else self._prim.display

    @property
    def primitive(self) -> Primitive | None:
        """The entry of ``autograd.PRIMITIVES`` that made this Value (None for a leaf)."""
        return self._prim

    @property
    def children(self) -> tuple[Value, ...]:
        """The operands this Value was computed from, in argument order (``()`` for a leaf)."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is not None:
            return (a, b)
        return a if type(a) is tuple else (a,)

    @property
    def is_leaf(self) -> bool:
        """True for a Value that no recorded operation produced."""
        return self._prim is None

    @property
    def is_constant(self) -> bool:
        """True for a leaf made from a plain number by an operator (e.g. the 2 in ``x * 2``)."""
        return self._role is CONSTANT

    @property
    def is_parameter(self) -> bool:
        """True for a Value marked as a trainable parameter (``nn`` marks its own)."""
        return self._role is PARAMETER

    @is_parameter.setter
    def is_parameter(self, flag: bool) -> None:
        if self._prim is not None:
            raise ValueError("is_parameter: only a leaf Value can be a parameter")
        self._role = PARAMETER if flag else INPUT

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self._prim is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label}{op})"

    def __float__(self) -> float:
        return self.data

    __hash__ = object.__hash__  # by identity: Values are graph nodes, not numbers

    def __bool__(self) -> bool:
        return self.data != 0  # as a one-element torch.Tensor

    # Comparisons look at the data only and record nothing, so max(), sorted() and argmax
    # work; == stays identity (Values are graph nodes; compare .data for numbers).
    def __lt__(self, other: Operand) -> bool:
        return self.data < _number(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _number(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _number(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _number(other, ">=")

    def _repr_svg_(self) -> str | None:
        """Jupyter hook: the graph behind this Value as SVG, or None if it cannot be drawn."""
        from .render import svg_or_none

        return svg_or_none(self)

    # --- primitives -------------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        if type(other) is not Value:
            if type(other) is not float and not isinstance(other, numbers.Real):
                return NotImplemented  # Python then asks ``other``, and else raises TypeError
            other = _constant(other, "+")
        return _binary(P.ADD, self, other)

    def __mul__(self, other: Operand) -> Value:
        if type(other) is not Value:
            if type(other) is not float and not isinstance(other, numbers.Real):
                return NotImplemented  # Python then asks ``other``, and else raises TypeError
            other = _constant(other, "*")
        return _binary(P.MUL, self, other)

    def __pow__(self, exponent: Operand) -> Value:
        if type(exponent) is not Value:
            if type(exponent) is not float and not isinstance(exponent, numbers.Real):
                return NotImplemented
            exponent = _constant(exponent, "**")
        return _binary(P.POW, self, exponent)

    def exp(self) -> Value:
        """e ** self."""
        return _unary(P.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; the operand must be > 0."""
        return _unary(P.LOG, self)

    def sqrt(self) -> Value:
        """Square root; the operand must be >= 0 (the derivative at 0 is undefined)."""
        return _unary(P.SQRT, self)

    def sin(self) -> Value:
        """Sine (radians); the operand must be finite."""
        return _unary(P.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians); the operand must be finite."""
        return _unary(P.COS, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent; stable for any finite input."""
        return _unary(P.TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self); stable for any finite input."""
        return _unary(P.SIGMOID, self)

    def relu(self) -> Value:
        """max(0, self); the derivative at 0 is 0."""
        return _unary(P.RELU, self)

    def hard_sigmoid(self) -> Value:
        """max(0, min(1, self / 6 + 1 / 2)); derivative 1/6 inside (-3, 3), else 0."""
        return _unary(P.HARD_SIGMOID, self)

    def abs(self) -> Value:
        """|self|; the derivative at 0 is 0."""
        return _unary(P.ABS, self)

    # --- composites, each a one-liner over the primitives ----------------------------------

    def __abs__(self) -> Value:
        return self.abs()

    def __neg__(self) -> Value:
        return self * -1.0

    def __pos__(self) -> Value:
        return self

    def __radd__(self, other: Operand) -> Value:
        return _as_value(other, "+") + self

    def __sub__(self, other: Operand) -> Value:
        return self + -_as_value(other, "-")

    def __rsub__(self, other: Operand) -> Value:
        return _as_value(other, "-") + -self

    def __rmul__(self, other: Operand) -> Value:
        return _as_value(other, "*") * self

    def __truediv__(self, other: Operand) -> Value:
        return self * _nonzero(_as_value(other, "/"), "/") ** -1.0

    def __rtruediv__(self, other: Operand) -> Value:
        return _as_value(other, "/") * _nonzero(self, "/") ** -1.0

    def __rpow__(self, base: Operand) -> Value:
        return _as_value(base, "**") ** self

    # --- graph utilities -------------------------------------------------------------

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this graph."""
        return Value(self.data, self.label)

    def backward(self, gradient: float = 1.0) -> None:
        """Add d self / d n into ``n.grad`` for every node n this Value depends on.

        The seed d self / d self is ``gradient`` (default 1).  Gradients **accumulate**, as in
        PyTorch: calling ``backward`` twice adds twice; reset with ``zero_grad``.  Every
        gradient is computed before any ``.grad`` changes, so an error changes none.
        """
        from .backprop import backward

        backward(self, gradient)


# Bypasses __init__'s validation: operation results are already floats.
_new_value = Value.__new__
_recording = _GRAD_ENABLED.get  # bound once: called on every operation


def _as_value(x: Operand, op: str) -> Value:
    """An operand as a Value: itself, or a new constant leaf for a plain number."""
    return x if isinstance(x, Value) else _constant(x, op)


def _constant(x: object, op: str) -> Value:
    """A new constant leaf holding the number ``x`` (one per use: never shared)."""
    v = _node(x if type(x) is float and x == x else _operand(x, op))  # common case first
    v._role = CONSTANT
    return v


def _number(x: object, op: str) -> float:
    """The number to compare a Value's data with."""
    return x.data if isinstance(x, Value) else _operand(x, op)


def _operand(x: object, op: str) -> float:
    """A plain number given to the operation ``op``, as a float (inf allowed, NaN not)."""
    return real(x, op, "the operand", finite=False, allow_bool=True, expected="a number or a Value")


def _values(items: Iterable[Operand], op: str) -> list[Value]:
    """The operands of an n-ary operation as Values (numbers become constant leaves)."""
    return [v if type(v) is Value else _as_value(v, op) for v in items]


def _nonzero(divisor: Value, op: str) -> Value:
    if divisor.data == 0:
        raise ZeroDivisionError(f"{op}: division by zero (the divisor is {divisor!r})")
    return divisor


# --- recording an operation ---------------------------------------------------------------
# One function per arity: this is the hot path of every forward pass (so the unary and
# binary ones make their node inline).  The partials are computed here, while the operands'
# data is at hand, so backpropagation needs no rule lookup.


def _node(data: float) -> Value:
    """A new leaf holding ``data``."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._role = INPUT
    out._prim = out._a = out._b = out._g = None
    return out


def _unary(prim: Primitive, a: Value) -> Value:
    x = a.data
    data = prim.forward(x)
    if data - data != 0:  # inf or NaN (one cheap test on the hot path)
        _check_result(prim, (x,), data)
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._b = out._g = None
    if _recording():
        out._role, out._prim, out._a = None, prim, a
        (out._da,) = prim.partials(data, x)
    else:  # under no_grad the result is a leaf
        out._role, out._prim, out._a = INPUT, None, None
    return out


def _binary(prim: Primitive, a: Value, b: Value) -> Value:
    x, y = a.data, b.data
    data = prim.forward(x, y)
    if data - data != 0:
        _check_result(prim, (x, y), data)
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._g = None
    if _recording():
        out._role, out._prim, out._a, out._b = None, prim, a, b
        out._da, out._db = prim.partials(data, x, y)
    else:
        out._role, out._prim, out._a, out._b = INPUT, None, None, None
    return out


def _nary(prim: Primitive, operands: list[Value]) -> Value:
    xs = [v.data for v in operands]
    data = prim.forward(*xs)
    if data - data != 0:
        _check_result(prim, xs, data)
    out = _node(data)
    if _recording():
        out._role, out._prim, out._a = None, prim, tuple(operands)
        out._da = prim.partials(data, *xs)
    return out


def _check_result(prim: Primitive, operands: Sequence[float], data: float) -> None:
    """Raise the primitive's error for a non-finite result, unless it is inf from inf."""
    error = P.result_error(prim, operands, data)
    if error is not None:
        raise error


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - autograd.sum mirrors numpy.sum
    """The sum of numbers or Values as one n-ary node (the builtin makes a chain)."""
    operands = _values(values, "sum")
    if not operands:
        return _constant(0.0, "sum")
    return _nary(P.SUM, operands)


def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value:
    """Σ ws[i] * xs[i] as one n-ary node; ws and xs must have the same length."""
    operands = _values([*ws, *xs], "dot")
    n = len(ws)
    if len(operands) != 2 * n:
        raise ValueError(f"dot: the operands have different lengths ({n} and {len(operands) - n})")
    if not n:
        return _constant(0.0, "dot")
    return _nary(P.DOT, operands)


def logsumexp(values: Iterable[Operand]) -> Value:
    """log(Σ exp(v)) as one n-ary node, stable: shifted by the largest v when it runs."""
    operands = _values(values, "logsumexp")
    if not operands:
        raise ValueError("logsumexp: no values (the log-sum-exp of nothing is -inf)")
    return _nary(P.LOGSUMEXP, operands)


def select(index: Operand, values: Sequence[Operand]) -> Value:
    """values[index] as one node; the index is data (a number or Value holding a whole number)."""
    operands = [_as_value(index, "select"), *_values(values, "select")]
    if len(operands) == 1:
        raise ValueError("select: no values to select from")
    return _nary(P.SELECT, operands)


# --- graph traversal ------------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its children, ending with ``root``.

    Iterative depth-first search (no recursion limit); children are visited in argument
    order, so the order is the same on every run.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: expected a Value, got {type(root).__name__}")
    return _topological_order([root])


def _topological_order(roots: Iterable[Value]) -> list[Value]:
    """``topological_order`` for several roots at once, each node once (roots in order)."""
    order: list[Value] = []
    visited: set[Value] = set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.children))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if child not in visited:
                    visited.add(child)
                    if child._a is None:
                        order.append(child)  # a leaf: done at once, no stack frame needed
                        continue
                    stack.append((child, iter(child.children)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order
