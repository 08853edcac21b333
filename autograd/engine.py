"""Value: a scalar that records the computation graph, and reverse-mode backpropagation."""

from __future__ import annotations

import contextvars
import functools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, Union, cast

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

    # One object per node and nothing else: no closure, no children tuple, no partials
    # tuple.  That keeps nodes small, leaves no reference cycles (a dropped graph is freed by
    # reference counting alone) and gives the garbage collector, which rescans the live
    # graph as it grows, as few objects as possible to visit.
    #   _op      the Primitive that made this node, or, for a leaf, its role
    #   _a, _b   the operands: (a, b) binary, (a, None) unary, (tuple, None) n-ary,
    #            (None, None) for a leaf
    #   _da, _db the local partials d self / d a and d self / d b, stored when the node is
    #            made (for n-ary, _da is a tuple with one partial per operand)
    # Backpropagation uses ``grad`` itself as its scratch (see _walk): 8 slots make a node
    # 96 bytes, where a 9th would make it 112, and the collector's work grows with the bytes.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_da", "_db")

    data: float
    grad: float
    label: str
    _op: Primitive | str
    _a: Any
    _b: Value | None
    _da: Any
    _db: Any

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float or data != data:  # the common case, checked cheaply
            data = _to_float(data, "Value")
        if type(label) is not str:
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = _INPUT
        self._a = None
        self._b = None

    # --- identity and display -----------------------------------------------------------

    @property
    def op(self) -> str:
        """The primitive that made this Value: "+", "*", "**", "exp", ... ("" for a leaf)."""
        op = self._op
        return "" if isinstance(op, str) else op.display

    @property
    def primitive(self) -> Primitive | None:
        """The entry of ``autograd.PRIMITIVES`` that made this Value (None for a leaf)."""
        op = self._op
        return None if isinstance(op, str) else op

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
        return self._a is None

    @property
    def is_constant(self) -> bool:
        """True for a leaf made from a plain number by an operator (e.g. the 2 in ``x * 2``)."""
        return self._op is _CONSTANT

    @property
    def is_parameter(self) -> bool:
        """True for a Value marked as a trainable parameter (``nn`` marks its own)."""
        return self._op is _PARAMETER

    @is_parameter.setter
    def is_parameter(self, flag: bool) -> None:
        if self._a is not None:
            raise ValueError("is_parameter: only a leaf Value can be a parameter")
        self._op = _PARAMETER if flag else _INPUT

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self._a is not None else ""
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
        return _binary(P.ADD, self, other if type(other) is Value else _as_value(other, "+"))

    def __mul__(self, other: Operand) -> Value:
        return _binary(P.MUL, self, other if type(other) is Value else _as_value(other, "*"))

    def __pow__(self, exponent: Operand) -> Value:
        return _binary(P.POW, self, _as_value(exponent, "**"))

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
        """Sine (radians)."""
        return _unary(P.SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
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
        PyTorch: calling ``backward`` twice adds twice; reset with ``zero_grad``.
        """
        seed = _to_float(gradient, "backward: gradient")
        walked = _walk(self)
        try:
            _propagate(walked, self, seed)
        except TypeError:  # an undefined partial (None) on the way: does anyone need it?
            grads = _backpropagate(self, seed, create_graph=False)
            leaves = [node for node in grads if node._a is None]
            for node in leaves:
                g = grads[node]
                if g - g != 0:
                    _check_non_finite_gradient(node, g, leaves)
            for node, g in grads.items():
                _add_gradient(node, g)
            return
        leaves = walked.leaves
        for node in leaves:
            g = node.grad
            if g - g != 0:  # inf or NaN: say so, with every .grad as it was
                try:
                    _check_non_finite_gradient(node, g, leaves)
                except (OverflowError, ValueError):
                    walked.restore()
                    raise
        walked.add_before()


# Bypasses __init__'s validation: operation results are already floats.
_new_value = Value.__new__
_recording = _GRAD_ENABLED.get  # bound once: called on every operation


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
    return _shared_constant(data) if data != 0 else _new_constant(data)


def _new_constant(data: float) -> Value:
    """A constant leaf holding ``data``."""
    v = _new_value(Value)
    v.data, v.grad, v.label, v._op, v._a, v._b = data, 0.0, "", _CONSTANT, None, None
    return v


# The same number makes the same constant leaf (the 1.0001 of a million ``x * 1.0001``):
# half the objects in such graphs, and half the work for the garbage collector.  Zero is
# left out because 0.0 == -0.0 would share one leaf between the two signs.
_shared_constant = functools.lru_cache(maxsize=1024)(_new_constant)


def _nonzero(divisor: Value, op: str) -> Value:
    if divisor.data == 0:
        raise ZeroDivisionError(f"{op}: division by zero (the divisor is {divisor!r})")
    return divisor


# --- recording an operation ---------------------------------------------------------------
# One function per arity: this is the hot path of every forward pass.  The partials are
# computed here, while the operands' data is at hand, so backpropagation needs no rule lookup.


def _new_result(data: float) -> Value:
    """A node holding ``data``, recorded as a leaf (the caller fills in how it was made)."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = _INPUT
    out._a = None
    out._b = None
    return out


def _unary(prim: Primitive, a: Value) -> Value:
    x = a.data
    data = prim.forward(x)
    if data - data != 0:  # inf or NaN (one cheap test on the hot path)
        _check_non_finite(prim, (a,), data)
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._b = None
    if _recording():
        out._op = prim
        out._a = a
        (out._da,) = prim.partials(data, x)
    else:
        out._op = _INPUT
        out._a = None
    return out


def _binary(prim: Primitive, a: Value, b: Value) -> Value:
    x = a.data
    y = b.data
    data = prim.forward(x, y)
    if data - data != 0:
        _check_non_finite(prim, (a, b), data)
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _recording():
        out._op = prim
        out._a = a
        out._b = b
        da, db = prim.partials(data, x, y)
        # A constant's gradient is never asked for: 0 instead of "undefined" keeps x ** 2
        # at a negative x on the fast path.
        out._da = 0.0 if da is None and a._op is _CONSTANT else da
        out._db = 0.0 if db is None and b._op is _CONSTANT else db
    else:
        out._op = _INPUT
        out._a = None
        out._b = None
    return out


def _nary(prim: Primitive, operands: list[Value]) -> Value:
    xs = [v.data for v in operands]
    data = prim.forward(*xs)
    if data - data != 0:
        _check_non_finite(prim, tuple(operands), data)
    out = _new_result(data)
    if _recording():
        out._op = prim
        out._a = tuple(operands)
        out._da = prim.partials(data, *xs)
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
    operands = [v if type(v) is Value else _as_value(v, "sum") for v in values]
    if not operands:
        return _as_value(0.0, "sum")
    return _nary(P.SUM, operands)


def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value:
    """Σ ws[i] * xs[i] as one n-ary node; ws and xs must have the same length."""
    operands = [v if type(v) is Value else _as_value(v, "dot") for v in ws]
    n = len(operands)
    operands += [v if type(v) is Value else _as_value(v, "dot") for v in xs]
    if len(operands) != 2 * n:
        raise ValueError(f"dot: the operands have different lengths ({n} and {len(operands) - n})")
    if not n:
        return _as_value(0.0, "dot")
    return _nary(P.DOT, operands)


# --- graph traversal and backpropagation ------------------------------------------------


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


class _Walk(NamedTuple):
    """What ``_walk`` found: the nodes under a root, and the grad each had before."""

    interior: list[Value]  # the operation nodes, in topological order
    expanded: list[Value]  # the same nodes, in the order they were marked
    expanded_before: list[Any]  # their grads before the walk
    leaves: list[Value]
    leaves_before: list[Any]
    mark: float  # the object every visited node's grad was set to

    def restore(self) -> None:
        """Put every visited node's grad back as it was before the walk."""
        for nodes, before in ((self.expanded, self.expanded_before),
                              (self.leaves, self.leaves_before)):
            for node, old in zip(nodes, before):
                node.grad = old

    def add_before(self) -> None:
        """Add each node's earlier grad to the one just computed (a constant's is set)."""
        for node, old in zip(self.expanded, self.expanded_before):
            node.grad = old + node.grad
        for node, old in zip(self.leaves, self.leaves_before):
            if node._op is not _CONSTANT:  # shared between graphs: see _add_gradient
                node.grad = old + node.grad


def _walk(root: Value) -> _Walk:
    """The operation nodes under ``root`` in topological order, and its leaves.

    Saves every visited node's grad, then sets it to one fresh float 0 object, which is
    both the visit mark (``node.grad is mark``: no visited set, no per-node tuple) and the
    0 that ``_propagate`` accumulates into; the caller then adds or restores the saved
    grads.  A grad is saved before it is marked, so an interrupt at any point leaves every
    changed grad restorable.  A node is marked when it is expanded: it goes back on the
    stack under a None, with its operands that are not yet expanded on top (an operand may
    be on the stack twice; the second copy is skipped).  Popping None means the node below
    has all its operands done.
    """
    mark = float("0")  # a new object: no node can hold it yet
    walked = _Walk([], [], [], [], [], mark)
    leaf, leaf_before = walked.leaves.append, walked.leaves_before.append
    if root._a is None:
        leaf_before(root.grad)
        leaf(root)
        root.grad = mark
        return walked
    emit = walked.interior.append
    expand, expand_before = walked.expanded.append, walked.expanded_before.append
    stack: list[Value | None] = [root]
    pop, push = stack.pop, stack.append
    try:
        while stack:
            node = pop()
            if node is None:
                emit(pop())  # type: ignore[arg-type]
                continue
            if node.grad is mark:
                continue  # expanded already, through another parent
            expand_before(node.grad)
            expand(node)
            node.grad = mark
            push(node)
            push(None)
            a, b = node._a, node._b
            operands = (b, a) if b is not None else a[::-1] if type(a) is tuple else (a,)
            for child in operands:  # pushed last-first, so expanded first-first
                if child.grad is not mark:
                    if child._a is None:
                        leaf_before(child.grad)
                        leaf(child)
                        child.grad = mark
                    else:
                        push(child)
    except BaseException:  # an interrupt: leave the grads as they were
        walked.restore()
        raise
    return walked


def _propagate(walked: _Walk, root: Value, seed: float) -> None:
    """Accumulate d root / d n into ``n.grad`` for every node n of ``walked`` (floats only).

    On an undefined partial (None) it raises TypeError, and callers take the careful path;
    on that or any other exception (an interrupt too) every grad is restored first.
    """
    try:
        root.grad = seed
        for node in reversed(walked.interior):
            g = node.grad
            b = node._b
            if b is not None:
                node._a.grad += g * node._da
                b.grad += g * node._db
            else:
                a = node._a
                if type(a) is tuple:
                    for child, d in zip(a, node._da):
                        child.grad += g * d
                else:
                    a.grad += g * node._da
    except BaseException:
        walked.restore()
        raise


def _add_gradient(leaf: Value, g: float) -> None:
    """Add ``g`` into a leaf's grad; a constant's grad is *set* to it.

    Constants are shared between graphs (the same number, the same leaf), so accumulating
    would mix graphs; set, a constant's grad is d root / d c of the last backward through
    it, which is what a drawing made after that backward should show.
    """
    if leaf._op is _CONSTANT:
        leaf.grad = g
    else:
        leaf.grad += g


def _check_non_finite_gradient(node: Value, g: float, leaves: list[Value]) -> None:
    """Raise for an inf or NaN gradient of a leaf, unless some leaf's data is infinite.

    With finite data an inf gradient can only be an overflow (a slope beyond the float
    range, or products of large slopes); infinite data may give infinite gradients.
    """
    if node._op is _CONSTANT or any(not math.isfinite(v.data) for v in leaves):
        return
    what = "is NaN" if math.isnan(g) else f"overflowed a float ({g!r})"
    error = ValueError if math.isnan(g) else OverflowError
    raise error(f"backward: the gradient of {node!r} {what}")


def _stored_partials(node: Value) -> tuple[Any, ...]:
    """The partials recorded with an operation node, one per operand."""
    if node._b is not None:
        return (node._da, node._db)
    return node._da if type(node._a) is tuple else (node._da,)


def _backpropagate(
    root: Value, seed: Any, create_graph: bool, wanted: Sequence[Value] | None = None
) -> dict[Value, Any]:
    """d root / d n for every node n root depends on, as floats or (create_graph) Values.

    The careful path: used for ``create_graph`` and when an undefined partial is met.
    ``wanted`` names the inputs whose gradients matter (all non-constant leaves if None): an
    undefined derivative raises only if it would flow into one of them.
    """
    grads: dict[Value, Any] = {root: seed}
    previous_of = grads.get
    order = topological_order(root)
    needing: set[Value] | None = None  # made on the first undefined derivative, if any
    for node in reversed(order):
        if node._a is None:
            continue  # a leaf
        g_node = previous_of(node)
        if g_node is None:
            continue  # a constant expression that no gradient flows into
        children = node.children
        if create_graph:
            local = node._op.partials(node, *children)  # type: ignore[union-attr]
        else:
            local = _stored_partials(node)
        if any(d is None for d in local):
            if needing is None:
                needing = _needing_gradient(order, wanted)
            _check_undefined(node, local, needing)
        for child, d in zip(children, local):
            if d is None:
                continue  # an undefined derivative nobody asked for (checked above)
            g = g_node if type(d) is float and d == 1.0 else g_node * d
            previous = previous_of(child)
            grads[child] = g if previous is None else previous + g
    return grads


def _needing_gradient(order: list[Value], wanted: Sequence[Value] | None) -> set[Value]:
    """The nodes of ``order`` through which a gradient that is asked for flows.

    That is every node from which a wanted input is reachable; with ``wanted`` None, every
    non-constant leaf is wanted (so ``b - 1`` built from a constant exponent needs nothing).
    """
    if wanted is None:
        needing = {n for n in order if n._a is None and n._op is not _CONSTANT}
    else:
        needing = set(wanted)
    for node in order:  # children before parents
        if node not in needing and any(c in needing for c in node.children):
            needing.add(node)
    return needing


def _check_undefined(node: Value, local: tuple[Any, ...], needing: set[Value]) -> None:
    """Raise if an undefined derivative would flow into a gradient that is asked for."""
    prim = cast(Primitive, node._op)  # an operation node: only those have partials
    children = node.children
    for index, (child, d) in enumerate(zip(children, local)):
        if d is None and child in needing:
            names = prim.operand_names
            which = f"the {names[index]}" if index < len(names) else f"operand {index + 1}"
            operands = ", ".join(repr(c.data) for c in children)
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
    walked = _walk(output)
    reached = [x.grad is walked.mark for x in inputs]
    try:
        _propagate(walked, output, 1.0)
    except TypeError:  # an undefined partial on the way: does an input need it?
        grads = _backpropagate(output, 1.0, False, inputs)
        return [float(grads.get(x, 0.0)) for x in inputs]
    results = [float(x.grad) if hit else 0.0 for x, hit in zip(inputs, reached)]
    walked.restore()
    for x, g in zip(inputs, results):
        if g - g != 0:
            _check_non_finite_gradient(x, g, walked.leaves)
    return results


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
