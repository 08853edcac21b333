"""A graph holds no reference cycles: dropping it frees it by reference counting alone.

Each node keeps its operands and the numbers of its local derivatives, and nothing that
points back at it (no closures, no parent links), so CPython frees a dropped graph at once,
without waiting for the cycle collector.  These tests switch the collector off, build and
drop many graphs of every kind, and check that memory stays flat and that the collector
then finds nothing to collect.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

import autograd
import nn
from autograd import PRIMITIVES, Value, grad, no_grad
from nn.losses import cross_entropy, mse

# Arguments inside every primitive's domain and away from its kinks.
OPERANDS = {"pow": (1.5, 2.5), "log": (1.5,), "sqrt": (1.5,), "sum": (0.5, -1.5, 2.0)}


def _every_primitive() -> None:
    xs = [Value(0.5 + i, label=f"x{i}") for i in range(3)]
    outputs = []
    for name, prim in PRIMITIVES.items():
        args = [Value(v) for v in OPERANDS.get(name, (0.75, -1.25))]
        if name == "dot":
            outputs.append(autograd.dot(args, xs[: len(args)]))
        elif name == "sum":
            outputs.append(autograd.sum([*args, *xs]))
        elif name == "logsumexp":
            outputs.append(autograd.logsumexp([*args, *xs]))
        elif name == "select":
            outputs.append(autograd.select(Value(1.0), [*args, *xs]))
        elif prim.arity == 1:
            outputs.append(getattr(args[0], name)())
        else:
            method = {"add": Value.__add__, "mul": Value.__mul__, "pow": Value.__pow__}[name]
            outputs.append(method(args[0], args[1]))
    total = autograd.sum(outputs) * xs[0] - xs[1] / xs[2]
    total.backward()
    grad(total, xs)
    (dx,) = grad(total, xs[:1], create_graph=True)
    dx.backward()


def _training_step() -> None:
    model = nn.MLP(2, [4, 3], activation="tanh", seed=1)
    batch = [[0.5, -1.0], [1.5, 0.25]]
    loss = cross_entropy([model(x) for x in batch], [0, 2]) + mse([model(batch[0])[0]], [1.0])
    model.zero_grad()
    loss.backward()
    with no_grad():
        model(batch[1])


def _long_chain() -> None:
    x = Value(1.0)
    y = x
    for _ in range(2000):
        y = y * 1.0001 + 0.0001
    y.backward()


@contextmanager
def _collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("build", [_every_primitive, _training_step, _long_chain])
def test_dropped_graphs_are_freed_without_the_cycle_collector(build: Callable[[], None]) -> None:
    with _collector_off():
        build()  # first use fills the interpreter's caches (interned strings, imports)
        tracemalloc.start()
        try:
            for _ in range(20):
                build()
            after_20, _ = tracemalloc.get_traced_memory()
            for _ in range(100):
                build()
            after_120, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # Any cycle per graph would leak at least one node (~150 bytes) per build: 100
        # builds would add >= 15 kB.  Allow 4 kB of interpreter noise (free lists, caches).
        assert after_120 - after_20 < 4_000
        assert gc.collect() == 0


def test_a_value_is_one_small_object() -> None:
    x, y = Value(2.0), Value(3.0)
    z = x * y
    # Nothing per node but the node and its floats: no dict, no closure, no children tuple.
    assert not hasattr(z, "__dict__")
    referents = gc.get_referents(z)
    others = [r for r in referents if type(r) is not float and r is not None]
    assert {id(r) for r in others} == {id(r) for r in [Value, z.label, z.primitive, x, y]}
