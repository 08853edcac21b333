"""Compiled execution: trace a scalar function once, then replay it over whole batches.

::

    from autograd import compile
    step = compile(lambda x, y: loss(model(x), y), example=(x0, y0))  # traces once
    mean_loss = step.backward(xs, ys)  # adds the batch's mean gradient into each .grad
    outputs = step(xs, ys)             # forward only: one result per example

Tracing calls the function once, on placeholder Values shaped like ``example``, and records
the graph it builds.  Values the function closes over (an ``nn`` model's weights) stay live:
every replay reads their current ``.data`` (so the step stays right after SGD updates) and
``backward`` adds into their ``.grad`` exactly what the eager engine would for the batch's
mean loss; ``mean_and_gradient`` does the same on arrays, for training loops that keep the
parameters in one.  The replay runs the graph as straight-line numpy code, one array
operation for all the nodes of one primitive at one depth (a layer's dot products: one
matrix product), with one column per example; numpy is imported only when ``compile`` is
first used.

**What cannot be traced.**  The graph is recorded for the example; Python code that looks at
numbers (``if v.data > 0``, ``max(v.data for v in logits)``, a loop whose length depends on
the input) runs once, at trace time, and its outcome is frozen into the graph.  Only the
placeholders' values change between replays.  A function whose graph depends on its input
in this way gives wrong results for other inputs, and the compiler cannot see it: write
such functions without data-dependent branches, or use the eager engine.  The primitives
``logsumexp`` (shifted by its largest operand each time it runs) and ``select`` (an index
as data) make the usual such choices inside the graph.  What can be checked is checked,
with a TypeError or ValueError naming ``compile`` and the argument: the number of
arguments, the nesting and length of each item, batches of different lengths, an empty
batch, and inputs that are not finite numbers; and during replay, what the eager engine
refuses (a NaN parameter included), naming the example.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import real
from ..engine import Value
from .graph import Graph, describe_shape, numeric_batch, trace
from .kernels import Array
from .program import Program, Strategy, schedule

__all__ = ["compile", "Compiled", "Strategy"]

_WHO = "compile"


class Compiled:
    """A function traced by ``compile``: replay it over a batch, forward or forward and backward.

    ``parameters`` lists the live Values the graph reads (and ``backward`` writes gradients
    into), in the order of the replay's parameter array (``mean_and_gradient``).
    """

    def __init__(self, graph: Graph, program: Program) -> None:
        self._graph = graph
        self._program = program
        self._shapes = graph.arg_shapes
        self.parameters: list[Value] = list(program.parameters)
        self.n_outputs: int = len(graph.outputs)

    def __repr__(self) -> str:
        operations = sum(1 for n in self._graph.nodes if n.operands)
        return (
            f"Compiled({len(self._shapes)} argument(s), {self.n_outputs} output(s), "
            f"{len(self.parameters)} parameter(s), {operations} operations in "
            f"{len(self._program.steps)} steps)"
        )

    def __call__(self, *batches: Any) -> list[Any]:
        """Forward only: for each example, its output (a float, or a list for several)."""
        values, _ = self._program.forward(self._parameter_data(), self._inputs(batches))
        out = self._program.results(values)
        result: list[Any] = out[0].tolist() if self.n_outputs == 1 else out.T.tolist()
        return result

    def backward(self, *batches: Any, gradient: float = 1.0) -> float:
        """Return the mean loss over the batch, adding its gradient into each parameter's grad.

        As ``Value.backward``, gradients *add* into ``.grad``, and ``gradient`` seeds the
        mean loss's own derivative (so ``gradient=w`` adds w times the mean's gradient).
        Nothing is written unless the whole pass succeeds.
        """
        mean, grads = self.mean_and_gradient(self._parameter_data(), *batches, gradient=gradient)
        for p, g in zip(self.parameters, grads.tolist()):
            p.grad += g
        return mean

    def mean_and_gradient(
        self, data: Array, *batches: Any, gradient: float = 1.0
    ) -> tuple[float, Array]:
        """``backward`` on arrays: the batch's mean loss and its gradient, no Value touched.

        ``data`` holds the parameters' values (a float64 array, in the order of
        ``parameters``); the gradient of ``gradient`` times the mean comes back as a new
        array in the same order.  This is for training loops that keep the parameters in
        an array for a whole run (``nn.fit(compiled=True)``), so that no Python code
        touches each parameter on every update.  The checks and errors are ``backward``'s.
        """
        if self.n_outputs != 1:
            raise TypeError(
                f"{_WHO}: backward needs a function with one output (a loss); "
                f"this one has {self.n_outputs}"
            )
        gradient = real(gradient, _WHO, "gradient")
        n = len(self.parameters)
        if not (isinstance(data, np.ndarray) and data.dtype == np.float64 and data.shape == (n,)):
            raise TypeError(
                f"{_WHO}: data must be a float64 numpy array of {n} values, one per parameter "
                f"in the order of .parameters; got {type(data).__name__} "
                f"{getattr(data, 'dtype', '')} of shape {getattr(data, 'shape', '?')}"
            )
        inputs = self._inputs(batches)
        size = inputs[0].shape[0] if inputs else 1
        values, saved = self._program.forward(data, inputs)
        losses = self._program.results(values)[0]
        # As the eager engine's mean: the terms added left to right, times n ** -1.
        inverse: float = float(size) ** -1.0
        mean = float(np.add.accumulate(losses)[-1]) * inverse
        return mean, self._program.backward(values, saved, gradient * inverse)

    def _parameter_data(self) -> Array:
        """The parameters' current ``.data`` as an array (what the replay reads)."""
        return np.array([p.data for p in self.parameters], dtype=np.float64)

    def _inputs(self, batches: tuple[Any, ...]) -> list[Array]:
        """Each batch checked and as an array, one row per example."""
        if len(batches) != len(self._shapes):
            raise TypeError(
                f"{_WHO}: the function was traced with {len(self._shapes)} argument(s) "
                f"(as in the example), got {len(batches)} batch(es)"
            )
        arrays: list[Array] = []
        for i, (batch, shape) in enumerate(zip(batches, self._shapes)):
            what = f"argument {i + 1}"
            array = numeric_batch(batch, _WHO, what)
            if array.ndim == 0:
                raise TypeError(
                    f"{_WHO}: {what} must be a batch: a list with one item per example, "
                    "got a single number"
                )
            if array.shape[0] == 0:
                raise ValueError(f"{_WHO}: {what} is an empty batch (no examples)")
            if array.shape[1:] != shape:
                raise ValueError(
                    f"{_WHO}: {what}: each example must be {describe_shape(shape)} (as in the "
                    f"example), got {describe_shape(array.shape[1:])}"
                )
            if arrays and array.shape[0] != arrays[0].shape[0]:
                raise ValueError(
                    f"{_WHO}: the batches have different lengths: argument 1 has "
                    f"{arrays[0].shape[0]} example(s), {what} has {array.shape[0]}"
                )
            arrays.append(array)
        return arrays


def compile(fn: Callable[..., Any], *, example: tuple[Any, ...]) -> Compiled:  # noqa: A001
    """Trace ``fn`` once on ``example`` (one item per argument) for fast batched replay."""
    return build(fn, example, Strategy())


def build(fn: Callable[..., Any], example: tuple[Any, ...], strategy: Strategy) -> Compiled:
    """``compile`` with a chosen ``Strategy`` (the benchmark measures each optimisation)."""
    graph = trace(fn, example, _WHO, rewrite=strategy.rewrite)
    return Compiled(graph, schedule(graph, strategy))
