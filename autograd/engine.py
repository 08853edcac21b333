"""Value: a scalar that records the computation graph, and reverse-mode backpropagation."""

from __future__ import annotations

import contextvars
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, Union

from . import primitives as P
from .primitives import Primitive

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "Value",
    "enable_grad",
    "no_grad",
    "is_grad_enabled",
    "topological_order",
    "grad",
    "sum",
    "dot",
]

Operand = Union["Value", float, int]

_GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autograd_grad_enabled", default=True
)

# Roles of a leaf; only used for drawing and for skipping constants' undefined gradients.
_INPUT, _CONSTANT, _PARAMETER = "input", "constant", "parameter"


def _to_float(data: object, what: str) -> float:
    """Validate a user-supplied number and return it as a float."""
    if type(data) is float:
        value = data
    elif isinstance(data, numbers.Real) and not isinstance(data, (str, bytes)):
        try:
            value = float(data)  # int, bool, fractions, numpy real scalars
        except OverflowError:
            raise ValueError(f"{what}: the number is too large for a float") from None
    else:
        raise TypeError(
            f"{what}: expected a real number (int, float or numpy real scalar), "
            f"got {type(data).__name__} {data!r}"
        )
    if math.isnan(value):
        raise ValueError(f"{what}: the number is NaN")
    return value


class Value:
    """A scalar in a computation graph: its data, its gradient, and how it was made."""

    __slots__ = ("data", "grad", "label", "children", "_prim", "_role", "__weakref__")

    data: float
    grad: float
    label: str
    children: tuple[Value, ...]
    _prim: Primitive | None
    _role: str

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _to_float(data, "Value")
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.label = label
        self.children = ()
        self._prim = None
        self._role = _INPUT

    # --- identity and display -----------------------------------------------------------

    @property
    def op(self) -> str:
        """The primitive that made this Value: "+", "*", "**", "exp", ... ("" for a leaf)."""
        return self._prim.display if self._prim is not None else ""

    @property
    def primitive(self) -> Primitive | None:
        """The entry of ``autograd.PRIMITIVES`` that made this Value (None for a leaf)."""
        return self._prim

    @property
    def is_leaf(self) -> bool:
        """True for a Value that no recorded operation produced."""
        return self._prim is None

    @property
    def is_constant(self) -> bool:
        """True for a leaf made from a plain number by an operator (e.g. the 2 in ``x * 2``)."""
        return self._role == _CONSTANT

    @property
    def is_parameter(self) -> bool:
        """True for a Value marked as a trainable parameter (``nn`` marks its own)."""
        return self._role == _PARAMETER

    @is_parameter.setter
    def is_parameter(self, flag: bool) -> None:
        if self._prim is not None:
            raise ValueError("is_parameter: only a leaf Value can be a parameter")
        self._role = _PARAMETER if flag else _INPUT

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self._prim is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label}{op})"

    def __float__(self) -> float:
        return self.data

    __hash__ = object.__hash__  # by identity: Values are graph nodes, not numbers

    def __bool__(self) -> bool:
        return self.data != 0  # as a one-element torch.Tensor

    def _repr_svg_(self) -> str | None:
        """Jupyter hook: the graph behind this Value as SVG, or None without Graphviz."""
        from .render import svg_or_none

        return svg_or_none(self)

    # --- primitives -------------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        return _apply(P.ADD, self, _as_value(other, "+"))

    def __mul__(self, other: Operand) -> Value:
        return _apply(P.MUL, self, _as_value(other, "*"))

    def __pow__(self, exponent: Operand) -> Value:
        return _apply(P.POW, self, _as_value(exponent, "**"))

    def exp(self) -> Value:
        """e ** self."""
        return _apply(P.EXP, self)

    def log(self) -> Value:
        """Natural logarithm; the operand must be > 0."""
        return _apply(P.LOG, self)

    def sqrt(self) -> Value:
        """Square root; the operand must be >= 0 (the derivative at 0 is undefined)."""
        return _apply(P.SQRT, self)

    def sin(self) -> Value:
        """Sine (radians)."""
        return _apply(P.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return _apply(P.COS, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent; stable for any finite input."""
        return _apply(P.TANH, self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self); stable for any finite input."""
        return _apply(P.SIGMOID, self)

    def relu(self) -> Value:
        """max(0, self); the derivative at 0 is 0."""
        return _apply(P.RELU, self)

    def hard_sigmoid(self) -> Value:
        """max(0, min(1, self / 6 + 1 / 2)); derivative 1/6 inside (-3, 3), else 0."""
        return _apply(P.HARD_SIGMOID, self)

    def abs(self) -> Value:
        """|self|; the derivative at 0 is 0."""
        return _apply(P.ABS, self)

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
        PyTorch: calling ``backward`` twice adds twice; reset with ``zero_grad``.
        """
        seed = _to_float(gradient, "backward: gradient")
        for node, g in _backpropagate(self, seed, create_graph=False).items():
            node.grad += g


# Bypasses __init__'s validation: operation results are already floats.
_new_value = Value.__new__


def _as_value(x: Operand, op: str) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, (list, tuple)):
        raise TypeError(f"{op}: expected a number or a Value, got {type(x).__name__}")
    try:
        data = _to_float(x, op)
    except TypeError:
        raise TypeError(
            f"{op}: unsupported operand type {type(x).__name__} ({x!r}); "
            "expected a number or a Value"
        ) from None
    v = _new_value(Value)
    v.data, v.grad, v.label, v.children, v._prim, v._role = data, 0.0, "", (), None, _CONSTANT
    return v


def _nonzero(divisor: Value, op: str) -> Value:
    if divisor.data == 0:
        raise ZeroDivisionError(f"{op}: division by zero (the divisor is {divisor!r})")
    return divisor


def _apply(prim: Primitive, *operands: Value) -> Value:
    """Run a primitive forward and record it in the graph (unless grad is disabled)."""
    out = _new_value(Value)
    # Unpacked by arity: this is the hot path of every forward pass.
    if len(operands) == 2:
        data = prim.forward(operands[0].data, operands[1].data)
    elif len(operands) == 1:
        data = prim.forward(operands[0].data)
    else:
        data = prim.forward(*[x.data for x in operands])
    if data - data != 0:  # inf or NaN (one cheap test on the hot path)
        _check_non_finite(prim, operands, data)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._role = _INPUT
    if _GRAD_ENABLED.get():
        out.children = operands
        out._prim = prim
    else:
        out.children = ()
        out._prim = None
    return out


def _check_non_finite(prim: Primitive, operands: tuple[Value, ...], data: float) -> None:
    """Raise for a NaN result, or an inf made from finite operands (an overflow)."""
    shown = ", ".join(repr(x.data) for x in operands[:4]) + (", ..." if len(operands) > 4 else "")
    if math.isnan(data):
        raise ValueError(f"{prim.name}: the result is NaN for the operands ({shown})")
    if all(math.isfinite(x.data) for x in operands):
        raise OverflowError(f"{prim.name}: the result overflows a float for ({shown})")
    # An infinite operand (Value(inf) is valid data) may give an infinite result.


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - autograd.sum mirrors numpy.sum
    """The sum of numbers or Values as one n-ary node (the builtin makes a chain)."""
    operands = [_as_value(v, "sum") for v in values]
    if not operands:
        return _as_value(0.0, "sum")
    return _apply(P.SUM, *operands)


def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value:
    """Σ ws[i] * xs[i] as one n-ary node; ws and xs must have the same length."""
    ws, xs = list(ws), list(xs)
    if len(ws) != len(xs):
        raise ValueError(f"dot: the operands have different lengths ({len(ws)} and {len(xs)})")
    if not ws:
        return _as_value(0.0, "dot")
    return _apply(P.DOT, *[_as_value(v, "dot") for v in ws], *[_as_value(v, "dot") for v in xs])


# --- graph traversal and backpropagation ------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its children, ending with ``root``.

    Iterative depth-first search (no recursion limit); children are visited in argument
    order, so the order is the same on every run.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: expected a Value, got {type(root).__name__}")
    order: list[Value] = []
    visited = {root}
    stack = [(root, iter(root.children))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if child not in visited:
                visited.add(child)
                if not child.children:
                    order.append(child)  # a leaf: done at once, no stack frame needed
                    continue
                stack.append((child, iter(child.children)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _backpropagate(
    root: Value, seed: Any, create_graph: bool, wanted: Sequence[Value] | None = None
) -> dict[Value, Any]:
    """d root / d n for every node n root depends on, as floats or (create_graph) Values.

    ``wanted`` names the inputs whose gradients matter (all non-constant leaves if None): an
    undefined derivative raises only if it would flow into one of them.
    """
    grads: dict[Value, Any] = {root: seed}
    previous_of = grads.get
    order = topological_order(root)
    needing: set[Value] | None = None  # made on the first undefined derivative, if any
    for node in reversed(order):
        prim = node._prim
        if prim is None:
            continue  # a leaf
        g_node = previous_of(node)
        if g_node is None:
            continue  # a constant expression that no gradient flows into
        children = node.children
        if create_graph:
            local = prim.derivative(g_node, node, *children)
        elif len(children) == 2:  # unpacked by arity: the hot path of every backward pass
            local = prim.derivative(g_node, node.data, children[0].data, children[1].data)
        elif len(children) == 1:
            local = prim.derivative(g_node, node.data, children[0].data)
        else:
            local = prim.derivative(g_node, node.data, *[c.data for c in children])
        if None in local:
            if needing is None:
                needing = _needing_gradient(order, wanted)
            _check_undefined(node, prim, local, needing)
        for child, g in zip(children, local):
            if g is None:
                continue  # an undefined derivative nobody asked for (checked above)
            previous = previous_of(child)
            grads[child] = g if previous is None else previous + g
    return grads


def _needing_gradient(order: list[Value], wanted: Sequence[Value] | None) -> set[Value]:
    """The nodes of ``order`` through which a gradient that is asked for flows.

    That is every node from which a wanted input is reachable; with ``wanted`` None, every
    non-constant leaf is wanted (so ``b - 1`` built from a constant exponent needs nothing).
    """
    if wanted is None:
        needing = {n for n in order if n._prim is None and n._role != _CONSTANT}
    else:
        needing = set(wanted)
    for node in order:  # children before parents
        if node not in needing and any(c in needing for c in node.children):
            needing.add(node)
    return needing


def _check_undefined(
    node: Value, prim: Primitive, local: tuple[Any, ...], needing: set[Value]
) -> None:
    """Raise if an undefined derivative would flow into a gradient that is asked for."""
    for index, (child, g) in enumerate(zip(node.children, local)):
        if g is None and child in needing:
            names = prim.operand_names
            which = f"the {names[index]}" if index < len(names) else f"operand {index + 1}"
            operands = ", ".join(repr(c.data) for c in node.children)
            raise ValueError(
                f"{prim.name}: the derivative with respect to {which} is undefined or "
                f"infinite at ({operands}), and a gradient is asked for through it"
            )


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d output / d input for each input, leaving every ``.grad`` untouched.

    Returns floats, or with ``create_graph=True`` Values that are themselves differentiable
    (for second and higher derivatives).  An input that ``output`` does not depend on gets 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    if create_graph:
        with enable_grad():
            grads = _backpropagate(output, _as_value(1.0, "grad"), True, inputs)
            return [_as_value(grads.get(x, 0.0), "grad") for x in inputs]
    grads = _backpropagate(output, 1.0, False, inputs)
    return [float(grads.get(x, 0.0)) for x in inputs]


# --- grad mode --------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    _enabled: bool

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> Self:
        self._tokens.append(_GRAD_ENABLED.set(self._enabled))
        return self

    def __exit__(self, *exc: object) -> None:
        _GRAD_ENABLED.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        """Use as a decorator: run ``func`` in this mode."""
        import functools

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Context manager (or decorator) in which operations record no graph.

    Results are leaves (``children == ()``).  The flag lives in a context variable, so it is
    private to each thread and each asyncio task.
    """

    _enabled = False


class enable_grad(_GradMode):
    """Context manager (or decorator) that turns graph recording back on inside ``no_grad``."""

    _enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad``."""
    return _GRAD_ENABLED.get()
