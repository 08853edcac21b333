"""Issue 14's rendering benchmark: Graphviz's ``dot`` on graphs that used to keep it busy.

    python benchmarks/bench_render.py              # 3 rounds, prints a Markdown table
    python benchmarks/bench_render.py --rounds 5
    python benchmarks/bench_render.py --quick      # tiny graphs, 1 round: checks the code runs

Each row times ``autograd.render.save(root, "graph.svg")`` with the real ``dot`` (drawing
the DOT text included, as the command line and Jupyter do it): the median of ``rounds``
runs, every graph rendered once per round.  The graphs:

* fan-in: ``a + a + ... + a`` with 100 terms, as ``python -m autograd "a+a+...+a" a=1``
  builds it: one Value used all along a chain;
* polynomial: ``sum(c * x**k for k in range(61))`` with the builtin ``sum`` (a chain of
  additions) and constant coefficients, as ``Value._repr_svg_`` renders it in Jupyter;
* MLP: the squared-error loss of ``nn.MLP(2, [16, 16, 1])`` on one example.

``suite.py`` puts the rows in its table, ``[Row(**row) for row in render_rows(rounds,
quick=run.quick, judge=run.judge, log=run.log)]``, and ``NOTE`` among its footnotes.
Speed is judged here and only here: unit tests never time ``dot``.
"""

from __future__ import annotations

import argparse
import functools
import math
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timing import time_once

RENDER_TIMEOUT = 120.0
"""Seconds one render may take here before it counts as failed (the library's default is
``autograd.render.DEFAULT_TIMEOUT``); a failed graph is not rendered again."""

NOTE = (
    'W7 (issue 14): `autograd.render.save(root, "graph.svg")` with Graphviz\'s real `dot`, '
    "drawing included; the median of the rounds, each graph rendered once per round, with "
    f"at most {RENDER_TIMEOUT:g} s per render. Fan-in: `a + a + ... + a` as the command "
    "line builds it. Polynomial: `sum(c * x**k for k in range(61))` with the builtin `sum` "
    'and constant c. MLP: `(nn.MLP(2, [16, 16, 1])(x) - 1)**2` on one example. "Before" is '
    "what issue 14 measured with the layout Graphviz chooses by default: the 60- and 80-term "
    "fan-ins took 10 s and 115 s. `draw` now sets `nslimit=1` and `ordering=out`, writes "
    "the operations last to first and names `**`'s edges with `xlabel`; the fan-in still "
    "grows faster than linearly in `dot` (about 2 s at 150 terms, 8 s at 250), "
    "which is what the time limit of `save` and `svg_or_none` is for."
)
"""The footnote explaining the rows, for the suite's notes."""


@dataclass(frozen=True)
class Graph:
    """One benchmarked graph: how to build it, its target in seconds, and the time issue 14
    measured before (the baseline cell)."""

    name: str
    build: Callable[[], Any]
    target: float | None
    before: str


def fan_in(terms: int) -> Any:
    """``a + a + ... + a`` with ``terms`` terms, added left to right, after backward."""
    from autograd import Value

    a = Value(1.0, label="a")
    total = a
    for _ in range(terms - 1):
        total = total + a
    total.backward()
    return total


def polynomial(degree: int) -> Any:
    """``sum(c * x**k for k in range(degree + 1))`` with the builtin ``sum``, after backward."""
    from autograd import Value

    x = Value(0.9, label="x")
    total = sum(1 / (k + 1) * x**k for k in range(degree + 1))
    assert isinstance(total, Value)
    total.backward()
    return total


def mlp_loss(sizes: list[int]) -> Any:
    """The squared error of ``nn.MLP(2, sizes)`` on one example, after backward."""
    import nn
    from autograd import Value

    model = nn.MLP(2, sizes)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    loss = (model(x) - 1.0) ** 2
    loss.backward()
    return loss


def graphs(quick: bool) -> list[Graph]:
    """The benchmarked graphs: full size, or tiny ones that only check the code runs."""
    if quick:
        return [
            Graph("fan-in, 10 terms", lambda: fan_in(10), 2.0, "—"),
            Graph("polynomial of degree 6", lambda: polynomial(6), 5.0, "—"),
            Graph("MLP(2, [4, 1]) loss", lambda: mlp_loss([4, 1]), None, "—"),
        ]
    return [
        Graph(
            "fan-in `a + a + ... + a`, 100 terms", lambda: fan_in(100), 2.0, "before: over 5 min"
        ),
        Graph(
            "polynomial of degree 60, builtin `sum`", lambda: polynomial(60), 5.0, "before: 71 s"
        ),
        Graph("MLP(2, [16, 16, 1]) loss on one example", lambda: mlp_loss([16, 16, 1]), None, "—"),
    ]


def fmt_seconds(seconds: float | None) -> str:
    """A time for the table, or why there is none (``inf``: stopped at the time limit)."""
    if seconds is None:
        return "not measured: Graphviz's dot is not installed"
    if math.isinf(seconds):
        return f"over {RENDER_TIMEOUT:g} s (stopped)"
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def default_judge(seconds: float | None, limit: float) -> str:
    """The "met?" cell when run on its own, worded as the suite's ``Run.judge`` words it."""
    if seconds is None:
        return "not measured"
    return "yes" if seconds <= limit else "**NO**"


def render_rows(
    rounds: int = 3,
    *,
    quick: bool = False,
    judge: Callable[[float | None, float], str] = default_judge,
    log: Callable[[str], None] | None = None,
) -> list[dict[str, str]]:
    """Time rendering each graph to SVG: one dict per table row, with the fields of the
    suite's ``Row`` (workload, ours, baseline, ratio, target, met).

    ``quick`` takes tiny graphs; ``judge(seconds, limit)`` fills "met?" (the suite passes
    ``run.judge``); ``log`` gets progress lines.  Without ``dot`` nothing is measured.
    """
    from autograd import topological_order
    from autograd.render import RenderTimeout, save

    if type(rounds) is not int or rounds < 1:
        raise ValueError(f"render_rows: rounds must be an int >= 1, got {rounds!r}")
    chosen = graphs(quick)
    roots = [graph.build() for graph in chosen]
    times: list[list[float]] = [[] for _ in chosen]
    have_dot = shutil.which("dot") is not None
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "graph.svg"
        for round_number in range(rounds if have_dot else 0):
            for graph, root, runs in zip(chosen, roots, times):
                if runs and math.isinf(runs[-1]):
                    continue  # stopped once at the limit: not worth another wait
                render = functools.partial(save, root, target, timeout=RENDER_TIMEOUT)
                try:
                    elapsed, _ = time_once(render)
                except RenderTimeout:
                    elapsed = math.inf
                runs.append(elapsed)
                if log is not None:
                    log(f"W7 round {round_number + 1}/{rounds} {graph.name}: {elapsed:.3f} s")
    rows = []
    for graph, root, runs in zip(chosen, roots, times):
        median = statistics.median(runs) if runs else None
        order = topological_order(root)
        nodes = len(order) + sum(not v.is_leaf for v in order) + 1  # + operations, legend
        rows.append(
            {
                "workload": f"W7 render to SVG: {graph.name} ({len(order)} Values, {nodes} nodes)",
                "ours": fmt_seconds(median),
                "baseline": graph.before,
                "ratio": "—",
                "target": "—" if graph.target is None else f"≤ {graph.target:g} s",
                "met": "info" if graph.target is None else judge(median, graph.target),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print the rendering rows as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="renders per graph (default 3, quick 1)")
    parser.add_argument("--quick", action="store_true", help="tiny graphs: checks the code runs")
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else 1 if args.quick else 3
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    judge = (lambda seconds, limit: "not judged (quick)") if args.quick else default_judge
    rows = render_rows(
        rounds, quick=args.quick, judge=judge, log=lambda line: print(line, file=sys.stderr)
    )
    fields = ["workload", "ours", "baseline", "ratio", "target", "met"]
    print("| " + " | ".join(fields) + " |")
    print("| " + " | ".join("---" for _ in fields) + " |")
    for row in rows:
        print("| " + " | ".join(row[field] for field in fields) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
