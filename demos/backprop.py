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
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value, gradcheck, numeric_gradient

from ._common import output_dir, save_graph, table

__all__ = ["GradientRow", "BackpropResult", "neuron", "run", "report", "add_arguments"]

NAMES = ("x1", "x2", "w1", "w2", "b")
DEFAULT_POINT = (2.0, -1.0, 0.5, 1.5, 0.25)  # x1, x2, w1, w2, b for seed 0


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
) -> BackpropResult:
    """Draw the neuron before and after backward(), and check its gradients."""
    del quick, progress  # the demo is instant
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
    return BackpropResult(
        output=o.data,
        rows=rows,
        grads_before=grads_before,
        gradcheck_passed=passed,
        files=files,
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
        "are exact up to rounding.  Compare before_backward.svg with after_backward.svg:",
        "one backward pass fills in the 'grad' field of every node.",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options of its own: --seed other than 0 picks random inputs and weights."""
    del parser


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["backprop", *sys.argv[1:]]))
