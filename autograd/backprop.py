"""Reverse-mode backpropagation: one pass that serves ``Value.backward`` and ``grad``.

The chain rule, node by node: visit the graph so that each node comes after every node that
uses it, and pass each node's gradient g on to its operands, g times the local partial
derivative the node stored when it was made.  An operand reached twice (``a + a``) adds both
contributions.  With ``create_graph`` the partials are computed again from the operands, as
Values, so the gradients are graphs themselves and can be differentiated again.

Where a primitive has no derivative (``sqrt`` at 0, the exponent of a negative base), its
partial is an ``Undefined`` (see primitives.py), which absorbs every product and sum it
enters: the gradient that flows through it is undefined, and so is every gradient that
flows on from there.  The pass goes on, and raises only if a gradient that was
asked for is undefined, naming the primitive.  So ``x ** 2`` at x = -3 is fine: the
exponent's derivative is undefined there, but the exponent is a constant, and nobody asks for
the gradient of a constant.

The running sums live in each node's ``_g`` slot, not in ``.grad``: every gradient is
computed before any ``.grad`` changes, so an error (or an interrupt) changes none.  A pass
starts by making a new float 0.0 object, ``mark``, and sets ``_g = mark`` on every node it
visits; ``node._g is mark`` then means "visited in this pass" (what earlier passes left in
``_g`` are other objects, so an interrupted pass needs no undoing), and 0.0 is where the
sum starts.  A pass that ends sets every ``_g`` back to None.  Two threads must therefore not
backpropagate through the same nodes at the same time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

from .checks import real
from .engine import Value, _as_value
from .grad_mode import enable_grad
from .primitives import Primitive, Undefined

__all__ = ["backward", "grad"]


def _walk(root: Value, mark: Any) -> tuple[list[Value], list[Value]]:
    """The operations under ``root``, each after its operands, and the leaves; marks them all.

    Iterative depth-first search: a node is marked when it is expanded, and goes back on the
    stack under a None, with its operands that are not yet marked on top (pushed last first,
    so they are expanded in argument order).  Popping that None means every operand of the
    node below it is done.  Leaves need no expanding: they are marked as soon as they are met.
    """
    if root._prim is None:
        root._g = mark
        return [], [root]
    operations: list[Value] = []
    leaves: list[Value] = []
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            operations.append(stack.pop())  # type: ignore[arg-type]
            continue
        if node._g is mark:
            continue  # expanded already, through another parent
        node._g = mark
        stack.append(node)
        stack.append(None)
        a, b = node._a, node._b
        last_first = (b, a) if b is not None else a[::-1] if type(a) is tuple else (a,)
        for child in last_first:
            if child._g is not mark:
                if child._prim is None:
                    child._g = mark
                    leaves.append(child)
                else:
                    stack.append(child)
    return operations, leaves


class _EmptySum:
    """Where a sum of Values starts: adding anything to it gives that thing (no ``0 + g`` node)."""

    def __add__(self, other: Any) -> Any:
        return other


def _propagate(operations: list[Value], create_graph: bool) -> None:
    """Pass every operation's gradient ``_g`` on to its operands' ``_g``, the root's first."""
    for node in reversed(operations):
        g = node._g
        a, b = node._a, node._b
        if create_graph:
            children = node.children
            for child, d in zip(children, cast(Primitive, node._prim).partials(node, *children)):
                child._g += g * d
        elif b is not None:
            a._g += g * node._da
            b._g += g * node._db
        elif type(a) is tuple:
            for child, d in zip(a, node._da):
                child._g += g * d
        else:
            a._g += g * node._da


def _check(leaf: Value, g: Any, leaves: list[Value]) -> None:
    """Raise if the gradient ``g`` that was asked for is undefined, inf or NaN.

    With finite data an inf can only be an overflow (a slope beyond the float range, or a
    product of large slopes); infinite data (among ``leaves``) may give infinite gradients.
    """
    if type(g) is Undefined:
        raise ValueError(f"{g.describe()}, and a gradient is asked for through it")
    if type(g) is float and g - g != 0 and all(math.isfinite(v.data) for v in leaves):
        what = "is NaN" if math.isnan(g) else f"overflowed a float ({g!r})"
        error = ValueError if math.isnan(g) else OverflowError
        raise error(f"backward: the gradient of {leaf!r} {what}")


def backward(root: Value, gradient: float = 1.0) -> None:
    """``root.backward(gradient)``: add d root / d n, times ``gradient``, into every ``n.grad``.

    Gradients of constants are not asked for, so one that is undefined is no error (that
    constant's ``.grad`` stays as it is).
    """
    seed = real(gradient, "backward", "gradient", finite=False)
    operations, leaves = _walk(root, float("0"))
    root._g = seed
    _propagate(operations, create_graph=False)
    for leaf in leaves:
        g = leaf._g
        if (type(g) is not float or g - g != 0) and not leaf.is_constant:
            _check(leaf, g, leaves)
    for nodes in (operations, leaves):
        for node in nodes:
            g = node._g
            if type(g) is float:  # not Undefined
                node.grad += g
            node._g = None  # frees it as the grad is made: memory stays as it was


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
    mark: Any = _EmptySum() if create_graph else float("0")
    operations, leaves = _walk(output, mark)
    reached = [x._g is mark for x in inputs]
    with enable_grad():  # under create_graph the gradients are recorded graphs
        output._g = _as_value(1.0, "grad") if create_graph else 1.0
        _propagate(operations, create_graph)
        results = []
        for x, hit in zip(inputs, reached):
            g = x._g if hit else 0.0
            _check(x, g, leaves)
            results.append(_as_value(g, "grad") if create_graph else g)
    for nodes in (operations, leaves):
        for node in nodes:
            node._g = None  # gradient Values left there would make reference cycles
    return results
