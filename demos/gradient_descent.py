"""Gradient descent on one parameter w (lecture ideas 3-5).

The loss here is L(w) = w⁴/4 - w³/6 - 2w² + 2w + 7.  Its slope (w + 2)(w - 0.5)(w - 2)
is zero at a global minimum w = -2, a hump w = 0.5 and a local minimum w = 2; we also give
it a flat shelf on [3.0, 3.4] (a network's loss is flat wherever its ReLUs are all off).
Gradient descent starts at w0 and repeats

    w  <-  w - η · dL/dw

where η, the learning rate, is a hyperparameter: we choose it, training does not.  A negative
slope moves w right, a positive slope moves it left.  It stops when

  (a) a cap on the number of updates is reached (the lecture mentions one million), or
  (b) the derivative is zero: then η · 0 = 0 and w never moves again.

Rule (b) needs care.  At a smooth minimum the computed slope gets tiny but is rarely exactly
0.0 in floating point, so in practice we stop when |dL/dw| <= a small tolerance (grad_tol).
An exactly zero slope does happen on a flat region, and there it stops w even though the
loss is not at a minimum.  Each run below uses nn.fit with max_updates and grad_tol.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd import Value, no_grad
from autograd.checks import option, parse_integer, parse_real

from ._common import new_figure, output_dir, save_figure, table

__all__ = [
    "REQUIRES",
    "loss",
    "Run",
    "GradientDescentResult",
    "RUNS",
    "run",
    "report",
    "add_arguments",
]

REQUIRES = ("matplotlib",)

GLOBAL_MIN, LOCAL_MIN, HUMP = -2.0, 2.0, 0.5
SHELF = (3.0, 3.4)
W_RANGE = (-3.3, 4.1)


def loss(w: Value) -> Value:
    """L(w): the quartic whose slope is (w + 2)(w - 0.5)(w - 2), with a flat shelf on [3, 3.4].

    The shelf comes from feeding the quartic u = w - relu(w - 3) + relu(w - 3.4): u = w left
    of 3, u = 3 on the shelf (its slope 1 - 1 = 0 exactly), u = w - 0.4 beyond it.
    """
    lo, hi = SHELF
    u = w - (w - lo).relu() + (w - hi).relu()
    return u**4 / 4 - u**3 / 6 - 2 * u**2 + 2 * u + 7


def loss_value(w: float) -> float:
    """L(w) as a float."""
    with no_grad():
        return loss(Value(w)).data


@dataclass(frozen=True)
class Setting:
    """One gradient-descent run to make: start, learning rate, stopping rules, and why."""

    w0: float
    lr: float
    grad_tol: float
    max_updates: int
    lesson: str


# Each setting shows one lesson of the lecture; the printed table gives what happened.
RUNS: list[Setting] = [
    Setting(-3.0, 0.001, 1e-6, 100, "the update cap stops a slow run before the minimum"),
    Setting(-3.0, 0.03, 1e-6, 1000, "start left of the hump: the global minimum"),
    Setting(-3.0, 0.03, 0.0, 1000, "same run, grad_tol=0: the slope never hits exactly 0"),
    Setting(4.0, 0.05, 1e-6, 1000, "start right of the hump: stuck in the local minimum"),
    Setting(3.8, 0.01, 0.0, 1000, "lands on the flat shelf: slope exactly 0, not a minimum"),
    Setting(-3.0, 0.3, 1e-6, 1000, "η too large: jumps over the hump into the local minimum"),
    Setting(-3.0, 0.5, 1e-6, 1000, "η far too large: every step overshoots more"),
]


@dataclass
class Run:
    """What one gradient-descent run did."""

    w0: float
    lr: float
    grad_tol: float
    max_updates: int
    lesson: str
    path: list[float]  # w0, then w after every update
    final_w: float
    final_loss: float
    final_grad: float
    updates: int
    stop_reason: str  # "converged", "max_updates" or "diverged"

    @property
    def minimum(self) -> str:
        """Where the run ended: "global", "local", "shelf", "diverged" or "between"."""
        if self.stop_reason == "diverged":
            return "diverged"
        w = self.final_w
        if abs(w - GLOBAL_MIN) < 1e-3:
            return "global"
        if abs(w - LOCAL_MIN) < 1e-3:
            return "local"
        if SHELF[0] <= w <= SHELF[1]:
            return "shelf"
        return "between"


@dataclass
class GradientDescentResult:
    """Every run of the demo, and the files it wrote."""

    runs: list[Run]
    files: list[Path] = field(default_factory=list)


def descend(w0: float, lr: float, grad_tol: float, max_updates: int, lesson: str = "") -> Run:
    """Run gradient descent on L from w0 with nn.fit; a diverging run is caught and reported."""
    from nn import fit

    w = Value(w0, label="w")
    path = [w0]

    def record(_history: object) -> None:
        path.append(w.data)

    # fit trains a model on data; here the "model" ignores its input and returns L(w), and
    # the "loss" of a batch is that single value, so every update is w -= lr * dL/dw.
    try:
        history = fit(
            lambda _x: loss(w),
            [0.0],
            [0.0],
            loss=lambda predictions, _targets: predictions[0],
            lr=lr,
            batch_size=1,
            parameters=[w],
            max_updates=max_updates,
            grad_tol=grad_tol,
            callback=record,
        )
        reason, updates = history.stop_reason or "", history.updates
    except FloatingPointError:  # fit's signal for a non-finite or overflowing loss
        reason, updates = "diverged", len(path) - 1
    final_loss, slope = float("inf"), float("nan")
    if reason != "diverged":
        at = Value(w.data)
        value = loss(at)
        value.backward()
        final_loss, slope = value.data, at.grad
    return Run(
        w0=w0,
        lr=lr,
        grad_tol=grad_tol,
        max_updates=max_updates,
        lesson=lesson,
        path=path,
        final_w=w.data,
        final_loss=final_loss,
        final_grad=slope,
        updates=updates,
        stop_reason=reason,
    )


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    settings: Sequence[Setting] | None = None,
    w0: float | None = None,
    lr: float = 0.05,
    grad_tol: float = 1e-6,
    max_updates: int = 1000,
    progress: bool = False,
) -> GradientDescentResult:
    """Make every run in ``settings`` (default RUNS) plus one more, plot, return the results.

    The extra run starts at ``w0``, or, as in the lecture, at a random w0 drawn with ``seed``.
    Everything else is deterministic and takes about a second, so ``quick`` changes nothing.
    """
    del quick, progress
    out = output_dir(out_dir)
    settings = list(RUNS if settings is None else settings)
    if w0 is None:
        w0 = round(random.Random(seed).uniform(-3.0, 3.0), 3)  # off the shelf
        lesson = f"a random start (seed {seed}), η = {lr:g}"
    else:
        lesson = f"your start w0 = {w0:g}, η = {lr:g}"
    settings.append(Setting(w0, lr, grad_tol, max_updates, lesson))
    runs = [descend(s.w0, s.lr, s.grad_tol, s.max_updates, s.lesson) for s in settings]
    result = GradientDescentResult(runs=runs)
    result.files.append(_plot(out / "gradient_descent.png", runs))
    return result


def _plot(path: Path, runs: list[Run]) -> Path:
    lo, hi = W_RANGE
    grid = [lo + (hi - lo) * i / 600 for i in range(601)]
    curve = [loss_value(w) for w in grid]
    top = max(curve) * 1.05
    columns = 3
    rows = -(-(len(runs) + 1) // columns)
    fig = new_figure((4.2 * columns, 3.4 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    flat = [ax for row in axes for ax in row]

    first = flat[0]
    first.plot(grid, curve, color="0.2", lw=2)
    marks = [
        (GLOBAL_MIN, "global minimum"),
        (LOCAL_MIN, "local minimum"),
        (HUMP, "hump"),
        (sum(SHELF) / 2, "flat shelf"),
    ]
    for w, text in marks:
        first.annotate(
            text,
            (w, loss_value(w)),
            xytext=(0, 12 if text != "hump" else 6),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            arrowprops={"arrowstyle": "-", "color": "0.5"},
        )
    first.set_title("the loss L(w)", fontsize=10)

    for number, (ax, r) in enumerate(zip(flat[1:], runs), 1):
        ax.plot(grid, curve, color="0.75", lw=1.5)
        ax.text(0.5, 0.96, r.lesson, transform=ax.transAxes, ha="center", va="top", fontsize=8)
        if r.stop_reason == "diverged":
            steps = " → ".join(f"{w:.3g}" for w in r.path[:5])
            ax.text(0.5, 0.5, f"w: {steps} → ...", transform=ax.transAxes, ha="center", fontsize=8)
        shown = [(w, loss_value(w)) for w in r.path if lo <= w <= hi]
        if shown:
            _draw_path(ax, shown, r.stop_reason != "diverged")
            span = max(w for w, _ in shown) - min(w for w, _ in shown)
            if r.stop_reason != "diverged" and 0 < span < 0.05 * (hi - lo):
                _zoom_in(ax, grid, curve, shown)
        end = f"w = {r.final_w:.4g}" if r.stop_reason != "diverged" else "left the plot"
        ax.set_title(
            f"run {number}: w0 = {r.w0:g}, η = {r.lr:g}, grad_tol = {r.grad_tol:g}\n"
            f"{r.stop_reason} after {r.updates} updates, {end}",
            fontsize=9,
        )
    for ax in flat:
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.5, top * 1.12)  # room for the lesson line
        ax.set_xlabel("w", fontsize=9)
        ax.grid(alpha=0.3)
    for row in axes:
        row[0].set_ylabel("loss L(w)", fontsize=9)
    for ax in flat[len(runs) + 1 :]:
        ax.set_visible(False)
    flat[1].legend(fontsize=8, loc="center right")
    fig.suptitle("Gradient descent w ← w − η·dL/dw from different starts w0 and learning rates η")
    fig.tight_layout()
    return save_figure(fig, path)


def _draw_path(ax: Any, shown: list[tuple[float, float]], ended: bool) -> None:
    """The run's w after every update on the curve: a ring at the start, a star at the end."""
    ws, ls = zip(*shown)
    ax.plot(ws, ls, "-", color="C0", lw=0.8, alpha=0.6)
    ax.plot(ws, ls, "o", color="C0", ms=3)
    # A hollow ring under the star, so both show when a run ends close to its start.
    ax.plot(ws[0], ls[0], "o", ms=14, mfc="none", mec="C2", mew=2, label="start w0", zorder=3)
    if ended:
        ax.plot(ws[-1], ls[-1], "*", color="C3", mec="white", mew=0.6, ms=15, label="end", zorder=4)


def _zoom_in(
    ax: Any, grid: list[float], curve: list[float], shown: list[tuple[float, float]]
) -> None:
    """An inset magnifying a path too short to see at the panel's scale."""
    ws = [w for w, _ in shown]
    ls = [loss for _, loss in shown]
    w_pad = 0.3 * (max(ws) - min(ws))
    l_pad = 0.3 * (max(ls) - min(ls)) or 0.01
    inset = ax.inset_axes((0.14, 0.42, 0.4, 0.36))
    near = [(w, c) for w, c in zip(grid, curve) if min(ws) - 3 * w_pad <= w <= max(ws) + 3 * w_pad]
    inset.plot([w for w, _ in near], [c for _, c in near], color="0.75", lw=1.5)
    _draw_path(inset, shown, True)
    inset.set_xlim(min(ws) - w_pad, max(ws) + w_pad)
    inset.set_ylim(min(ls) - l_pad, max(ls) + l_pad)
    inset.tick_params(labelsize=6)
    inset.set_title("zoomed in", fontsize=7)
    ax.indicate_inset_zoom(inset, edgecolor="0.4")


def report(result: GradientDescentResult) -> str:
    """The printed table of runs, then what they show."""
    rows = []
    for r in result.runs:
        final = f"{r.final_w:.6g}" if r.stop_reason != "diverged" else f"{r.final_w:.3g}"
        slope = f"{r.final_grad:.2g}" if r.stop_reason != "diverged" else "-"
        settings = (f"{r.w0:g}", f"{r.lr:g}", f"{r.grad_tol:g}", r.max_updates)
        rows.append((*settings, final, slope, r.updates, r.stop_reason, r.minimum))
    headers = ["w0", "η", "grad_tol", "cap", "final w", "dL/dw", "updates", "stopped", "where"]
    lines = [table(headers, rows), ""]
    for i, r in enumerate(result.runs, 1):
        lines.append(f"  run {i}: {r.lesson}")
    lines += [
        "",
        '"converged" means |dL/dw| <= grad_tol (the converging step is not counted);',
        '"max_updates" means the cap stopped it; "diverged" means the loss overflowed.',
        "With grad_tol = 0 only an exactly-zero slope stops gradient descent: at the smooth",
        "minimum the slope stays around 1e-15 and the run burns its whole update cap, while",
        "on the flat shelf the slope is exactly 0.0 and w stops at once - though it is not",
        "a minimum.  Where descent ends depends on w0 (local or global minimum) and on η.",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for the extra run (the others are listed in RUNS)."""
    group = parser.add_argument_group("the extra run, after the fixed ones")
    group.add_argument(
        "--w0", type=option(parse_real), default=None, help="start (default: random)"
    )
    group.add_argument(
        "--lr",
        type=option(parse_real, positive=True),
        default=0.05,
        help="learning rate η (default 0.05)",
    )
    group.add_argument(
        "--grad-tol",
        type=option(parse_real, minimum=0.0),
        default=1e-6,
        help="stop when |dL/dw| <= this (default 1e-6)",
    )
    group.add_argument(
        "--max-updates",
        type=option(parse_integer, minimum=1),
        default=1000,
        help="update cap (default 1000)",
    )


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["gradient_descent", *sys.argv[1:]]))
