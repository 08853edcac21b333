"""Engine speed and memory, side by side with karpathy's micrograd in the same run.

Run with ``make bench`` (installs micrograd 0.1.0 from PyPI as the baseline) or
``python benchmarks/bench_engine.py``.  Machines are shared and noisy, so every figure is the
best of several repeats and the comparison is reported as a ratio measured in this run.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from timing import best_of

import autograd
from autograd import Value


def mlp_graph(value_cls: Any, n_in: int, width: int, layers: int, use_dot: bool) -> Any:
    """Build a ReLU MLP's forward graph and return (output, parameters)."""
    rnd = random.Random(0)
    h = [value_cls(rnd.uniform(-1, 1)) for _ in range(n_in)]
    params = []
    for _ in range(layers):
        outputs = []
        for _ in range(width):
            ws = [value_cls(rnd.uniform(-1, 1)) for _ in h]
            b = value_cls(0.0)
            params += [*ws, b]
            if use_dot:
                pre = autograd.dot(ws, h) + b
            else:
                pre = b
                for w, x in zip(ws, h):
                    pre = pre + w * x
            outputs.append(pre.relu())
        h = outputs
    out = h[0]
    for x in h[1:]:
        out = out + x
    return out, params


def chain(value_cls: Any, depth: int) -> Any:
    """A chain x * c * c * ... of ``depth`` multiplications."""
    x = value_cls(1.0)
    y = x
    for _ in range(depth):
        y = y * 1.0000001
    return y, x


def peak_bytes_per_node(value_cls: Any, nodes: int) -> float:
    """Peak traced memory of building a chain, divided by its node count."""
    gc.collect()
    tracemalloc.start()
    graph = chain(value_cls, nodes)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del graph
    return peak / (2 * nodes)  # each step makes a product node and a constant leaf


def main(argv: list[str] | None = None) -> int:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--width", type=int, default=64)
    args = parser.parse_args(argv)

    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        MicrogradValue = None
        print("micrograd not installed (pip install micrograd==0.1.0): no baseline column")

    sys.setrecursionlimit(10_000)  # micrograd's recursive sort needs it for the MLP graph
    shape = dict(n_in=args.width, width=args.width, layers=3)
    rows: list[tuple[str, float, float | None]] = []

    def forward_backward(cls: Any, use_dot: bool) -> Callable[[], None]:
        def run() -> None:
            out, _ = mlp_graph(cls, use_dot=use_dot, **shape)
            out.backward()

        return run

    ours_elementwise = best_of(forward_backward(Value, False), args.repeats)
    ours_dot = best_of(forward_backward(Value, True), args.repeats)
    theirs = (
        best_of(forward_backward(MicrogradValue, False), args.repeats)
        if MicrogradValue
        else None
    )
    rows.append(("MLP forward+backward, w*x chains", ours_elementwise, theirs))
    rows.append(("MLP forward+backward, autograd.dot", ours_dot, theirs))

    out, _ = mlp_graph(Value, use_dot=False, **shape)
    ours_backward = best_of(lambda: out.backward(), args.repeats)
    theirs_backward = None
    if MicrogradValue:
        mout, _ = mlp_graph(MicrogradValue, use_dot=False, **shape)
        theirs_backward = best_of(lambda: mout.backward(), args.repeats)
    rows.append(("backward only, w*x chains", ours_backward, theirs_backward))

    print(f"\nMLP {shape['n_in']}-{args.width}x{shape['layers']} (best of {args.repeats})")
    print(f"{'case':40s} {'ours (s)':>10s} {'micrograd (s)':>14s} {'speed-up':>9s}")
    for name, ours, base in rows:
        ratio = f"{base / ours:8.2f}x" if base else "        -"
        base_text = f"{base:14.4f}" if base else f"{'-':>14s}"
        print(f"{name:40s} {ours:10.4f} {base_text} {ratio}")

    depth = 100_000
    y, x = chain(Value, depth)
    start = time.perf_counter()
    y.backward()
    print(f"\nchain of {depth:,} products: backward {time.perf_counter() - start:.3f}s, ", end="")
    print(f"dx = {x.grad:.6f}")
    if MicrogradValue:
        my, _ = chain(MicrogradValue, depth)
        try:
            my.backward()
            print("micrograd: backward completed")
        except RecursionError:
            print(f"micrograd: RecursionError at depth {depth:,} (recursive topological sort)")

    nodes = 200_000
    ours_mem = peak_bytes_per_node(Value, nodes)
    line = f"\nmemory per node (chain of {nodes:,}): ours {ours_mem:.0f} B"
    if MicrogradValue:
        theirs_mem = peak_bytes_per_node(MicrogradValue, nodes)
        line += f", micrograd {theirs_mem:.0f} B, ratio {theirs_mem / ours_mem:.2f}x"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
