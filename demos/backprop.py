"""Backpropagation: how one neuron's gradient is computed, and checked (lecture idea 10).

A neuron computes o = sigmoid(w1·x1 + w2·x2 + b).  Every operation records its inputs, so
the calculation is a graph: the leaves x1, x2, w1, w2, b on the left, the output o on the
right.  Before backward() every gradient is 0.  backward() walks the graph from o back to
the leaves, and at each operation multiplies the gradient arriving from the output side by
that operation's own local derivative (the chain rule):

    do/dw1 = sigmoid'(z) · x1,   with z = w1·x1 + w2·x2 + b and sigmoid'(z) = o·(1 - o)

One backward pass gives the gradient for every leaf at once; that efficiency is why
backpropagation is how deep networks are trained.  To make sure the gradients are right we
compare them with finite differences, (f(v + ε) - f(v - ε)) / 2ε, which need nothing but
two more evaluations of the neuron per leaf, and with the chain rule worked out by hand.

With --html the demo also writes interactive.html, a page to open in a browser: the neuron
learns four points by gradient descent on their squared error (o - y)², and for each point
you can step through one backward pass of its loss node by node, at any recorded update.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value, gradcheck, no_grad, numeric_gradient
from autograd.checks import integer, real

from . import page
from ._common import grid_axes, output_dir, plot_extent, save_graph, table

__all__ = [
    "REQUIRES",
    "GradientRow",
    "BackpropResult",
    "neuron",
    "page_loss",
    "run",
    "report",
    "add_arguments",
]

REQUIRES: tuple[str, ...] = ()  # no plots: graphviz is one of the library's own dependencies

NAMES = ("x1", "x2", "w1", "w2", "b")
DEFAULT_POINT = (2.0, -1.0, 0.5, 1.5, 0.25)  # x1, x2, w1, w2, b for seed 0

# The interactive page's task: the demo's point (x1, x2) is class 1, and three more points;
# the classes are apart along x1, so one neuron can learn them.  Full-batch gradient descent.
PAGE_POINTS = (((-1.0, 1.5), 0), ((1.0, 1.0), 1), ((-2.0, -0.5), 0))
PAGE_UPDATES = 60
PAGE_LR = 2.0
PAGE_GRID = 32


def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """sigmoid(w1·x1 + w2·x2 + b), one labelled operation at a time (so the drawing reads)."""
    w1x1 = w1 * x1
    w1x1.label = "w1·x1"
    w2x2 = w2 * x2
    w2x2.label = "w2·x2"
    weighted = w1x1 + w2x2
    weighted.label = "w1·x1 + w2·x2"
    z = weighted + b
    z.label = "z"
    o = z.sigmoid()
    o.label = "o"
    return o


@dataclass
class GradientRow:
    """One leaf: its value and its gradient three ways."""

    name: str
    value: float
    backprop: float
    numeric: float
    by_hand: float

    @property
    def difference(self) -> float:
        """|backprop - finite differences|."""
        return abs(self.backprop - self.numeric)


@dataclass
class BackpropResult:
    """The neuron's output, each leaf's gradients, and whether gradcheck passed."""

    output: float
    rows: list[GradientRow]
    grads_before: list[float]  # every leaf's .grad before backward(): all 0
    gradcheck_passed: bool
    files: list[Path] = field(default_factory=list)
    page: page.PageResult | None = None  # the interactive page, with --html


def _point(seed: int) -> tuple[float, ...]:
    if seed == 0:
        return DEFAULT_POINT
    rng = random.Random(seed)
    return tuple(round(rng.uniform(-2.0, 2.0), 2) for _ in NAMES)


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    progress: bool = False,
    html: bool = False,
    snapshots: int = page.DEFAULT_SNAPSHOTS,
    max_html_mb: float = page.DEFAULT_MAX_MB,
) -> BackpropResult:
    """Draw the neuron before and after backward(), and check its gradients.

    ``html`` also writes the interactive page, recording ``snapshots`` updates in at most
    ``max_html_mb`` megabytes.
    """
    del quick, progress  # the demo is instant
    if not isinstance(html, bool):
        raise TypeError(f"backprop: html must be True or False, got {type(html).__name__}")
    snapshots = integer(snapshots, "backprop", "snapshots", 2)
    max_html_mb = real(max_html_mb, "backprop", "max_html_mb", positive=True)
    out = output_dir(out_dir)
    point = _point(seed)
    leaves = [Value(v, label=name) for v, name in zip(point, NAMES)]
    for p in leaves[2:]:
        p.is_parameter = True  # w1, w2, b are what training would change
    o = neuron(*leaves)
    files = [save_graph(o, out / "before_backward.svg")]
    grads_before = [leaf.grad for leaf in leaves]
    o.backward()
    files.append(save_graph(o, out / "after_backward.svg"))

    numeric = numeric_gradient(neuron, point)
    x1, x2, w1, w2, _ = point
    slope = o.data * (1.0 - o.data)  # sigmoid'(z) = o(1 - o)
    by_hand = [slope * w1, slope * w2, slope * x1, slope * x2, slope]
    rows = [
        GradientRow(name, value, leaf.grad, n, h)
        for name, value, leaf, n, h in zip(NAMES, point, leaves, numeric, by_hand)
    ]
    passed = gradcheck(neuron, point, raise_exception=False)
    interactive = None
    if html:
        interactive = _write_page(
            out / page.FILE_NAME, point, snapshots, round(max_html_mb * page.BYTES_PER_MB)
        )
        files.append(interactive.path)
    return BackpropResult(
        output=o.data,
        rows=rows,
        grads_before=grads_before,
        gradcheck_passed=passed,
        files=files,
        page=interactive,
    )


def _parameters(values: Sequence[float]) -> list[Value]:
    """w1, w2, b as labelled parameters."""
    parameters = [Value(v, label=name) for v, name in zip(values, NAMES[2:])]
    for p in parameters:
        p.is_parameter = True
    return parameters


def page_loss(parameters: Sequence[Value], x: Sequence[float], y: float) -> Value:
    """The page's graph: the neuron's squared error L = (o - y)² on one point.

    Written as d · d with d = o + (-y), the same number as ``nn.losses.mse`` for one point
    and a smaller graph: one constant -y (``o - y`` makes y, -1 and their product), and no
    ``** 2``, whose exponent has no derivative where d < 0 (the page would show an undefined
    grad for the constant 2).  d is used twice, so its grad is a sum over two uses.
    """
    o = neuron(Value(x[0], label="x1"), Value(x[1], label="x2"), *parameters)
    d = o + (-y)
    d.label = "d = o - y"
    loss = d * d
    loss.label = "L = d²"
    return loss


def _write_page(
    out: Path, point: Sequence[float], snapshots: int, max_bytes: int
) -> page.PageResult:
    """Train the neuron on four points, recording snapshots, and write the page."""
    import nn
    from nn.losses import mse

    xs = [list(point[:2])] + [list(x) for x, _ in PAGE_POINTS]
    ys = [1] + [y for _, y in PAGE_POINTS]
    trained = _parameters(point[2:])
    recorder = page.Recorder(trained, page.chosen_updates(PAGE_UPDATES, snapshots))
    history = nn.fit(
        lambda x: neuron(Value(x[0], label="x1"), Value(x[1], label="x2"), *trained),
        xs,
        ys,
        loss=mse,
        lr=PAGE_LR,
        batch_size=len(xs),
        epochs=PAGE_UPDATES,
        parameters=trained,
        callback=recorder,
    )
    follower = _parameters(point[2:])  # loaded with each snapshot in turn
    extent = plot_extent(xs, pad=1.0)
    gx, gy = grid_axes(extent, PAGE_GRID)

    def training_loss() -> float:
        with no_grad():
            return mse([neuron(Value(x1), Value(x2), *follower) for x1, x2 in xs], ys).data

    def probabilities() -> list[float]:
        with no_grad():
            return [neuron(Value(x1), Value(x2), *follower).data for x2 in gy for x1 in gx]

    def builder(x: Sequence[float], y: int) -> Callable[[], Value]:
        return lambda: page_loss(follower, x, y)

    followed = page.follow(
        recorder, follower, [builder(x, y) for x, y in zip(xs, ys)], training_loss, probabilities
    )
    examples = [
        page.Example(
            name=f"point {k + 1}: x = ({x1:g}, {x2:g}), y = {y}"
            + (" (the demo's point)" if k == 0 else ""),
            svg=page.graph_svg(page_loss(_parameters(point[2:]), (x1, x2), y)),
            point=[x1, x2],
        )
        for k, ((x1, x2), y) in enumerate(zip(xs, ys))
    ]
    return page.write_page(
        out,
        max_bytes=max_bytes,
        followed=followed,
        title="Backpropagation through one neuron: o = sigmoid(w1·x1 + w2·x2 + b)",
        lesson=[
            "The neuron learns four points by gradient descent: y = 1 (red) where x1 > 0, "
            "y = 0 (blue) where x1 < 0.  Each point's loss is its squared error "
            "L = (o - y)², the mean of the four is what each update lowers.",
            "Pick a point and step backward through its graph: each node's grad is the "
            "local derivative of the operation that used it, times the grad that operation "
            "received (the chain rule), summed over its uses.  The grads of w1, w2 and b are "
            "this point's part of the update.",
        ],
        examples=examples,
        total_updates=history.updates,
        batch_losses=history.losses,
        loss_name="squared error",
        captions={
            "start": {
                "en": "Update 0: training starts from the demo's neuron, w1 = "
                f"{point[2]:g}, w2 = {point[3]:g}, b = {point[4]:g} (the lecture's w0, "
                "usually picked at random).",
                "zh": "首先要随机选取一个初始的点 w0",
            },
            "loss": {
                "en": "The mean squared error of the four points at each update.  Here a "
                "batch is all four points (B = N), so each update is also an epoch.",
                "zh": "均方误差(Mean Squared Error,MSE) … "
                "把所有的批量都看过一次,称为一个回合(epoch)",
            },
            "boundary": {
                "en": "One neuron: o = sigmoid(w1·x1 + w2·x2 + b) is its probability of y = 1 "
                "(shading); the line is o = 0.5, where w1·x1 + w2·x2 + b = 0.",
                "zh": "用 Sigmoid 函数来逼近 Hard Sigmoid",
            },
        },
        boundary=page.Boundary(
            extent=extent,
            size=PAGE_GRID,
            points=[(x1, x2, y, False) for (x1, x2), y in zip(xs, ys)],
        ),
    )


def report(result: BackpropResult) -> str:
    """The printed side-by-side table of gradients."""
    rows = [
        (
            r.name,
            f"{r.value:g}",
            f"{r.backprop:.10f}",
            f"{r.numeric:.10f}",
            f"{r.by_hand:.10f}",
            f"{r.difference:.1e}",
        )
        for r in result.rows
    ]
    headers = ["leaf", "value", "backprop", "finite differences", "chain rule by hand", "|diff|"]
    before = ", ".join(f"{g:g}" for g in result.grads_before)
    worst = max(r.difference for r in result.rows)
    lines = [
        f"o = sigmoid(w1·x1 + w2·x2 + b) = {result.output:.10f}",
        f"Before backward() the leaves' gradients are: {before}",
        "",
        table(headers, rows),
        "",
        f"gradcheck (PyTorch's tolerances: atol 1e-5, rtol 1e-3): "
        f"{'passed' if result.gradcheck_passed else 'FAILED'}",
        f"Finite differences agree with backprop to within {worst:.0e}: they are",
        "approximations (truncation and rounding error), while backprop and the chain rule",
        "are exact up to rounding.",
    ]
    if len(result.files) >= 2:
        before, after = (path.name for path in result.files[:2])
        lines.append(
            f"Compare {before} with {after}:\none backward pass fills in the 'grad' field of "
            "every node."
        )
    if result.page is not None:
        lines += ["", page.describe(result.page)]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The interactive page's options; --seed other than 0 picks random inputs and weights."""
    page.add_page_arguments(parser)


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["backprop", *sys.argv[1:]]))
