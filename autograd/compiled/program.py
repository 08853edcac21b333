"""Scheduling a traced graph into array steps, and replaying them forward and backward.

Every node gets a row in one of two buffers: the *varying* buffer (one column per example,
width B) for what depends on the example, and the *fixed* buffer (width 1) for what does
not: parameters, constants, and operations on them only (an L2 penalty), computed once per
batch.  Nodes of
the same primitive and arity at the same depth form one *step*: the step gathers its
operands' rows as blocks, runs the primitive's kernel once on the whole group, and writes
its results into consecutive rows.  Backward runs the steps in reverse, and each step
scatters-adds g times its partials into its operands' rows of the gradient buffers.

At trace time, each operand block's row indices are turned into the cheapest way to read
them: a slice view when the rows are consecutive, one shared row broadcast when every node
of the group reads the same operands (the inputs of a layer), else a gather; and the
matching way to add gradients back: a slice ``+=``, a gather ``+=`` when no row repeats,
else a sorted ``np.add.reduceat``.

A *layer* is a group of two or more ``dot`` nodes at one depth that share one operand
block (the same inputs, in the same order) while their other block is the same for every
example (their weights): the neurons of a dense layer, found in any graph, however it was
written.  Its step reads the weights as a (k, n) matrix and the shared inputs as (n, B), and
runs one matrix product forward (``LAYER``) and two backward.  ``Strategy`` switches each
of these optimisations off, for ``benchmarks/bench_compile_steps.py`` to measure what it
gains.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Value
from ..primitives import PRIMITIVES, Undefined, result_error
from .graph import CONSTANT, PARAMETER, PLACEHOLDER, Graph, Node
from .kernels import KERNELS, LAYER, Array, Kernel, unary

__all__ = ["Strategy", "Program", "schedule"]

_VARYING, _FIXED = 0, 1  # the two buffers: per example (width B) and per batch (width 1)
_LEAVES = (PLACEHOLDER, PARAMETER, CONSTANT)


@dataclass(frozen=True)
class Strategy:
    """Which optimisations the schedule uses (all on by default; the benchmark turns them off).

    * ``grouped``: one step per (depth, primitive, arity) rather than one per node;
    * ``fast_scatter``: slices, gathers and sorted reduceat rather than ``np.add.at``;
    * ``invariant``: operations on parameters and constants only run once per batch;
    * ``patterns``: consecutive rows as slice views, shared rows broadcast, and the matrix
      products of a layer's backward pass;
    * ``rewrite``: the exact sum and dot merging done at trace time (``graph.trace``);
    * ``matmul``: each layer in a step of its own, run forward as one matrix product
      (its shared inputs are read as one block only with ``patterns``).  The one
      optimisation that changes results: BLAS sums in its own order (last bits only).
    """

    grouped: bool = True
    fast_scatter: bool = True
    invariant: bool = True
    patterns: bool = True
    rewrite: bool = True
    matmul: bool = True


def _copy(a: Array) -> Array:
    return a


# Puts fixed values into per-example rows where an operand block mixes both kinds.
_BROADCAST = unary("broadcast", _copy, lambda g, out, a: g)

_Index = slice | np.ndarray[Any, Any]  # rows of a buffer


def _index(rows: np.ndarray[Any, Any]) -> _Index:
    """Consecutive rows as a slice (indexing with it gives a view), others as they are."""
    if rows.size and (rows == np.arange(rows[0], rows[0] + rows.size)).all():
        return slice(int(rows[0]), int(rows[0]) + rows.size)
    return rows


class _Scatter:
    """Adds a (rows, W) array of gradient contributions into given rows of a buffer."""

    __slots__ = ("mode", "rows", "index", "order", "starts")
    index: _Index

    def __init__(self, rows: np.ndarray[Any, Any], fast: bool) -> None:
        self.mode, self.rows = "add.at", rows
        self.index = self.order = self.starts = rows
        if fast and np.unique(rows).size == rows.size:
            self.mode, self.index = "+=", _index(rows)
        elif fast:  # repeated rows: sum each row's contributions first, in one sorted pass
            self.mode = "sorted"
            self.order = np.argsort(rows, kind="stable")
            ordered = rows[self.order]
            self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            self.index = ordered[self.starts]

    def add(self, buffer: Array, c: Array) -> None:
        if self.mode == "+=":
            buffer[self.index] += c
        elif self.mode == "sorted":
            buffer[self.index] += np.add.reduceat(c[self.order], self.starts, axis=0)
        else:
            np.add.at(buffer, self.rows, c)


class _Read:
    """How one operand block is read from a buffer, and how its gradient is added back."""

    __slots__ = ("buffer", "mode", "index", "shape", "scatter")

    def __init__(self, buffer: int, rows: np.ndarray[Any, Any], strategy: Strategy) -> None:
        self.buffer = buffer  # rows: (k,) for a scalar block, (k, n) for a vector block
        self.shape: tuple[int, ...] | None = None  # reshape the indexed rows to it, if set
        flat = rows.reshape(-1)
        self.index = _index(flat) if strategy.patterns else rows
        if isinstance(self.index, slice):  # consecutive rows: a view
            self.mode = "slice"
            if rows.ndim == 2:
                self.shape = (*rows.shape, -1)
        elif strategy.patterns and rows.shape[0] > 1 and (rows == rows[:1]).all():
            flat = rows[0].reshape(-1)  # one row of n operands for all k nodes: (1, n, W)
            self.index = _index(flat)
            self.mode = "shared slice" if isinstance(self.index, slice) else "shared"
            if rows.ndim == 2:
                self.shape = (1, flat.size, -1)
        else:
            self.mode, self.index = "gather", rows
        self.scatter = _Scatter(flat, strategy.fast_scatter)

    def gather(self, values: list[Array]) -> Array:
        block: Array = values[self.buffer][self.index]
        return block if self.shape is None else block.reshape(self.shape)

    def add_gradient(self, grads: list[Array], c: Array) -> None:
        self.scatter.add(grads[self.buffer], c.reshape(-1, c.shape[-1]))


@dataclass(slots=True)
class _Step:
    """One kernel call for a group of nodes: reads its operand blocks, writes k rows."""

    kernel: Kernel
    out: int  # the buffer its results go to
    rows: slice  # and their rows there
    reads: list[_Read]
    wanted: tuple[bool, ...]  # which operand blocks need a gradient
    nodes: list[int]

    def forward(self, values: list[Array]) -> tuple[Array, ...]:
        operands = tuple(read.gather(values) for read in self.reads)
        values[self.out][self.rows] = self.kernel.forward(*operands)
        return operands

    def backward(
        self, values: list[Array], grads: list[Array], operands: tuple[Array, ...]
    ) -> None:
        g = grads[self.out][self.rows]
        out = values[self.out][self.rows]
        partials = self.kernel.backward(g, out, *operands, wanted=self.wanted)
        for read, c in zip(self.reads, partials):
            if c is not None:
                read.add_gradient(grads, c)


def _blocks(node: Node) -> list[tuple[int, ...]]:
    """A node's operands grouped as its kernel takes them."""
    return KERNELS[node.op].split(node.operands)


@dataclass
class Program:
    """A schedule ready to replay: steps, buffer sizes, and where everything lives."""

    steps: list[_Step]
    backward_steps: list[int]  # indices into steps, in the order backward runs them
    parameters: list[Value]  # rows 0.. of the fixed buffer
    constants: Array  # the fixed buffer's next rows
    fixed_rows: int
    varying_rows: int
    outputs: list[tuple[int, int]]  # (buffer, row) of each output

    def forward(
        self, parameters: Array, batches: list[Array]
    ) -> tuple[list[Array], list[tuple[Array, ...]]]:
        """Run every step; return the buffers and each step's operands (for backward).

        ``parameters`` holds the parameters' values, in the order of ``self.parameters``;
        ``batches`` one checked array per argument, one row per example.
        """
        width = batches[0].shape[0] if batches else 1
        fixed: Array = np.empty((self.fixed_rows, 1))
        n = len(self.parameters)
        fixed[:n, 0] = parameters
        fixed[n : n + self.constants.size, 0] = self.constants
        varying: Array = np.empty((self.varying_rows, width))
        row = 0
        for array in batches:
            size = array[0].size if array.ndim > 1 else 1
            varying[row : row + size] = array.reshape(width, size).T
            row += size
        values: list[Array] = [varying, fixed]
        # A NaN parameter (the only data nothing has checked) raises no floating-point
        # error in numpy: then every step is checked, to fail where eager fails.
        check_all = bool(np.isnan(parameters).any())
        saved = []
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            for i, step in enumerate(self.steps):
                try:
                    saved.append(step.forward(values))
                except FloatingPointError:
                    raise self._forward_error(values, i) or self._unexplained(step) from None
                if (check_all and step.kernel is not _BROADCAST) or step.kernel.checked:
                    result = values[step.out][step.rows]
                    error = None if np.isfinite(result).all() else self._forward_error(values, i)
                    if error is not None:
                        raise error
        return values, saved

    def results(self, values: list[Array]) -> Array:
        """The outputs, shape (outputs, B)."""
        width = values[_VARYING].shape[1]
        out = np.empty((len(self.outputs), width))
        for i, (buffer, row) in enumerate(self.outputs):
            out[i] = values[buffer][row]
        return out

    def backward(self, values: list[Array], saved: list[tuple[Array, ...]], seed: float) -> Array:
        """d (seed * Σ output over the batch) / d parameter, for every parameter."""
        grads = self._seeded(values, seed)
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            try:
                for i in self.backward_steps:
                    self.steps[i].backward(values, grads, saved[i])
            except FloatingPointError:
                raise self._backward_error(values, saved, seed) from None
        result = grads[_FIXED][: len(self.parameters), 0]
        if not np.isfinite(result).all():
            raise self._backward_error(values, saved, seed)
        return result

    def _seeded(self, values: list[Array], seed: float) -> list[Array]:
        """The gradient buffers, zero but for the output's: seed, once per example."""
        grads = [np.zeros_like(values[_VARYING]), np.zeros_like(values[_FIXED])]
        ((buffer, row),) = self.outputs
        grads[buffer][row] += seed if buffer == _VARYING else seed * values[_VARYING].shape[1]
        return grads

    # --- errors: rerun the failed pass, now checking each step, to say where and why -------

    def _where(self, step: _Step, column: int) -> str:
        if step.out == _FIXED:
            return "in the part computed once per batch (from parameters only)"
        return f"at example {column} of the batch"

    def _operands_of(self, operands: tuple[Array, ...], row: int, column: int) -> list[float]:
        values: list[float] = []
        for block in operands:
            r = min(row, block.shape[0] - 1)
            c = min(column, block.shape[-1] - 1)
            picked = block[r, ..., c]
            values.extend(np.atleast_1d(picked).tolist())
        return values

    def _unexplained(self, step: _Step) -> Exception:
        return ValueError(f"compile: {step.kernel.name} produced inf or NaN")

    def _forward_error(self, values: list[Array], failed: int) -> Exception | None:
        """The eager engine's error for the first non-finite result of step ``failed``.

        None if there is none: every non-finite result is inf from an infinite operand,
        which the eager engine allows too.
        """
        step = self.steps[failed]
        with np.errstate(all="ignore"):
            operands = tuple(read.gather(values) for read in step.reads)
            result = np.broadcast_to(
                step.kernel.forward(*operands),
                (len(step.nodes), values[step.out].shape[1]),
            )
        prim = PRIMITIVES[step.kernel.name]  # a copy step never fails
        for row, column in np.argwhere(~np.isfinite(result)).tolist():
            args = self._operands_of(operands, row, column)
            error = result_error(prim, args, float(result[row, column]))
            if error is not None:  # else inf from inf: allowed, as in the eager engine
                return type(error)(f"compile: {self._where(step, column)}: {error}")
        return None

    def _backward_error(
        self, values: list[Array], saved: list[tuple[Array, ...]], seed: float
    ) -> Exception:
        grads = self._seeded(values, seed)
        with np.errstate(all="ignore"):
            for i in self.backward_steps:
                step = self.steps[i]
                g = grads[step.out][step.rows]
                if np.isfinite(g).all():
                    culprit = self._culprit(step, g, values, saved[i])
                    if culprit is not None:
                        return culprit
                step.backward(values, grads, saved[i])
        return ValueError(
            "compile: backward: a parameter's gradient is inf or NaN (an overflow while "
            "adding up gradients, or an infinite parameter)"
        )

    def _culprit(
        self, step: _Step, g: Array, values: list[Array], operands: tuple[Array, ...]
    ) -> Exception | None:
        """The error for the first non-finite partial this step makes from a finite g."""
        rows, width = g.shape
        full = tuple(
            np.broadcast_to(block, (rows, *block.shape[1:-1], width)) for block in operands
        )
        out = values[step.out][step.rows]
        partials = step.kernel.backward(g, out, *full, wanted=step.wanted)
        for index, c in enumerate(partials):
            if c is None or np.isfinite(c).all():
                continue
            position = np.argwhere(~np.isfinite(c))[0].tolist()
            row, column = position[0], position[-1]
            args = self._operands_of(operands, row, column)
            shown = ", ".join(repr(a) for a in args[:4]) + (", ..." if len(args) > 4 else "")
            name = step.kernel.operand_names[min(index, len(step.kernel.operand_names) - 1)]
            where = self._where(step, column)
            if math.isnan(c[tuple(position)]):
                undefined = Undefined(step.kernel.name, name, tuple(args))
                return ValueError(
                    f"compile: backward, {where}: {undefined.describe()}, and a parameter's "
                    "gradient flows through it"
                )
            return OverflowError(
                f"compile: backward, {where}: {step.kernel.name}: the gradient with respect "
                f"to the {name} overflows a float at ({shown})"
            )
        return None


def _layer_key(node: Node, home: list[int]) -> tuple[int, tuple[int, ...]] | None:
    """What a dot node shares with the other neurons of its layer, if it can be one.

    That is its block of operands that vary (its inputs), when its other block is the same
    for every example (its weights), and which of the two blocks it is; None otherwise.
    """
    if node.op != "dot":
        return None
    blocks = _blocks(node)
    for side, (same, shared) in enumerate((blocks, blocks[::-1])):
        if all(home[j] == _FIXED for j in same) and any(home[j] == _VARYING for j in shared):
            return side, shared
    return None


def _groups(
    nodes: list[Node], is_op: list[bool], home: list[int], strategy: Strategy
) -> list[tuple[list[int], bool]]:
    """The nodes of each step, in the order the steps run, and whether the step is a layer.

    Steps run fixed ones first, then by depth.  A node's depth counts operations of its own
    buffer only: the fixed results are all ready before the first varying step.  Within a
    step, nodes keep their traced order.  The dot nodes of one layer (``_layer_key``) form
    a step of their own.
    """
    layer_keys = [_layer_key(node, home) if strategy.matmul else None for node in nodes]
    neurons = Counter(key for key in layer_keys if key is not None)

    def in_layer(i: int) -> bool:
        key = layer_keys[i]
        return key is not None and neurons[key] > 1

    depth = [0] * len(nodes)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, node in enumerate(nodes):
        if not is_op[i]:
            continue
        depth[i] = 1 + max(
            (depth[j] for j in node.operands if is_op[j] and home[j] == home[i]), default=0
        )
        if strategy.grouped:
            key: tuple[Any, ...] = (-home[i], depth[i], node.op, len(node.operands))
            if in_layer(i):
                key += (layer_keys[i],)
        else:
            key = (-home[i], i)
        groups.setdefault(key, []).append(i)
    ordered = [groups[key] for key in sorted(groups, key=lambda k: (k, groups[k][0]))]
    return [(members, strategy.grouped and in_layer(members[0])) for members in ordered]


def schedule(graph: Graph, strategy: Strategy) -> Program:
    """Group the graph's operations into steps and lay out the two buffers."""
    nodes = graph.nodes
    is_op = [node.op not in _LEAVES for node in nodes]
    # Which buffer holds each node; operations on parameters only go to the fixed one.
    home = [
        _VARYING
        if node.op == PLACEHOLDER or (is_op[i] and (node.varies or not strategy.invariant))
        else _FIXED
        for i, node in enumerate(nodes)
    ]

    grouped = _groups(nodes, is_op, home, strategy)
    ordered = [members for members, _ in grouped]

    # Block modes: a block of a varying step reads the fixed buffer only if all of its
    # operands live there; otherwise its fixed operands get a per-example copy.
    modes: list[list[int]] = []
    copied: dict[int, None] = {}
    for members in ordered:
        step_modes = []
        for b in range(len(_blocks(nodes[members[0]]))):
            operand_ids = [j for i in members for j in _blocks(nodes[i])[b]]
            if home[members[0]] == _FIXED or all(home[j] == _FIXED for j in operand_ids):
                step_modes.append(_FIXED)
            else:
                step_modes.append(_VARYING)
                copied.update((j, None) for j in operand_ids if home[j] == _FIXED)
        modes.append(step_modes)

    # Rows of the fixed buffer: parameters first (read and written as one array), in order
    # of first use so that a layer's weights are consecutive, then constants, then results.
    used = [j for members in ordered for i in members for j in nodes[i].operands]
    first_use = dict.fromkeys([*used, *graph.outputs])
    parameters = [j for j in first_use if nodes[j].op == PARAMETER]
    constants = [j for j in first_use if nodes[j].op == CONSTANT]
    fixed_row = {j: r for r, j in enumerate([*parameters, *constants])}
    varying_row = {j: node.index for j, node in enumerate(nodes) if node.op == PLACEHOLDER}
    n_placeholders = graph.n_placeholders
    copy_rows = {j: n_placeholders + r for r, j in enumerate(copied)}
    varying_row.update(copy_rows)
    next_row = [n_placeholders + len(copy_rows), len(fixed_row)]
    spans = []  # each step's rows in its buffer
    for members in ordered:
        buffer, start = home[members[0]], next_row[home[members[0]]]
        table = varying_row if buffer == _VARYING else fixed_row
        table.update((i, start + r) for r, i in enumerate(members))
        next_row[buffer] += len(members)
        spans.append(slice(start, next_row[buffer]))

    live = [node.live for node in nodes]

    def make_step(members: list[int], layer: bool, step_modes: list[int], span: slice) -> _Step:
        kernel = LAYER if layer else KERNELS[nodes[members[0]].op]
        reads, wanted = [], []
        for b, mode in enumerate(step_modes):
            table = fixed_row if mode == _FIXED else varying_row
            rows = np.array([[table[j] for j in _blocks(nodes[i])[b]] for i in members])
            if not kernel.vectors[b]:
                rows = rows[:, 0]  # one operand per node: shape (k,)
            reads.append(_Read(mode, rows, strategy))
            wanted.append(any(live[j] for i in members for j in _blocks(nodes[i])[b]))
        return _Step(kernel, home[members[0]], span, reads, tuple(wanted), members)

    made = [
        make_step(members, layer, step_modes, span)
        for (members, layer), step_modes, span in zip(grouped, modes, spans)
    ]
    steps = [step for step in made if step.out == _FIXED]
    if copy_rows:  # after the fixed steps (it may copy their results), before any use
        sources = np.array([fixed_row[j] for j in copy_rows])
        read = _Read(_FIXED, sources, strategy)
        wanted = (any(live[j] for j in copy_rows),)
        span = slice(n_placeholders, n_placeholders + len(copy_rows))
        steps.append(_Step(_BROADCAST, _VARYING, span, [read], wanted, [*copy_rows]))
    steps += [step for step in made if step.out == _VARYING]
    backward_steps = [i for i in reversed(range(len(steps))) if any(steps[i].wanted)]

    outputs = [
        (_VARYING, varying_row[j]) if home[j] == _VARYING else (_FIXED, fixed_row[j])
        for j in graph.outputs
    ]
    return Program(
        steps=steps,
        backward_steps=backward_steps,
        parameters=[_leaf(nodes[j]) for j in parameters],
        constants=np.array([nodes[j].value for j in constants], dtype=np.float64),
        fixed_rows=next_row[_FIXED],
        varying_rows=next_row[_VARYING],
        outputs=outputs,
    )


def _leaf(node: Node) -> Value:
    if node.leaf is None:  # pragma: no cover - trace() gives every parameter its Value
        raise RuntimeError("compile: internal error: a parameter without its Value")
    return node.leaf


def describe(program: Program) -> Iterable[str]:
    """One line per step (for debugging and the benchmark's notes)."""
    for step in program.steps:
        modes = ", ".join(f"{r.mode}{'(fixed)' if r.buffer == _FIXED else ''}" for r in step.reads)
        yield f"{step.kernel.name} x{len(step.nodes)}: {modes}"
