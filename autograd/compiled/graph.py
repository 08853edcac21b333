"""Tracing: run a function once on placeholder Values and keep its graph as a flat list.

Every Value the function's result depends on becomes a ``Node``:

* the arguments' numbers become *placeholders*, whose data each replay supplies;
* leaves the function closes over (an ``nn`` model's weights, or any other Value that is not
  a constant) become *parameters*: each replay reads their current ``.data`` and backward
  adds into their ``.grad``;
* constants (leaves the engine made from plain numbers, like the 2 in ``x * 2``), and every
  operation that depends on neither placeholders nor parameters, keep their traced data.

Then two rewrites that change no result by a single bit, so that the replay runs fewer,
larger steps:

* a left-nested chain of additions ``((a + b) + c) + d`` (Python's ``sum()`` builds one) is
  one n-ary ``sum(a, b, c, d)``: the compiled sum adds strictly left to right, which is the
  chain's own order of rounding;
* a bias added to a dot product, ``dot(ws, xs) + b`` (every ``nn`` neuron), is one longer
  dot product whose extra term is ``b * 1.0``, exactly ``b``, added last.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Value, _topological_order, enable_grad
from .kernels import KERNELS

__all__ = [
    "PLACEHOLDER",
    "PARAMETER",
    "CONSTANT",
    "Node",
    "Graph",
    "trace",
    "describe_shape",
    "numeric_batch",
]

PLACEHOLDER, PARAMETER, CONSTANT = "placeholder", "parameter", "constant"
_SUMS = ("add", "sum")


@dataclass
class Node:
    """One Value of the traced graph: a leaf (placeholder, parameter, constant) or an operation.

    ``op`` is a primitive's name or one of the three leaf kinds; ``operands`` are indices of
    earlier nodes.  ``varies`` is True if the node depends on a placeholder (so it differs
    from example to example), ``live`` if it depends on a parameter (so a gradient flows).
    """

    op: str
    operands: tuple[int, ...] = ()
    value: float = 0.0  # the traced data; what a constant keeps
    leaf: Value | None = None  # a parameter's Value
    index: int = -1  # a placeholder's position among the flattened arguments
    varies: bool = False
    live: bool = False


@dataclass
class Graph:
    """A traced function: its nodes (children before parents) and what it takes and returns."""

    nodes: list[Node]
    outputs: list[int]
    arg_shapes: list[tuple[int, ...]]

    @property
    def n_placeholders(self) -> int:
        """How many numbers one example of all the arguments holds."""
        return sum(math.prod(shape) for shape in self.arg_shapes)


def describe_shape(shape: tuple[int, ...]) -> str:
    """``()`` is "a number", ``(2,)`` "a list of 2 numbers", ``(2, 3)`` "a list of 2 lists
    of 3 numbers": one example of an argument, for error messages."""
    one, many = "number", "numbers"
    for n in reversed(shape):
        inner = one if n == 1 else many
        one, many = f"list of {n} {inner}", f"lists of {n} {inner}"
    return f"a {one}"


def as_example_array(arg: object, who: str, what: str) -> np.ndarray[Any, Any]:
    """One argument (a number or a nested list of numbers) as a float64 array, checked."""
    if isinstance(arg, Value):
        raise TypeError(
            f"{who}: {what} must be a number or a (nested) list of numbers, got a Value; "
            "pass its .data, or let the function close over it to train it as a parameter"
        )
    return _numeric_array(arg, who, what, "a number or a (nested) list of numbers")


def _numeric_array(arg: object, who: str, what: str, expected: str) -> np.ndarray[Any, Any]:
    """``arg`` as a finite float64 array, with a TypeError or ValueError naming ``what``."""
    try:
        array = np.asarray(arg)
    except (ValueError, TypeError):  # ragged nesting
        raise ValueError(
            f"{who}: {what} must be {expected} of one regular shape; its nested lists have "
            "different lengths"
        ) from None
    kind = array.dtype.kind
    if kind not in "fiu":
        if kind == "b":
            raise TypeError(f"{who}: {what} must hold numbers, not bools")
        if kind == "c":
            raise TypeError(f"{who}: {what} must hold real numbers, not complex ones")
        sample = _first_non_number(arg)
        if sample is None:  # numbers numpy keeps as objects: ints beyond the float range
            raise ValueError(f"{who}: {what} holds a number too large for a float")
        raise TypeError(f"{who}: {what} must be {expected}, but it holds {sample}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        where = "".join(f"[{i}]" for i in position)
        value = array[position] if position else array[()]
        raise ValueError(f"{who}: {what}{where} is {float(value)!r}; inputs must be finite")
    return array


def _first_non_number(arg: object) -> str | None:
    """Describe the first item of a nested structure that is not a real number, if any."""
    stack = [arg]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, bool) or not isinstance(item, numbers.Real):
            return f"{type(item).__name__} {item!r}"[:80]
    return None


def numeric_batch(batch: object, who: str, what: str) -> np.ndarray[Any, Any]:
    """A batch (a list with one item per example) as a float64 array, checked."""
    if isinstance(batch, Value):
        raise TypeError(f"{who}: {what} must be a list with one item per example, got a Value")
    return _numeric_array(batch, who, what, "a list with one item (number or list) per example")


def _placeholders(data: Any, label: str, made: list[Value]) -> Any:
    """Values shaped like ``data`` (a float or nested lists of floats), appended to ``made``."""
    if isinstance(data, list):
        return [_placeholders(item, f"{label}[{i}]", made) for i, item in enumerate(data)]
    value = Value(data, label=label)
    made.append(value)
    return value


def _outputs(result: object, who: str) -> list[Value]:
    if isinstance(result, Value):
        return [result]
    if isinstance(result, (list, tuple)) and result:
        for i, item in enumerate(result):
            if not isinstance(item, Value):
                raise TypeError(
                    f"{who}: the function must return a Value or a flat list of Values; "
                    f"output {i} is {type(item).__name__}"
                )
        return list(result)
    raise TypeError(
        f"{who}: the function must return a Value or a non-empty list of Values, "
        f"got {type(result).__name__}"
    )


def trace(
    fn: Callable[..., Any], example: tuple[Any, ...], who: str = "compile", rewrite: bool = True
) -> Graph:
    """Run ``fn`` once on placeholders shaped like ``example`` and return its graph."""
    if not callable(fn):
        raise TypeError(f"{who}: expected a function, got {type(fn).__name__}")
    if not isinstance(example, tuple):
        raise TypeError(
            f"{who}: example must be a tuple with one item per argument of the function, "
            f"e.g. example=(x0,) or example=(x0, y0); got {type(example).__name__}"
        )
    arrays = [as_example_array(arg, who, f"example[{i}]") for i, arg in enumerate(example)]
    made: list[Value] = []
    args = [_placeholders(a.tolist(), f"arg{i + 1}", made) for i, a in enumerate(arrays)]
    with enable_grad():  # tracing must record the graph, even inside no_grad
        outputs = _outputs(fn(*args), who)

    placeholder_of = {v: i for i, v in enumerate(made)}
    ids: dict[Value, int] = {}
    nodes: list[Node] = []
    constants: dict[tuple[float, float], int] = {}

    def constant(value: float) -> int:
        key = (value, math.copysign(1.0, value))  # 0.0 and -0.0 stay apart
        if key not in constants:
            constants[key] = len(nodes)
            nodes.append(Node(CONSTANT, value=value))
        return constants[key]

    for v in _topological_order(outputs):
        if v in placeholder_of:
            ids[v] = len(nodes)
            nodes.append(Node(PLACEHOLDER, value=v.data, index=placeholder_of[v], varies=True))
        elif v.is_leaf:
            if v.is_constant:
                ids[v] = constant(v.data)
            else:
                ids[v] = len(nodes)
                nodes.append(Node(PARAMETER, value=v.data, leaf=v, live=True))
        else:
            prim = v.primitive
            name = prim.name if prim is not None else "?"
            if name not in KERNELS:
                raise TypeError(f"{who}: the graph uses the primitive {name!r}, unknown here")
            operands = tuple(ids[c] for c in v.children)
            varies = any(nodes[i].varies for i in operands)
            live = any(nodes[i].live for i in operands)
            if varies or live:
                ids[v] = len(nodes)
                nodes.append(Node(name, operands, v.data, varies=varies, live=live))
            else:  # fixed for good: keep the value the eager engine computed
                ids[v] = constant(v.data)
    graph = Graph(nodes, [ids[v] for v in outputs], [a.shape for a in arrays])
    if rewrite:
        _merge_sums(graph, constant(1.0))
    return _reachable(graph)


def _use_counts(graph: Graph) -> list[int]:
    uses = [0] * len(graph.nodes)
    for node in graph.nodes:
        for i in node.operands:
            uses[i] += 1
    for i in graph.outputs:
        uses[i] += 1
    return uses


def _merge_sums(graph: Graph, one: int) -> None:
    """Fold left-nested sums into n-ary ``sum`` nodes and biases into ``dot`` nodes, exactly.

    A node is absorbed only into its single user, and only if both vary alike (an addition
    of parameter-only terms stays in the part computed once per batch).
    """
    nodes = graph.nodes
    uses = _use_counts(graph)
    for node in nodes:  # children first, so a chain is already folded below each node
        if node.op not in _SUMS or not node.operands:
            continue
        first_id, rest = node.operands[0], node.operands[1:]
        first = nodes[first_id]
        if uses[first_id] != 1 or first.varies != node.varies:
            continue
        if first.op in _SUMS:
            node.op, node.operands = "sum", first.operands + rest
        elif first.op == "dot":
            half = len(first.operands) // 2
            ws, xs = list(first.operands[:half]), list(first.operands[half:])
            ws_vary = any(nodes[i].varies for i in ws)
            for term in rest:  # term * 1.0 is the term, exactly; put it with its own kind
                if nodes[term].varies == ws_vary:
                    ws.append(term)
                    xs.append(one)
                else:
                    ws.append(one)
                    xs.append(term)
            node.op, node.operands = "dot", (*ws, *xs)
        else:
            continue
        uses[first_id] = 0


def _reachable(graph: Graph) -> Graph:
    """The nodes the outputs depend on, renumbered children-first (drops folded nodes)."""
    nodes = graph.nodes
    new_id: dict[int, int] = {}
    kept: list[Node] = []
    for root in graph.outputs:
        if root in new_id:
            continue
        stack = [(root, iter(nodes[root].operands))]
        new_id[root] = -1  # visiting
        while stack:
            current, pending = stack[-1]
            for child in pending:
                if child not in new_id:
                    new_id[child] = -1
                    stack.append((child, iter(nodes[child].operands)))
                    break
            else:
                stack.pop()
                node = nodes[current]
                node.operands = tuple(new_id[i] for i in node.operands)
                new_id[current] = len(kept)
                kept.append(node)
    return Graph(kept, [new_id[i] for i in graph.outputs], graph.arg_shapes)
