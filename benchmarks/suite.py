"""Issue 6's benchmark suite: our engine against micrograd 0.1.0, in one run, alternating.

    python benchmarks/suite.py            # make bench: the table, also written to
                                          # benchmarks/results.md
    python benchmarks/suite.py --quick    # make bench-quick (CI): tiny sizes, checks only

Workloads (``workloads.py``): W1 trains a 2-16-16-1 ReLU MLP for 20 steps on 100 two-moons
points; W2 backpropagates through a 100,000- and a 1,000,000-step chain; W3 sums 200,000
products a_i*b_i and backpropagates (time, and peak memory per node measured in a separate
process per engine); W4 builds the DOT source of a 20,001-Value graph.  W1 also runs with
``autograd.compile`` and, when PyTorch is installed, as batched float64 PyTorch code.  W5
(784-128-10 on synthetic images) and W6 (64-32-10 on scikit-learn's digits) time a whole
update with cross-entropy, compiled, against PyTorch float64 and our eager engine.

Each comparison is checked to be of the same work (W1's final losses agree to 1e-9, W3's
gradients to 1e-12, W5's and W6's losses to 1e-9): a failed check exits with status 1 and
writes nothing.  A missed
speed or memory target is shown in the table ("**NO**") and does not change the status.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import bench_render
import floor
import workloads as wl
from timing import Case, Timings, alternate, time_once

RESULTS = Path(__file__).resolve().parent / "results.md"
"""Where a full run writes its table (committed; the README quotes it)."""

LOSS_TOLERANCE = 1e-9
"""W1: the final losses of the two engines must agree this closely (absolute)."""

GRAD_TOLERANCE = 1e-12
"""W3: sampled gradients must agree this closely (relative)."""

CHILD_TIMEOUT = 900
"""Seconds a measuring subprocess may take before it counts as failed."""


@dataclass(frozen=True)
class Sizes:
    """How big each workload is and how many alternating rounds it gets."""

    w1_points: int = 100
    w1_steps: int = 20
    w1_rounds: int = 5
    torch_rounds: int = 15
    w2_steps: tuple[int, int] = (100_000, 1_000_000)
    w2_rounds: int = 3
    w3_products: int = 200_000
    w3_rounds: int = 3
    tracemalloc_products: int = 5_000
    w4_pairs: int = 5_000
    w4_rounds: int = 5
    dense_batch: int = 64
    w5_examples: int = 1_280
    w5_updates: int = 20
    w5_eager_updates: int = 1
    w5_rounds: int = 5
    w6_updates: int = 50
    w6_eager_updates: int = 5
    w6_fit_epochs: int = 10
    w6_rounds: int = 7


FULL = Sizes()
QUICK = Sizes(
    w1_steps=2,
    w1_rounds=1,
    torch_rounds=1,
    w2_steps=(1_000, 10_000),
    w2_rounds=1,
    w3_products=2_000,
    w3_rounds=1,
    tracemalloc_products=2_000,
    w4_pairs=125,
    w4_rounds=1,
    dense_batch=8,
    w5_examples=32,
    w5_updates=2,
    w6_updates=2,
    w6_eager_updates=1,
    w6_fit_epochs=1,
    w5_rounds=1,
    w6_rounds=1,
)


@dataclass
class Row:
    """One line of the results table."""

    workload: str
    ours: str
    baseline: str
    ratio: str = "—"
    target: str = "—"
    met: str = "info"


@dataclass
class Run:
    """State shared by the sections of one suite run: sizes, mode, checks and notes."""

    sizes: Sizes
    quick: bool
    started: float = field(default_factory=time.perf_counter)
    failures: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    def log(self, message: str) -> None:
        """Progress on stderr (the table goes to stdout)."""
        print(f"[{time.perf_counter() - self.started:6.1f} s] {message}", file=sys.stderr,
              flush=True)

    def fail(self, message: str) -> None:
        """Record a failed correctness check (the run then exits with status 1)."""
        self.failures.append(message)
        print(f"CHECK FAILED: {message}", file=sys.stderr, flush=True)

    def agree(self, what: str, ours: float, reference: float, tolerance: float,
              relative: bool = False) -> None:
        """Check |ours - reference| <= tolerance (times |reference| if ``relative``)."""
        allowed = tolerance * abs(reference) if relative else tolerance
        if not abs(ours - reference) <= allowed:
            kind = "relative " if relative else ""
            self.fail(f"{what}: {ours!r} vs {reference!r} (difference "
                      f"{abs(ours - reference):.3g}, {kind}tolerance {tolerance:g})")

    def judge(self, value: float | None, limit: float) -> str:
        """The "met?" cell: yes, **NO**, or why it was not judged."""
        if value is None:
            return "not measured"
        if self.quick:
            return "not judged (quick)"
        return "yes" if value <= limit else "**NO**"


# --- formatting ---------------------------------------------------------------------------


def fmt_time(seconds: float | None) -> str:
    """Seconds in a readable unit."""
    if seconds is None:
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_times(factor: float) -> str:
    """A factor like 14.2 or 8,130."""
    return f"{factor:,.0f}" if factor >= 100 else f"{factor:.1f}"


def fmt_ratio(ratio: float | None, better: str = "faster", worse: str = "slower") -> str:
    """ours/baseline, with what it means in words."""
    if ratio is None:
        return "—"
    if ratio <= 0:
        return f"{ratio:.3g}"
    if ratio < 1:
        return f"{ratio:.3g} ({fmt_times(1 / ratio)}× {better})"
    return f"{ratio:.3g} ({fmt_times(ratio)}× {worse})"


def fmt_limit(limit: float, better: str = "faster") -> str:
    """A target on ours/baseline, e.g. "≤ 0.1 (≥ 10× faster)"."""
    if limit >= 1:
        return f"≤ {limit:g}"
    return f"≤ {limit:.3g} (≥ {round(1 / limit, 1):,g}× {better})"


def engine_value(engine: str) -> type:
    """The Value class of "ours" or "micrograd"."""
    if engine == "ours":
        from autograd import Value

        return Value
    from micrograd.engine import Value as MicrogradValue

    return MicrogradValue  # type: ignore[no-any-return]


def recursion_needed(depth: int) -> int:
    """A recursion limit that lets micrograd's recursive sort walk a ``depth``-deep chain."""
    return max(sys.getrecursionlimit(), depth + 10_000)


@contextlib.contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    """Raise the interpreter's recursion limit inside the block (micrograd's runs only)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def find_compile() -> tuple[Callable[..., Any] | None, str]:
    """``autograd.compile`` if it exists, else None and why."""
    try:
        from autograd import compile as compile_fn
    except (ImportError, AttributeError) as exc:
        return None, f"not available ({type(exc).__name__})"
    return compile_fn, "available"


def find_torch() -> tuple[Any, str]:
    """The torch module if ``import torch`` succeeds, else None and "not installed"."""
    try:
        import torch
    except ImportError:
        return None, "not installed"
    return torch, f"torch {torch.__version__}"


# --- subprocesses -------------------------------------------------------------------------


def run_child(run: Run, *args: str) -> dict[str, Any]:
    """Run this module with ``--child ...`` and return the JSON it prints last."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"status": f"timed out after {CHILD_TIMEOUT} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        try:
            result: dict[str, Any] = json.loads(lines[-1])
            return result
        except json.JSONDecodeError:
            pass
    code = done.returncode
    how = f"signal {-code}" if code < 0 else f"exit status {code}"
    tail = done.stderr.strip().splitlines()[-3:]
    run.log(f"child {' '.join(args)} crashed ({how}): {' / '.join(tail)}")
    return {"status": f"crashed ({how})"}


def current_rss() -> int:
    """Resident memory of this process now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0); False if that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def peak_rss() -> int:
    """Peak resident memory of this process in bytes (since the last reset, if any)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_memory(engine: str, n: int, method: str) -> dict[str, Any]:
    """In a fresh process: peak memory of building W3's graph and backpropagating."""
    value_cls = engine_value(engine)
    if engine == "micrograd":
        sys.setrecursionlimit(recursion_needed(n))
    a, b = wl.wide_inputs(n)  # the input floats are not part of the graph's cost
    gc.collect()
    try:
        if method == "tracemalloc":
            tracemalloc.start()
            graph = wl.wide_sum(value_cls, a, b)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        else:
            # Without a reset, ru_maxrss may still hold a peak from start-up; at full size the
            # graph's peak is far above it.
            how = "VmHWM" if reset_peak_rss() else "ru_maxrss"
            before = current_rss()
            graph = wl.wide_sum(value_cls, a, b)
            peak = peak_rss() - before
            method = f"rss ({how})"
    except RecursionError:
        return {"status": "RecursionError", "limit": sys.getrecursionlimit()}
    xs = graph[1]
    return {"status": "ok", "bytes": peak, "nodes": wl.wide_nodes(n), "method": method,
            "grad": xs[0].grad, "expected": b[0]}


def child_deep_micrograd(steps: int) -> dict[str, Any]:
    """In a fresh process, default recursion limit: W2 on micrograd."""
    value_cls = engine_value("micrograd")
    root, x0 = wl.deep_chain(value_cls, steps)
    start = time.perf_counter()
    try:
        root.backward()
    except RecursionError:
        return {"status": "RecursionError", "limit": sys.getrecursionlimit()}
    return {"status": "ok", "seconds": time.perf_counter() - start, "grad": x0.grad}


# --- W1: training -------------------------------------------------------------------------


@dataclass
class Training:
    """What W1 leaves for the PyTorch comparison."""

    rows: list[Row]
    reference_loss: float | None
    weights: list[float]
    xs: list[list[float]]
    ys: list[int]
    compile_fn: Callable[..., Any] | None
    compile_status: str


def compiled_case(compile_fn: Callable[..., Any], weights: list[float], xs: list[list[float]],
                  ys: list[int], steps: int) -> Case:
    """W1's training with ``autograd.compile``: a fresh model and trace per run (untimed)."""
    def prepare() -> Callable[[], float]:
        model = wl.our_mlp(weights)
        step = wl.compile_step(model, compile_fn, xs, ys)
        return functools.partial(wl.train_compiled, model, step, xs, ys, steps)

    return Case("compiled", prepare)


def bench_training(run: Run) -> Training:
    """W1: micrograd's demo loop on both engines, our chain-style variant, compiled."""
    sizes = run.sizes
    steps = sizes.w1_steps
    xs, ys = wl.moons(sizes.w1_points)
    weights = wl.initial_weights()
    ours_cls, micrograd_cls = engine_value("ours"), engine_value("micrograd")
    compile_fn, compile_status = find_compile()
    run.log(f"W1: {len(weights)} parameters, {len(xs)} points, {steps} steps, "
            f"{sizes.w1_rounds} rounds; autograd.compile {compile_status}")

    cases = [
        Case("ours", lambda: functools.partial(
            wl.train, wl.our_mlp(weights), ours_cls, xs, ys, steps)),
        Case("micrograd", lambda: functools.partial(
            wl.train, wl.micrograd_mlp(), micrograd_cls, xs, ys, steps)),
        Case("chains", lambda: functools.partial(
            wl.train, wl.ElementwiseMLP(wl.our_mlp(weights)), ours_cls, xs, ys, steps)),
    ]
    trace_seconds = None
    if compile_fn is not None:
        model, traced = wl.our_mlp(weights), compile_fn
        try:
            trace_seconds, _ = time_once(lambda: wl.compile_step(model, traced, xs, ys))
        except Exception as exc:  # a broken compile is reported, not hidden
            run.fail(f"W1: autograd.compile failed to trace the step: {exc!r}")
            compile_fn, compile_status = None, f"error ({type(exc).__name__})"

    if compile_fn is not None:
        cases.append(compiled_case(compile_fn, weights, xs, ys, steps))

    timings = alternate(cases, sizes.w1_rounds, progress=run.log)
    reference = check_losses(run, "W1", timings, [c.name for c in cases])

    per_step = 1 / steps
    ours, theirs = timings.median("ours"), timings.median("micrograd")
    rows = [
        Row(f"W1 training, our `nn.MLP` (`autograd.dot` neurons), {steps} steps",
            fmt_time(ours), micrograd_cell(timings, "micrograd"),
            fmt_ratio(timings.ratio("ours", "micrograd")), fmt_limit(1 / 40),
            run.judge(timings.ratio("ours", "micrograd"), 1 / 40)),
        Row("W1 training, our Value with micrograd-style neurons `sum(w*x, b)`",
            fmt_time(timings.median("chains")), micrograd_cell(timings, "micrograd"),
            fmt_ratio(timings.ratio("chains", "micrograd")), fmt_limit(0.1),
            run.judge(timings.ratio("chains", "micrograd"), 0.1)),
    ]
    compiled = timings.median("compiled")
    trace = f" (trace {fmt_time(trace_seconds)}, once, untimed)" if trace_seconds else ""
    rows.append(Row(
        f"W1 compiled (`autograd.compile`), per step{trace}",
        fmt_time(compiled * per_step) if compiled is not None else compile_status,
        f"micrograd {fmt_time(theirs * per_step)}" if theirs is not None else "—",
        fmt_ratio(timings.ratio("compiled", "micrograd")), fmt_limit(0.001),
        run.judge(timings.ratio("compiled", "micrograd"), 0.001)))
    return Training(rows, reference, weights, xs, ys, compile_fn, compile_status)


def micrograd_cell(timings: Timings, name: str) -> str:
    """micrograd's median time, or how it failed."""
    if name in timings.failures:
        return timings.failures[name]
    return fmt_time(timings.median(name))


def check_losses(run: Run, workload: str, timings: Timings, names: list[str],
                 reference_name: str = "micrograd") -> float | None:
    """Every run's final loss must equal micrograd's to LOSS_TOLERANCE; returns micrograd's."""
    reference_runs = timings.summaries.get(reference_name, [])
    if not reference_runs:
        run.fail(f"{workload}: micrograd did not run "
                 f"({timings.failures.get(reference_name, 'no result')}), nothing to compare")
        return None
    reference = float(reference_runs[0])
    if not math.isfinite(reference):
        run.fail(f"{workload}: micrograd's final loss is {reference!r}")
    for name in names:
        if name in timings.failures:
            run.fail(f"{workload} {name}: failed with {timings.failures[name]}")
        for i, loss in enumerate(timings.summaries.get(name, [])):
            run.agree(f"{workload} final loss, {name} (round {i + 1}) vs micrograd",
                      float(loss), reference, LOSS_TOLERANCE)
    run.log(f"{workload}: final loss {reference!r}, all contenders agree to {LOSS_TOLERANCE:g}")
    return reference


def bench_torch(run: Run, training: Training) -> list[Row]:
    """W1 compiled against PyTorch's batched float64 step, alternating."""
    sizes = run.sizes
    steps = sizes.w1_steps
    torch, torch_status = find_torch()
    workload = "W1 compiled vs PyTorch batched float64, per step"
    if torch is None:
        return [Row(workload, fmt_compiled_status(training), torch_status, "—", fmt_limit(1),
                    "not measured")]
    run.log(f"W1 vs {torch_status} ({torch.get_num_threads()} threads), "
            f"{sizes.torch_rounds} rounds")
    weights, xs, ys = training.weights, training.xs, training.ys
    cases = []
    compile_fn = training.compile_fn
    if compile_fn is not None:
        cases.append(compiled_case(compile_fn, weights, xs, ys, steps))
    cases.append(Case("torch", lambda: functools.partial(
        wl.torch_trainer(weights, xs, ys), steps)))
    timings = alternate(cases, sizes.torch_rounds, progress=run.log)
    if training.reference_loss is not None:
        for name in timings.summaries:
            for i, loss in enumerate(timings.summaries[name]):
                run.agree(f"W1 final loss, {name} (torch section, round {i + 1}) vs micrograd",
                          float(loss), training.reference_loss, LOSS_TOLERANCE)
    compiled, theirs = timings.median("compiled"), timings.median("torch")
    ratio = timings.ratio("compiled", "torch")
    run.notes["torch"] = (
        f"PyTorch: {torch_status}, the same step as batched float64 tensor code (`X @ W.T + "
        "b`, ReLU, hinge, L2, `backward()`, in-place SGD under `no_grad`); its final loss "
        "agrees with "
        f"micrograd's to {LOSS_TOLERANCE:g} (checked). {sizes.torch_rounds} rounds of "
        f"{steps} steps, compiled and PyTorch alternating.")
    return [Row(workload,
                fmt_time(compiled / steps) if compiled is not None
                else fmt_compiled_status(training),
                f"torch {fmt_time(theirs / steps)}" if theirs is not None else "—",
                fmt_ratio(ratio), fmt_limit(1), run.judge(ratio, 1))]


def fmt_compiled_status(training: Training) -> str:
    """How the compiled contender stands when it was not timed."""
    return training.compile_status if training.compile_fn is None else "—"


# --- W5 and W6: dense networks with cross-entropy ----------------------------------------

DENSE_TOLERANCE = 1e-9
"""W5, W6: every contender's loss at each update agrees with the compiled one this closely
(relative): the same updates from the same weights, on the same batches."""


@dataclass
class Dense:
    """One dense workload: its data, batches, starting model and traced step."""

    name: str
    what: str
    xs: Any
    ys: Any
    batches: list[Any]
    model: Any
    step: Any
    trace_seconds: float


def dense_workload(run: Run, name: str, what: str, layer_sizes: tuple[int, ...], xs: Any,
                   ys: Any, updates: int) -> Dense:
    """The batches, the starting model, and its traced step (timed once)."""
    batches = wl.dense_batches(len(xs), run.sizes.dense_batch, updates)
    model = wl.dense_mlp(layer_sizes)
    seconds, step = time_once(lambda: wl.cross_entropy_step(model, xs, ys))
    run.log(f"{name}: {what}, {len(step.parameters):,} parameters, traced in "
            f"{fmt_time(seconds)}")
    return Dense(name, what, xs, ys, batches, model, step, seconds)


def check_dense_losses(run: Run, dense: Dense, timings: Timings) -> None:
    """Every contender's losses, update by update, against the compiled run's."""
    reference_runs = timings.summaries.get("compiled", [])
    if not reference_runs:
        run.fail(f"{dense.name}: the compiled run failed: {timings.failures.get('compiled')}")
        return
    reference = reference_runs[0]
    for name, runs in timings.summaries.items():
        for i, losses in enumerate(runs):
            for k, (loss, expected) in enumerate(zip(losses, reference)):
                run.agree(f"{dense.name} loss of update {k + 1}, {name} (round {i + 1}) vs "
                          "compiled", loss, expected, DENSE_TOLERANCE, relative=True)
    run.log(f"{dense.name}: losses agree to {DENSE_TOLERANCE:g} (relative), "
            f"last {reference[-1]!r}")


def bench_dense_update(run: Run, dense: Dense, rounds: int, eager_updates: int,
                       limit: float) -> list[Row]:
    """One workload's update: compiled, eager and PyTorch, alternating; the rows."""
    import numpy as np

    torch, torch_status = find_torch()
    updates = len(dense.batches)
    start = np.array([p.data for p in dense.step.parameters])
    x_lists, y_ints = dense.xs.tolist(), [int(y) for y in dense.ys]
    layer_sizes = (dense.model.nin, *dense.model.sizes)
    def eager() -> Callable[[], list[float]]:
        model = wl.dense_mlp(layer_sizes)  # the same starting weights
        return functools.partial(wl.train_dense_eager, model,
                                 wl.dense_optimizer(model.parameters()), x_lists, y_ints,
                                 dense.batches[:eager_updates])

    cases = [
        Case("compiled", lambda: functools.partial(
            wl.train_dense_compiled, dense.step, wl.dense_optimizer(dense.step.parameters),
            start.copy(), dense.xs, dense.ys, dense.batches)),
        Case("eager", eager),
    ]
    if torch is not None:
        cases.append(Case("torch", lambda: wl.torch_dense_trainer(
            dense.model, dense.xs, dense.ys, dense.batches)))
    run.log(f"{dense.name}: {updates} updates compiled and with {torch_status}, "
            f"{eager_updates} eager, {rounds} rounds")
    timings = alternate(cases, rounds, progress=run.log)
    check_dense_losses(run, dense, timings)

    def per_update(name: str, count: int) -> float | None:
        median = timings.median(name)
        return None if median is None else median / count

    compiled, eager = per_update("compiled", updates), per_update("eager", eager_updates)
    theirs = per_update("torch", updates)
    torch_cell = f"torch {fmt_time(theirs)}" if theirs is not None else torch_status
    ratio = timings.ratio("compiled", "torch")
    eager_ratio = timings.ratio("eager", "torch")
    if eager_ratio is not None:
        eager_ratio *= updates / eager_updates
    batch = run.sizes.dense_batch
    return [
        Row(f"{dense.name} {dense.what}, batch {batch}, cross-entropy: one update (forward, "
            "backward, SGD), compiled (`mean_and_gradient` + `SGD.step_arrays`, what "
            f"`nn.fit(compiled=True)` runs per update), {updates} updates",
            fmt_time(compiled), torch_cell, fmt_ratio(ratio), fmt_limit(limit),
            run.judge(ratio, limit)),
        Row(f"{dense.name} the same update with our eager engine ({eager_updates} "
            f"update{'s' if eager_updates > 1 else ''} timed)",
            fmt_time(eager), torch_cell, fmt_ratio(eager_ratio)),
    ]


def bench_dense_fit(run: Run, dense: Dense, epochs: int, rounds: int) -> list[Row]:
    """W6 through ``nn.fit(compiled=True)``, tracing included, against PyTorch's loop."""
    torch, torch_status = find_torch()
    updates = epochs * -(-len(dense.xs) // run.sizes.dense_batch)
    batches = wl.dense_batches(len(dense.xs), run.sizes.dense_batch, updates)
    x_lists, y_ints = dense.xs.tolist(), [int(y) for y in dense.ys]
    layer_sizes = (dense.model.nin, *dense.model.sizes)
    cases = [Case("compiled", lambda: functools.partial(
        wl.fit_dense_compiled, wl.dense_mlp(layer_sizes), x_lists, y_ints,
        run.sizes.dense_batch, epochs))]
    if torch is not None:
        cases.append(Case("torch", lambda: wl.torch_dense_trainer(
            dense.model, dense.xs, dense.ys, batches)))
    run.log(f"{dense.name}: nn.fit(compiled=True), {epochs} epochs ({updates} updates), "
            f"{rounds} rounds")
    timings = alternate(cases, rounds, progress=run.log)
    check_dense_losses(run, dense, timings)
    compiled, theirs = timings.median("compiled"), timings.median("torch")
    return [Row(
        f"{dense.name} with `nn.fit(compiled=True)`, {epochs} epochs ({updates} updates): the "
        "whole run, tracing and the first update's checks included, per update",
        fmt_time(compiled / updates) if compiled is not None else "—",
        f"torch {fmt_time(theirs / updates)}" if theirs is not None else torch_status,
        fmt_ratio(timings.ratio("compiled", "torch")))]


@contextlib.contextmanager
def one_thread_each() -> Iterator[str]:
    """numpy's BLAS and PyTorch on one thread each, restored after; says what it did.

    The same cores for both, and no thread of one library spinning while the other's wait:
    on a shared 2-core machine, two-thread runs of both vary by 10x and more from round to
    round.
    """
    torch, _ = find_torch()
    threads = torch.get_num_threads() if torch is not None else None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        limits: Any = contextlib.nullcontext()
        said = "numpy's BLAS threads not limited (threadpoolctl missing)"
    else:
        limits = threadpool_limits(limits=1, user_api="blas")
        said = "numpy's BLAS and PyTorch on one thread each"
    with limits:
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield said
        finally:
            if torch is not None and threads is not None:
                torch.set_num_threads(threads)


def bench_dense(run: Run) -> list[Row]:
    """W5 and W6: a dense network's update, compiled, against PyTorch and our eager engine."""
    with one_thread_each() as threads:
        rows = dense_rows(run)
    run.notes["dense"] += f" Threads: {threads}."
    return rows


def dense_rows(run: Run) -> list[Row]:
    """The rows of ``bench_dense``."""
    sizes = run.sizes
    xs, ys = wl.synthetic_images(sizes.w5_examples, wl.W5_SIZES[0], wl.W5_SIZES[-1])
    w5 = dense_workload(run, "W5", "784-128-10 (ReLU) on synthetic images", wl.W5_SIZES,
                        xs, ys, sizes.w5_updates)
    rows = bench_dense_update(run, w5, sizes.w5_rounds, sizes.w5_eager_updates, 2)
    rows.append(Row(f"W5 tracing the per-example loss once (`autograd.compile`, "
                    f"{len(w5.step.parameters):,} parameters; issue 13 asks for under 2 s)",
                    fmt_time(w5.trace_seconds), "—"))
    xs, ys = wl.digits()
    w6 = dense_workload(run, "W6", "64-32-10 (ReLU) on scikit-learn's 1,797 digits",
                        wl.W6_SIZES, xs, ys, sizes.w6_updates)
    rows += bench_dense_update(run, w6, sizes.w6_rounds, sizes.w6_eager_updates, 1.5)
    rows += bench_dense_fit(run, w6, sizes.w6_fit_epochs, sizes.w6_rounds)
    _, torch_status = find_torch()
    run.notes["dense"] = (
        f"W5, W6: `nn.MLP(784, [128, 10])` on {sizes.w5_examples:,} synthetic images "
        f"(pixels uniform in [0, 1), 10 random classes, seed {wl.IMAGE_SEED}) and "
        "`nn.MLP(64, [32, 10])` on scikit-learn's digits (pixels / 16), ReLU hidden layers, "
        f"per-example cross-entropy with a class index, batches of {sizes.dense_batch} from "
        f"`nn.batches` (seed 0), SGD with lr {wl.DENSE_LR}. The compiled update is "
        "`step.mean_and_gradient(data, X[batch], Y[batch])` and `SGD.step_arrays(data, "
        "grad)`, the parameters kept in one array (as `nn.fit(compiled=True)` runs it; "
        "tracing untimed, once). PyTorch "
        f"({torch_status}): the same weights, `X[batch] @ "
        "W.T + b`, ReLU, `F.cross_entropy`, `backward()`, in-place SGD under `no_grad`. Eager: "
        "our `nn.MLP` on the same batches, `backward()`, `SGD.step()`, fewer updates (an "
        "eager 784-128-10 update takes seconds). Every contender's loss at each update "
        f"agrees with the compiled one to {DENSE_TOLERANCE:g} (relative; checked). The "
        "`nn.fit` row times whole runs (a fresh model each round: tracing, the check of every "
        "target and of the first batch against the eager engine, the epochs' shuffles) "
        f"against PyTorch's loop over the same batches. Rounds: W5 {sizes.w5_rounds}, W6 "
        f"{sizes.w6_rounds}.")
    return rows


# --- W2: deep chain -----------------------------------------------------------------------


def collector_paused(run: Callable[[], Any]) -> Any:
    """Run ``run`` with CPython's cycle collector paused, then turn it back on."""
    gc.disable()
    try:
        return run()
    finally:
        gc.enable()


def bench_deep(run: Run) -> list[Row]:
    """W2: ours at two depths (linear scaling), micrograd in a subprocess (RecursionError)."""
    sizes = run.sizes
    short, long = sizes.w2_steps
    run.log(f"W2: micrograd at {short:,} steps in a subprocess (default recursion limit)")
    micrograd = run_child(run, "deep-micrograd", "--n", str(short))
    if micrograd["status"] == "RecursionError":
        micrograd_text = f"RecursionError (recursion limit {micrograd['limit']:,})"
    elif micrograd["status"] == "ok":
        micrograd_text = f"completed, backward {fmt_time(micrograd['seconds'])}"
    else:
        micrograd_text = str(micrograd["status"])
    run.log(f"W2: micrograd {micrograd_text}; ours at {short:,} and {long:,} steps, "
            f"{sizes.w2_rounds} rounds")

    ours_cls = engine_value("ours")

    # Each length runs twice per round: as user code does (collector on), and with the cycle
    # collector paused for the run.  The first is what a user sees; the second is the
    # engine's own scaling, without CPython's collector, whose full collections rescan the
    # whole (growing) heap and so cost more per node in a bigger graph.
    def chain_case(n: int, collector: bool) -> Case:
        build = functools.partial(wl.deep_chain_backward, ours_cls, n)
        return Case(f"{n} {'on' if collector else 'paused'}",
                    lambda: build if collector else functools.partial(collector_paused, build),
                    summarize=lambda graph: graph[1].grad)

    cases = [chain_case(n, collector) for collector in (True, False) for n in (short, long)]
    timings = alternate(cases, sizes.w2_rounds, expected_failures=(), progress=run.log)
    for case in cases:
        n = int(case.name.split()[0])
        for grad in timings.summaries[case.name]:
            run.agree(f"W2 d(result)/dx0 after {n:,} steps", grad, 1.0001**n, 1e-8,
                      relative=True)

    def per_node(name: str, n: int) -> float:
        return (timings.median(name) or 0.0) / wl.deep_chain_values(n)

    def scaling(mode: str) -> float | None:
        paired = timings.ratio(f"{long} {mode}", f"{short} {mode}")
        return None if paired is None else (
            paired * wl.deep_chain_values(short) / wl.deep_chain_values(long))

    def cell(n: int, mode: str) -> str:
        name = f"{n} {mode}"
        return f"{fmt_time(timings.median(name))} ({per_node(name, n) * 1e9:,.0f} ns/node)"

    def scaling_row(mode: str, what: str, judged: bool) -> Row:
        ratio = scaling(mode)
        return Row(f"W2 deep chain, {long:,} steps, {what}: time per node vs at {short:,}",
                   cell(long, mode), f"{short:,} steps: {cell(short, mode)}",
                   f"{ratio:.2f}" if ratio is not None else "—",
                   "≤ 1.3 (linear)" if judged else "—",
                   run.judge(ratio, 1.3) if judged else "info")

    return [
        Row(f"W2 deep chain, {short:,} steps ({wl.deep_chain_values(short):,} Values), "
            "build + backward", cell(short, "on"), micrograd_text),
        scaling_row("on", "garbage collector on (as user code; CPython's collector "
                    "included)", judged=False),
        scaling_row("paused", "collector paused for the run (the engine's own scaling)",
                    judged=True),
    ]


# --- W3: wide sum, and memory -------------------------------------------------------------


def bench_memory(run: Run) -> tuple[list[Row], dict[str, Any]]:
    """Peak memory per node of W3's graph, one subprocess per engine and method.

    Returns the rows and micrograd's full-size result, which tells whether micrograd can
    run W3 at all (its deep recursion might crash the interpreter: better a subprocess).
    """
    # tracemalloc counts every frame on the stack at each allocation (Python 3.9+), so under
    # micrograd's recursion, as deep as the graph, its cost grows with the square of the
    # size: it is measured on a smaller graph of the same shape.
    sizes = {"rss": run.sizes.w3_products, "tracemalloc": run.sizes.tracemalloc_products}
    labels = {"rss": "peak RSS growth", "tracemalloc": "tracemalloc peak"}
    results: dict[tuple[str, str], dict[str, Any]] = {}
    rows = []
    for method in ("rss", "tracemalloc"):
        n = sizes[method]
        nodes = wl.wide_nodes(n)
        for engine in ("ours", "micrograd"):
            run.log(f"W3 memory: {engine}, {method}, {n:,} products (subprocess)")
            result = run_child(run, "memory", "--engine", engine, "--n", str(n),
                               "--method", method)
            results[engine, method] = result
            if result["status"] == "ok":
                run.agree(f"W3 memory child ({engine}): d(sum)/da_0 = b_0", result["grad"],
                          result["expected"], GRAD_TOLERANCE, relative=True)
                run.log(f"  {result['bytes'] / nodes:.0f} B/node ({result['method']})")
            else:
                run.log(f"  {result['status']}")
                if engine == "ours" or run.quick:
                    run.fail(f"W3 memory ({method}): {engine} failed: {result['status']}")
        per_node: dict[str, float | None] = {}
        cells: dict[str, str] = {}
        for engine in ("ours", "micrograd"):
            result = results[engine, method]
            value = result["bytes"] / nodes if result["status"] == "ok" else None
            per_node[engine] = value
            cells[engine] = f"{value:.0f} B/node" if value is not None else str(result["status"])
        ours, theirs = per_node["ours"], per_node["micrograd"]
        ratio = ours / theirs if ours is not None and theirs else None
        rows.append(Row(
            f"W3 peak memory per node ({labels[method]}), {n:,} products = {nodes:,} nodes",
            cells["ours"], cells["micrograd"], fmt_ratio(ratio, "smaller", "larger"),
            fmt_limit(1 / 3, "smaller"), run.judge(ratio, 1 / 3)))
    return rows, results["micrograd", "rss"]


def bench_wide(run: Run, micrograd_probe: dict[str, Any]) -> list[Row]:
    """W3: builtin ``sum`` on both engines; ``autograd.sum`` and ``autograd.dot`` for us."""
    sizes = run.sizes
    n = sizes.w3_products
    a, b = wl.wide_inputs(n)
    indices = wl.sample_indices(n)
    ours_cls, micrograd_cls = engine_value("ours"), engine_value("micrograd")
    limit = recursion_needed(n)

    def summarize(graph: tuple[Any, list[Any], list[Any]]) -> tuple[float, list[float]]:
        root, xs, ys = graph
        return float(root.data), [float(xs[i].grad) for i in indices] + [
            float(ys[i].grad) for i in indices]

    def micrograd_run() -> Any:
        with recursion_limit(limit):
            return wl.wide_sum(micrograd_cls, a, b)

    cases = [Case("ours", lambda: functools.partial(wl.wide_sum, ours_cls, a, b),
                  summarize=summarize)]
    micrograd_ok = micrograd_probe["status"] == "ok"
    if micrograd_ok:
        cases.append(Case("micrograd", lambda: micrograd_run, summarize=summarize))
    cases += [
        Case("autograd.sum", lambda: functools.partial(wl.wide_sum, ours_cls, a, b, "sum"),
             summarize=summarize),
        Case("autograd.dot", lambda: functools.partial(wl.wide_sum, ours_cls, a, b, "dot"),
             summarize=summarize),
        # Why the builtin row misses: the collector's share, and what any engine could do.
        Case("ours, collector paused",
             lambda: functools.partial(collector_paused,
                                       functools.partial(wl.wide_sum, ours_cls, a, b)),
             summarize=summarize),
        Case("bare engine", lambda: functools.partial(wl.wide_sum, floor.BareValue, a, b),
             summarize=summarize),
        Case("minimal engine",
             lambda: functools.partial(wl.wide_sum, floor.MinimalValue, a, b),
             summarize=summarize),
    ]
    run.log(f"W3: {n:,} products, {sizes.w3_rounds} rounds"
            + ("" if micrograd_ok else f" (micrograd skipped: {micrograd_probe['status']})"))
    timings = alternate(cases, sizes.w3_rounds, progress=run.log)

    # The exact gradients are known (d/da_i = b_i, d/db_i = a_i); micrograd must match too.
    exact_grads = [b[i] for i in indices] + [a[i] for i in indices]
    reference_data = math.fsum(x * y for x, y in zip(a, b))
    micrograd_runs = timings.summaries.get("micrograd", [])
    if not micrograd_runs:
        failure = timings.failures.get("micrograd", micrograd_probe["status"])
        message = f"W3: micrograd did not run ({failure}) with recursion limit {limit:,}"
        if run.quick:
            run.fail(message)
        else:
            run.log(message + "; recorded in the table")
    for name in timings.summaries:
        for data, grads in timings.summaries.get(name, []):
            for k, (got, exact) in enumerate(zip(grads, exact_grads)):
                run.agree(f"W3 {name} gradient #{k}", got, exact, GRAD_TOLERANCE, relative=True)
            if micrograd_runs:
                for k, (got, theirs) in enumerate(zip(grads, micrograd_runs[0][1])):
                    run.agree(f"W3 {name} gradient #{k} vs micrograd", got, theirs,
                              GRAD_TOLERANCE, relative=True)
            run.agree(f"W3 {name} sum vs math.fsum", data, reference_data,
                      1e-9 * max(1.0, abs(reference_data)))
    if micrograd_runs:
        for data, _ in timings.summaries["ours"]:
            run.agree("W3 sum, ours vs micrograd (same additions, same order)", data,
                      micrograd_runs[0][0], GRAD_TOLERANCE, relative=True)
    if "ours" in timings.failures:
        run.fail(f"W3: our engine failed with {timings.failures['ours']}")

    micrograd_text = (micrograd_cell(timings, "micrograd") if micrograd_ok
                      else str(micrograd_probe["status"]))
    ratio = timings.ratio("ours", "micrograd")
    nary_ratio = timings.ratio("autograd.sum", "micrograd")
    run.notes["W3"] = (
        f"W3: micrograd's recursive topological sort needs `sys.setrecursionlimit` raised for "
        f"a {n:,}-deep chain of additions: the suite raises it to {limit:,} around micrograd's "
        "runs only (default 1,000). Gradients d/da_i and d/db_i at "
        f"{len(indices)} indices are checked against b_i, a_i and micrograd's to "
        f"{GRAD_TOLERANCE:g} (relative). The builtin row's 6× target is withdrawn, and the "
        "last three W3 rows explain why. With the collector paused, the same code runs about "
        "twice as fast: "
        "most of the time is CPython's generational collector rescanning the growing graph, "
        "and its cost grows with the bytes of every live node. The two engines of "
        "`benchmarks/floor.py` are not our library: they measure what one object per node "
        "allows here. `BareValue` is the barest engine W3 admits (no library could ship it); "
        "`MinimalValue` adds only the least a library needs (a label on every Value, input and "
        "overflow checks, grad mode, gradients that accumulate), keeping `+` and `*` inline "
        "as micrograd writes them. Their gradients are checked like ours.")
    return [
        Row(f"W3 wide: builtin `sum` of {n:,} products a_i·b_i, + backward (its 6× target "
            "is withdrawn: see the rows below)",
            fmt_time(timings.median("ours")), micrograd_text, fmt_ratio(ratio)),
        Row("W3 wide with `autograd.sum(products)` (one n-ary node: our library's sum)",
            fmt_time(timings.median("autograd.sum")), micrograd_text,
            fmt_ratio(nary_ratio), fmt_limit(1 / 6), run.judge(nary_ratio, 1 / 6)),
        Row("W3 wide with `autograd.dot(a, b)` (one n-ary node)",
            fmt_time(timings.median("autograd.dot")), micrograd_text,
            fmt_ratio(timings.ratio("autograd.dot", "micrograd"))),
        Row("W3 builtin `sum`, ours with the collector paused (`gc.disable()` around the "
            "run; not how the target is measured: the collector's share)",
            fmt_time(timings.median("ours, collector paused")), micrograd_text,
            fmt_ratio(timings.ratio("ours, collector paused", "micrograd"))),
        Row("W3 builtin `sum`, **not our library**: the barest engine W3 admits "
            "(`floor.BareValue`: 2-slot leaves, 4-slot nodes, `+` and `*` inline, no checks, "
            "labels or grad mode)",
            fmt_time(timings.median("bare engine")), micrograd_text,
            fmt_ratio(timings.ratio("bare engine", "micrograd"))),
        Row("W3 builtin `sum`, **not our library**: the bare engine plus labels, validation, "
            "grad mode and accumulating grads, `+` and `*` still inline "
            "(`floor.MinimalValue`)",
            fmt_time(timings.median("minimal engine")), micrograd_text,
            fmt_ratio(timings.ratio("minimal engine", "micrograd"))),
    ]


# --- W4: drawing --------------------------------------------------------------------------


def bench_drawing(run: Run) -> list[Row]:
    """W4: ``autograd.draw(...).source`` against micrograd's notebook approach."""
    from autograd import topological_order

    sizes = run.sizes
    pairs = sizes.w4_pairs
    ours_root = wl.drawing_graph(engine_value("ours"), pairs)
    with recursion_limit(recursion_needed(pairs)):  # micrograd's backward, as in W3
        micrograd_root = wl.drawing_graph(engine_value("micrograd"), pairs)
    values = len(topological_order(ours_root))
    theirs = wl.micrograd_node_count(micrograd_root)
    if values != theirs:
        run.fail(f"W4: the graphs differ: {values} Values in ours, {theirs} in micrograd's")
    run.log(f"W4: DOT source of {values:,} Values, {sizes.w4_rounds} rounds")
    cases = [
        Case("ours", lambda: functools.partial(wl.our_dot_source, ours_root), summarize=len),
        Case("micrograd-style", lambda: functools.partial(
            wl.micrograd_style_dot_source, micrograd_root), summarize=len),
    ]
    timings = alternate(cases, sizes.w4_rounds, expected_failures=(), progress=run.log)
    for name, lengths in timings.summaries.items():
        if not all(length > values for length in lengths):
            run.fail(f"W4: {name} produced too short a DOT source ({lengths})")
    return [Row(f"W4 DOT source of a {values:,}-Value graph (`autograd.draw`)",
                fmt_time(timings.median("ours")),
                f"micrograd-style `draw_dot` {fmt_time(timings.median('micrograd-style'))}",
                fmt_ratio(timings.ratio("ours", "micrograd-style")))]


# --- the report ---------------------------------------------------------------------------


def describe_machine() -> str:
    """CPU model, cores, Python, OS and the contenders' versions."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    with contextlib.suppress(OSError, AttributeError):
        system += f" ({platform.freedesktop_os_release()['PRETTY_NAME']})"
    versions = []
    from importlib import metadata

    for package in ("lecturegrad", "micrograd", "torch"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{package} {metadata.version(package)}")
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()} "
            f"({platform.python_implementation()}); {system}; {', '.join(versions)}")


def render(run: Run, rows: list[Row], machine: str, seconds: float) -> str:
    """The Markdown report: machine, table, footnotes."""
    sizes = run.sizes
    mode = ("**quick mode**: tiny sizes, 1 round; the timings mean nothing and "
            "targets are not judged" if run.quick else "full sizes")
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = ("`python benchmarks/suite.py --quick` (`make bench-quick`)" if run.quick
               else "`python benchmarks/suite.py` (`make bench`)")
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine}.",
        "",
        f"Run: {command}, {mode}, {when}, {seconds:.0f} s in all.",
        "",
        "| workload | ours | baseline (micrograd 0.1.0 unless named) | ours / baseline "
        "| target | met? |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(f"| {row.workload} | {row.ours} | {row.baseline} | {row.ratio} "
                     f"| {row.target} | {row.met} |")
    notes = [
        "Times are medians over alternating rounds: in each round every contender runs once, "
        "one after the other (ours, micrograd, ...), with `gc.collect()` before each timed "
        "run (outside the timing) and the garbage collector otherwise left on, as in user "
        "code. \"ours / baseline\" is the median over rounds of that round's time ratio "
        "(below 1: ours is faster); targets apply to it. \"info\" rows have no target. "
        f"Rounds: W1 {sizes.w1_rounds}, W2 {sizes.w2_rounds}, W3 {sizes.w3_rounds}, "
        f"W4 {sizes.w4_rounds}.",
        f"W1: MLP 2-16-16-1 (ReLU hidden, linear output), {sizes.w1_points} two-moons points "
        f"(`demos.datasets.two_moons`, noise 0.1, seed {wl.DATA_SEED}, labels ±1), "
        f"micrograd's `MLP(2, [16, 16, 1])` after `random.seed({wl.WEIGHT_SEED})` and our "
        "`nn.MLP` holding the same weights; micrograd's demo loop (hinge loss + 1e-4·L2, "
        f"full batch, SGD with lr = 1 − 0.9·k/100), {sizes.w1_steps} steps, written once and "
        "run on both engines. Building the models is not timed; the loop (input Values "
        "included, as in micrograd's demo) is. All final losses agree with micrograd's to "
        f"{LOSS_TOLERANCE:g} (checked).",
        "W1 compiled: `autograd.compile` traces the per-example loss relu(1 − y·score) + "
        "1e-4·Σp² once (untimed); each step is `step.backward(xs, ys)` plus the same SGD "
        "update; per step = the median time of the run divided by its steps, compared with "
        "micrograd's per step in the same rounds.",
        run.notes.get("torch", ""),
        "W2: `x = x * 1.0001 + 0.0001` makes 4 Values per step on our engine (a product, a "
        "sum and their two constant leaves, one per use), plus x; building and "
        "backward are timed together (freeing the graph is not, in W2 and W3); ns/node = "
        "time ÷ Values. micrograd runs in a subprocess with the default recursion limit. The "
        "scaling figure is the median over rounds of (time per node at the long chain) ÷ "
        "(time per node at the short one), measured twice: with the garbage collector on, as "
        "in user code, and with it paused for each run (`gc.disable()` around the timed "
        "call). The target (linear scaling, no hidden quadratic cost) is judged on the second, "
        "the engine's own work; the issue asks for the collector on in W1 and W3, which is "
        "how those are measured. With the collector on, the figure is CPython's: its full "
        "collections rescan every live object and come each time the heap grows by a "
        "quarter, but no more often than about every 85,000 allocations (thresholds 700, 10, "
        "10), so a 100,000-step chain pays less collector time per node than a "
        "1,000,000-step one: the warm-up of an amortized-linear cost, not a quadratic one. "
        "It measured 1.23 to 1.30 in our runs.",
        run.notes.get("W3", ""),
        "Peak memory: one fresh process per engine and per method builds W3's graph and "
        "backpropagates; nodes = 2n leaves + n products + n additions = 4n (the constant 0 "
        "that `sum()` starts from is not counted); the input floats exist before measuring. "
        "Peak RSS growth: the peak resident set during build + backward (Linux `VmHWM`, "
        "reset first) minus the resident set before; it includes everything, interpreter "
        "frames too. tracemalloc: the peak of Python's traced allocations (frames not "
        "included); it is measured on a smaller graph of the same shape because under "
        "micrograd's recursion, as deep as the graph, tracemalloc walks the whole stack at "
        "every allocation and its cost grows with the square of the size.",
        "W4: the graph is W3's shape with 4·n + 1 Values, after backward (micrograd's "
        "with the recursion limit raised, as in W3); building it is not timed. Ours: "
        "`autograd.draw(root, max_nodes=None).source`. Baseline: micrograd's notebook "
        "approach written for this suite (trace the Values, then one `graphviz` node per "
        "Value and per operation and one edge per operand, named by `id()`), on micrograd "
        "Values, with an explicit stack instead of recursion. DOT text only; Graphviz's "
        "`dot` is not run.",
        bench_render.NOTE,
        run.notes.get("dense", ""),
    ]
    lines += ["", "Notes:", ""]
    lines += [f"{i}. {note}" for i, note in enumerate((n for n in notes if n), 1)]
    return "\n".join(lines) + "\n"


def run_suite(run: Run, output: Path | None) -> int:
    """All workloads, the table, and the exit status (1 if a correctness check failed)."""
    try:
        from importlib import metadata

        micrograd_version = metadata.version("micrograd")
        import micrograd.engine  # noqa: F401
    except (ImportError, metadata.PackageNotFoundError):
        print("micrograd is not installed: `make bench` installs it (pip install -e '.[bench]')",
              file=sys.stderr)
        return 2
    if micrograd_version != "0.1.0":
        run.log(f"warning: micrograd {micrograd_version} installed; the baseline is 0.1.0")
    machine = describe_machine()
    run.log(f"machine: {machine}")

    # PyTorch is imported last: its many objects would make every later full garbage
    # collection slower, for both engines.
    training = bench_training(run)
    memory_rows, micrograd_probe = bench_memory(run)
    wide_rows = bench_wide(run, micrograd_probe)
    deep_rows = bench_deep(run)
    drawing_rows = bench_drawing(run)
    render_rows = [Row(**row) for row in bench_render.render_rows(
        1 if run.quick else 3, quick=run.quick, judge=run.judge, log=run.log)]
    with one_thread_each() as threads:
        torch_rows = bench_torch(run, training)
    if "torch" in run.notes:
        run.notes["torch"] += f" Threads: {threads}."
    dense_rows = bench_dense(run)
    rows = (training.rows + torch_rows + deep_rows + wide_rows + memory_rows + drawing_rows
            + render_rows + dense_rows)

    report = render(run, rows, machine, time.perf_counter() - run.started)
    print(report)
    if run.failures:
        print(f"{len(run.failures)} correctness check(s) failed; nothing written:",
              file=sys.stderr)
        for failure in run.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    if output is not None:
        from autograd.files import write_atomically

        write_atomically(output, report)
        run.log(f"wrote {output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the suite (or one measuring subprocess)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, 1 round: checks the comparisons, judges no target, "
                        "writes nothing unless --output is given")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="alternating rounds for every workload (default: per workload)")
    parser.add_argument("--output", type=Path, metavar="PATH",
                        help=f"where to write the table (full mode default: {RESULTS})")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--child", choices=("memory", "deep-micrograd"), help=argparse.SUPPRESS)
    parser.add_argument("--engine", choices=("ours", "micrograd"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", choices=("tracemalloc", "rss"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "memory":
        print(json.dumps(child_memory(args.engine, args.n, args.method)))
        return 0
    if args.child == "deep-micrograd":
        print(json.dumps(child_deep_micrograd(args.n)))
        return 0

    sizes = QUICK if args.quick else FULL
    if args.repeats is not None:
        if args.repeats < 1:
            parser.error("--repeats must be at least 1")
        sizes = replace(sizes, w1_rounds=args.repeats, torch_rounds=args.repeats,
                        w2_rounds=args.repeats, w3_rounds=args.repeats, w4_rounds=args.repeats,
                        w5_rounds=args.repeats, w6_rounds=args.repeats)
    output = args.output if args.output is not None else (None if args.quick else RESULTS)
    if args.no_write:
        output = None
    return run_suite(Run(sizes, args.quick), output)


if __name__ == "__main__":
    raise SystemExit(main())
