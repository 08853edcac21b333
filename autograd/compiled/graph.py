"""Tracing: run a function once on placeholder Values and keep its graph as a flat list.

Every Value the function's result depends on becomes a ``Node``:

* the arguments' numbers become *placeholders*, whose data each replay supplies;
* leaves the function closes over (an ``nn`` model's weights, or any other Value that is not
  a constant) become *parameters*: each replay reads their current ``.data`` and backward
  adds into their ``.grad``;
* constants (leaves the engine made from plain numbers, like the 2 in ``x * 2``), and every
  operation that depends on neither placeholders nor parameters, keep their traced data.

Then rewrites that change no result by a single bit, so that the replay runs fewer,
larger steps:

* a left-nested chain of additions ``((a + b) + c) + d`` (Python's ``sum()`` builds one) is
  one n-ary ``sum(a, b, c, d)``: the compiled sum adds strictly left to right, which is the
  chain's own order of rounding;
* a sum whose terms include products, ``w1 * x1 + w2 * x2 + b`` (a neuron written
  micrograd's way), or a bias added to a dot product, ``dot(ws, xs) + b`` (every ``nn``
  neuron), is one dot product: each product contributes its two factors, any other term
  ``t`` the pair ``t * 1.0``, exactly ``t``, in the order the chain added them.  Each pair
  puts its fixed factor first (the weights), so a layer's dot products read their weights
  and their shared inputs as two blocks, and the replay runs them as one matrix product
  (see program.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checks import numeric_array
from ..engine import Value, _topological_order
from ..grad_mode import enable_grad
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


@dataclass(slots=True)
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
    return numeric_array(arg, who, what, "a number or a (nested) list of numbers")


def numeric_batch(batch: object, who: str, what: str) -> np.ndarray[Any, Any]:
    """A batch (a list with one item per example) as a float64 array, checked."""
    if isinstance(batch, Value):
        raise TypeError(f"{who}: {what} must be a list with one item per example, got a Value")
    return numeric_array(batch, who, what, "a list with one item (number or list) per example")


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


def _merge_sums(graph: Graph, one: int) -> None:
    """Fold left-nested sums into n-ary ``sum`` nodes and products into ``dot`` nodes, exactly.

    Children first, so a chain is already folded below each node.  A node is absorbed only
    into its single user, and only if both vary alike (an addition of parameter-only terms
    stays in the part computed once per batch).
    """
    nodes = graph.nodes
    uses = Counter([j for node in nodes for j in node.operands] + graph.outputs)

    def take_in(i: int, user: Node, ops: tuple[str, ...]) -> bool:
        """Mark node i absorbed into ``user`` if it is one of ``ops`` used only there."""
        taken = nodes[i].op in ops and uses[i] == 1 and nodes[i].varies == user.varies
        if taken:
            uses[i] = 0
        return taken

    def fixed_first(a: int, b: int) -> tuple[int, int]:  # the weight first, then the input
        return (b, a) if nodes[a].varies and not nodes[b].varies else (a, b)

    for node in nodes:  # children first
        if node.op not in _SUMS or not node.operands:
            continue
        first, rest = node.operands[0], node.operands[1:]
        pairs: list[tuple[int, int]] = []
        terms = [first, *rest]
        if take_in(first, node, _SUMS):
            terms = [*nodes[first].operands, *rest]
        elif take_in(first, node, ("dot",)):
            half = len(nodes[first].operands) // 2
            ws, xs = nodes[first].operands[:half], nodes[first].operands[half:]
            pairs, terms = [fixed_first(w, x) for w, x in zip(ws, xs)], list(rest)
        products = [take_in(t, node, ("mul",)) for t in terms]
        if pairs or any(products):
            for t, product in zip(terms, products):
                w, x = nodes[t].operands if product else (t, one)
                pairs.append(fixed_first(w, x))
            node.op, node.operands = "dot", tuple(p[0] for p in pairs) + tuple(p[1] for p in pairs)
        elif tuple(terms) != node.operands:
            node.op, node.operands = "sum", tuple(terms)


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
                if child in new_id:
                    continue
                if not nodes[child].operands:  # a leaf: done at once, no stack frame needed
                    new_id[child] = len(kept)
                    kept.append(nodes[child])
                    continue
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
