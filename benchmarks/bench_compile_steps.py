"""What each step of the compiled engine's scheduling gains, on micrograd's demo training step.

W1: an MLP 2 -> 16 -> 16 -> 1 (ReLU hidden, linear output) on 100 two-moons points, the
per-example hinge loss relu(1 - y * score) plus 1e-4 * Σ p² (written with Python's ``sum``,
as micrograd's demo does), full batch: forward, backward and a plain Python SGD update of
the 337 parameters.  Timed side by side in one run:

* micrograd 0.1.0 (if installed) and our eager engine, as in micrograd's demo;
* the compiled step with the scheduling optimisations switched on one after another
  (``autograd.compiled.Strategy``), and with each one switched off from the full set;
* PyTorch (if installed), batched in float64, the same step.

Then the same for W5's network, where layers are large: ``nn.MLP(784, [128, 10])`` with
cross-entropy on a batch of 64 synthetic images, one update as ``nn.fit(compiled=True)`` runs
it (``mean_and_gradient`` and ``SGD.step_arrays``), with and without ``Strategy.matmul`` (a
layer's dot products as one matrix product), against PyTorch.

Run with ``python benchmarks/bench_compile_steps.py``.  The contenders are timed in
alternation, round by round (a shared machine drifts); each figure is the median over rounds,
and each ratio the median of the per-round ratios.  The ratios are what matters.  numpy's
BLAS and PyTorch run on one thread each, as in ``suite.py`` (two-thread runs on a shared
2-core machine vary tenfold).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import autograd
import nn
from autograd.compiled import Strategy, build
from autograd.compiled.program import describe
from demos.datasets import two_moons

LR = 0.05
ALPHA = 1e-4


def data(n: int) -> tuple[list[list[float]], list[float]]:
    """Two moons with labels -1 and +1, as micrograd's demo."""
    xs, labels = two_moons(n, noise=0.1, seed=1)
    return xs, [2.0 * y - 1.0 for y in labels]


def seconds_per_call(step: Callable[[], Any], calls: int) -> float:
    """Collect garbage (untimed), then time ``calls`` calls of ``step``: seconds per call."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return (time.perf_counter() - start) / calls


def micrograd_step(xs: list[list[float]], ys: list[float]) -> Callable[[], Any] | None:
    try:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP as MMLP
    except ImportError:
        return None
    model = MMLP(2, [16, 16, 1])

    def step() -> None:
        inputs = [list(map(MValue, x)) for x in xs]
        scores = list(map(model, inputs))
        losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + ALPHA * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= LR * p.grad

    return step


def w1_model() -> tuple[nn.MLP, list[autograd.Value]]:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return model, model.parameters()


def per_example_loss(model: nn.MLP, params: list[autograd.Value]) -> Callable[..., Any]:
    def loss(x: Any, y: Any) -> autograd.Value:
        score = model(x)
        return (1 + -y * score).relu() + ALPHA * sum(p * p for p in params)

    return loss


def eager_step(xs: list[list[float]], ys: list[float]) -> Callable[[], Any]:
    model, params = w1_model()
    loss = per_example_loss(model, params)

    def step() -> None:
        total = autograd.sum([loss(x, y) for x, y in zip(xs, ys)]) / len(xs)
        model.zero_grad()
        total.backward()
        for p in params:
            p.data -= LR * p.grad

    return step


def compiled_step(
    xs: list[list[float]], ys: list[float], strategy: Strategy
) -> tuple[Callable[[], Any], Any]:
    model, params = w1_model()
    compiled = build(per_example_loss(model, params), (xs[0], ys[0]), strategy)

    def step() -> None:
        for p in params:
            p.grad = 0.0
        compiled.backward(xs, ys)
        for p in params:
            p.data -= LR * p.grad

    return step, compiled


def torch_step(xs: list[list[float]], ys: list[float]) -> Callable[[], Any] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    ).double()
    params = list(model.parameters())
    x = torch.tensor(xs, dtype=torch.float64)
    y = torch.tensor(ys, dtype=torch.float64)

    def step() -> None:
        scores = model(x).squeeze(1)
        total = torch.relu(1 - y * scores).mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad

    return step


NONE = Strategy(grouped=False, fast_scatter=False, invariant=False, patterns=False, rewrite=False)
# The exact merging comes first: without it, Python's sum() over the 337 squares is a chain
# 337 additions deep, one depth each, which no grouping by depth can shorten.
CUMULATIVE = [
    ("one step per node, np.add.at", NONE),
    ("+ exact sum/bias merging", replace(NONE, rewrite=True)),
    ("+ grouped by (depth, primitive, arity)", replace(NONE, rewrite=True, grouped=True)),
    (
        "+ slices / unique += / reduceat scatter",
        replace(NONE, rewrite=True, grouped=True, fast_scatter=True),
    ),
    ("+ parameter-only nodes once per batch", replace(Strategy(), patterns=False, matmul=False)),
    ("+ views, shared rows, matmul backward", replace(Strategy(), matmul=False)),
    ("+ layers as one matrix product (default)", Strategy()),
]
ABLATIONS = ["grouped", "fast_scatter", "invariant", "patterns", "rewrite", "matmul"]


def dense_update(strategy: Strategy) -> Callable[[], Any]:
    """One W5 update (784-128-10, cross-entropy, batch 64) compiled with ``strategy``."""
    import numpy as np

    from nn.losses import cross_entropy

    rng = np.random.default_rng(0)
    xs, ys = rng.random((64, 784)), rng.integers(0, 10, 64).astype(np.float64)
    model = nn.MLP(784, [128, 10], seed=0)
    step = build(lambda x, y: cross_entropy(model(x), y), (xs[0].tolist(), ys[0]), strategy)
    data = np.array([p.data for p in step.parameters])
    optimizer = nn.SGD(step.parameters, LR)

    def update() -> None:
        _, grad = step.mean_and_gradient(data, xs, ys)
        optimizer.step_arrays(data, grad)

    return update


def torch_dense_update() -> Callable[[], Any] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    ).double()
    params = list(model.parameters())
    x = torch.rand(64, 784, dtype=torch.float64)
    y = torch.randint(0, 10, (64,))

    def update() -> None:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad

    return update


def time_dense(rounds: int) -> None:
    """Print the W5 table: the default schedule, without matmul, and PyTorch."""
    cases: list[tuple[str, Callable[[], Any], int]] = [
        ("compiled, default", dense_update(Strategy()), 20),
        ("compiled, without matmul", dense_update(replace(Strategy(), matmul=False)), 3),
    ]
    torch_update = torch_dense_update()
    if torch_update is not None:
        cases.append(("PyTorch, float64", torch_update, 20))
    for _, update, _ in cases:
        update()  # warm up
    seconds: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(rounds):
        for name, update, calls in cases:
            seconds[name].append(seconds_per_call(update, calls))
    print(f"\nW5: MLP 784-128-10, cross-entropy, batch 64, one update, median of {rounds} rounds\n")
    print(f"{'contender':<48} {'ms/update':>9} {'x default':>10}")
    default = cases[0][0]
    for name, _, _ in cases:
        median = statistics.median(seconds[name])
        ratio = statistics.median(a / b for a, b in zip(seconds[name], seconds[default]))
        print(f"{name:<48} {median * 1e3:9.3f} {ratio:10.2f}")


def main(argv: list[str] | None = None) -> int:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=100, help="batch size (two-moons points)")
    args = parser.parse_args(argv)
    with one_thread_each():
        return run(args.n, args.rounds)


@contextlib.contextmanager
def one_thread_each() -> Iterator[None]:
    """numpy's BLAS (if threadpoolctl is there) and PyTorch (if installed) on one thread."""
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def run(n: int, rounds: int) -> int:
    """Time every contender and print the tables."""
    xs, ys = data(n)

    # (name, step, calls per round); slow contenders make fewer calls per round.
    cases: list[tuple[str, Callable[[], Any], int]] = []
    notes: dict[str, str] = {}
    for name, maybe, calls in [
        ("micrograd 0.1.0", micrograd_step(xs, ys), 1),
        ("eager (ours)", eager_step(xs, ys), 2),
        ("PyTorch, batched float64", torch_step(xs, ys), 200),
    ]:
        if maybe is None:
            print(f"{name}: not installed, skipped")
        else:
            cases.append((name, maybe, calls))
    for name, strategy in CUMULATIVE:
        step, compiled = compiled_step(xs, ys, strategy)
        cases.append((name, step, 200 if strategy.grouped else 20))
        notes[name] = f"{len(compiled._program.steps)} replay steps"
    for flag in ABLATIONS:
        name = f"default without {flag}"
        step, compiled = compiled_step(xs, ys, replace(Strategy(), **{flag: False}))
        cases.append((name, step, 20 if flag == "grouped" else 200))
        notes[name] = f"{len(compiled._program.steps)} replay steps"

    for _, step, _ in cases:
        step()  # warm up
    seconds: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for round_number in range(rounds):
        for name, step, calls in cases:
            seconds[name].append(seconds_per_call(step, calls))
        print(f"round {round_number + 1}/{rounds} done", file=sys.stderr, flush=True)

    print("\nThe default schedule of W1's step, one replay step per line:", file=sys.stderr)
    for line in describe(compiled_step(xs, ys, Strategy())[1]._program):
        print(f"  {line}", file=sys.stderr)
    default = CUMULATIVE[-1][0]
    print(
        f"\nW1: MLP 2-16-16-1, {n} points, hinge + L2 (Python sum), "
        f"forward + backward + SGD, median of {rounds} rounds\n"
    )
    print(f"{'contender':<48} {'ms/step':>9} {'x default':>10}  notes")
    for name, _, _ in cases:
        median = statistics.median(seconds[name])
        ratio = statistics.median(a / b for a, b in zip(seconds[name], seconds[default]))
        print(f"{name:<48} {median * 1e3:9.3f} {ratio:10.2f}  {notes.get(name, '')}")
    time_dense(rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
