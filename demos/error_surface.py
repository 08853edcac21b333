"""Several parameters: gradient descent on the error surface of a line (lecture idea 6).

With one parameter the loss is a curve L(w).  The line y = b + w·x has two parameters, so
its loss, the MSE on the data

    L(w, b) = mean over the examples of (b + w·xᵢ - yᵢ)²,

is a surface over the (w, b) plane: the *error surface*.  Seen from above, each contour line
joins the (w, b) whose lines fit the data equally badly; the lowest point is the best line.

Gradient descent is the same rule as with one parameter, with the partial derivative of L
for each parameter.  Both are taken at the same point, and both parameters move at once:

    w  <-  w - η · ∂L/∂w
    b  <-  b - η · ∂L/∂b

One backward() through the graph of L gives both partial derivatives.  Together they form
the gradient, which points straight uphill, across the contour lines; each update steps the
other way.

The x's here lie in [0, 4], not around 0, so the surface is a long, narrow valley: steep
across, nearly flat along it.  The learning rate must be small enough for the steep
direction, or every step overshoots the valley floor further and the run diverges; then the
flat direction makes progress slow.  For a line the lowest point also has a closed form
(least squares), and the paths are checked against it.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value
from autograd.checks import integer, option, parse_integer, parse_real, real

from ._common import new_figure, output_dir, save_figure, table

__all__ = [
    "REQUIRES",
    "Setting",
    "RUNS",
    "Update",
    "Descent",
    "ErrorSurfaceResult",
    "make_data",
    "loss",
    "least_squares",
    "descend",
    "run",
    "report",
    "add_arguments",
]

REQUIRES = ("matplotlib",)

TRUE_B, TRUE_W, NOISE = 1.0, 0.5, 0.4
X_RANGE = (0.0, 4.0)
W_LIMITS, B_LIMITS = (-1.5, 2.5), (-3.0, 4.5)  # the plotted part of the (w, b) plane
GRAD_TOL = 1e-6
DIVERGED = 1e6  # a run whose loss grows past this many times its start has diverged


@dataclass(frozen=True)
class Setting:
    """One gradient-descent run to make: start (w0, b0), learning rate, and why."""

    w0: float
    b0: float
    lr: float
    lesson: str


# Each setting shows one lesson; the largest stable η here is about 0.16 (see the report).
RUNS: list[Setting] = [
    Setting(2.0, 3.0, 0.01, "small η: down into the valley, then a crawl along it"),
    Setting(-1.0, -1.5, 0.05, "a larger η: reaches the best line"),
    Setting(1.5, -2.5, 0.15, "η near its limit: zig-zags across the valley, but gets there"),
    Setting(-0.5, 3.0, 0.18, "η past its limit: every step overshoots more, it diverges"),
]


@dataclass
class Update:
    """One update written out: where it starts, the two partial derivatives, where it lands."""

    w: float
    b: float
    lr: float
    loss: float
    dw: float  # ∂L/∂w at (w, b), from backward()
    db: float  # ∂L/∂b at (w, b), from backward()
    new_w: float  # w - lr·dw
    new_b: float  # b - lr·db


@dataclass
class Descent:
    """What one gradient-descent run did."""

    w0: float
    b0: float
    lr: float
    lesson: str
    path: list[tuple[float, float]]  # (w0, b0), then (w, b) after every update
    losses: list[float]  # L at each point of the path that could be evaluated
    updates: int
    stop_reason: str  # "converged", "max_updates" or "diverged"
    first_update: Update | None  # None if the start already met the stopping rule

    @property
    def final_w(self) -> float:
        """w where the run stopped."""
        return self.path[-1][0]

    @property
    def final_b(self) -> float:
        """b where the run stopped."""
        return self.path[-1][1]


@dataclass
class ErrorSurfaceResult:
    """The data, the best line in closed form, every run, and the files written."""

    xs: list[float]
    ys: list[float]
    best_w: float
    best_b: float
    best_loss: float
    max_stable_lr: float  # gradient descent on this L converges for η below this
    max_updates: int
    runs: list[Descent]
    files: list[Path] = field(default_factory=list)


def make_data(n: int, seed: int) -> tuple[list[float], list[float]]:
    """N examples y = 1 + 0.5x + Gaussian noise, x evenly spaced over [0, 4]."""
    lo, hi = X_RANGE
    rng = random.Random(seed)
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    ys = [TRUE_B + TRUE_W * x + rng.gauss(0.0, NOISE) for x in xs]
    return xs, ys


def loss(w: Value, b: Value, xs: Sequence[float], ys: Sequence[float]) -> Value:
    """L(w, b): nn.losses.mse of the line b + w·x on the data."""
    from nn.losses import mse

    return mse([b + w * x for x in xs], list(ys))


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """The (w, b) of the lowest point, in closed form: where both partial derivatives are 0."""
    x_mean, y_mean = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
    sxy = math.fsum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys))
    sxx = math.fsum((x - x_mean) ** 2 for x in xs)
    w = sxy / sxx
    return w, y_mean - w * x_mean


def max_stable_lr(xs: Sequence[float]) -> float:
    """2 / (largest eigenvalue of L's Hessian, 2·[[mean x², mean x], [mean x, 1]]).

    L is quadratic, so its curvature is the same everywhere, and gradient descent converges
    from every start exactly when η is below this; past it, the steep direction overshoots.
    """
    a = 2.0 * math.fsum(x * x for x in xs) / len(xs)
    c = 2.0
    off = 2.0 * math.fsum(xs) / len(xs)
    largest = (a + c) / 2 + math.hypot((a - c) / 2, off)
    return 2.0 / largest


def descend(
    setting: Setting,
    xs: Sequence[float],
    ys: Sequence[float],
    max_updates: int,
    grad_tol: float = GRAD_TOL,
) -> Descent:
    """Gradient descent on L(w, b) from (w0, b0); a diverging run is stopped and reported.

    It stops when neither partial derivative is larger than ``grad_tol`` (that point is
    not stepped from), after ``max_updates`` updates, or when the loss grows past
    ``DIVERGED`` times its start or overflows a float.
    """
    w, b = setting.w0, setting.b0
    path = [(w, b)]
    losses: list[float] = []
    first: Update | None = None
    reason = "max_updates"
    while True:
        wv, bv = Value(w, label="w"), Value(b, label="b")
        try:
            value = loss(wv, bv, xs, ys)
            value.backward()
        except ArithmeticError:  # the engine's overflow: far out on the surface
            reason = "diverged"
            break
        losses.append(value.data)
        if not value.data <= DIVERGED * losses[0]:  # also catches inf and NaN
            reason = "diverged"
            break
        dw, db = wv.grad, bv.grad
        if max(abs(dw), abs(db)) <= grad_tol:
            reason = "converged"
            break
        if len(path) > max_updates:
            break
        new_w, new_b = w - setting.lr * dw, b - setting.lr * db
        if first is None:
            first = Update(w, b, setting.lr, value.data, dw, db, new_w, new_b)
        w, b = new_w, new_b
        path.append((w, b))
    return Descent(
        w0=setting.w0,
        b0=setting.b0,
        lr=setting.lr,
        lesson=setting.lesson,
        path=path,
        losses=losses,
        updates=len(path) - 1,
        stop_reason=reason,
        first_update=first,
    )


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    settings: Sequence[Setting] | None = None,
    w0: float | None = None,
    b0: float | None = None,
    lr: float = 0.05,
    max_updates: int = 1000,
    n: int | None = None,
    progress: bool = False,
) -> ErrorSurfaceResult:
    """Make every run in ``settings`` (default RUNS) plus one more, plot, return the results.

    The extra run starts at (``w0``, ``b0``); each one left out is drawn at random with
    ``seed``, which also draws the data's noise.  ``quick`` fits fewer examples (10, not 20)
    and draws a coarser surface.
    """
    del progress  # every run takes a fraction of a second
    if n is None:
        n = 10 if quick else 20
    n = integer(n, "error_surface", "n", 2)  # a line through the data needs two different x
    lr = real(lr, "error_surface", "lr", positive=True)
    max_updates = integer(max_updates, "error_surface", "max_updates", 1)
    out = output_dir(out_dir)
    xs, ys = make_data(n, seed)
    rng = random.Random(seed)
    start_w = rng.uniform(*W_LIMITS) if w0 is None else real(w0, "error_surface", "w0")
    start_b = rng.uniform(*B_LIMITS) if b0 is None else real(b0, "error_surface", "b0")
    chosen = "a random start" if w0 is None and b0 is None else "your start"
    settings = [
        *(RUNS if settings is None else settings),
        Setting(round(start_w, 3), round(start_b, 3), lr, f"{chosen} (seed {seed}), η = {lr:g}"),
    ]
    best_w, best_b = least_squares(xs, ys)
    best = loss(Value(best_w), Value(best_b), xs, ys).data
    result = ErrorSurfaceResult(
        xs=xs,
        ys=ys,
        best_w=best_w,
        best_b=best_b,
        best_loss=best,
        max_stable_lr=max_stable_lr(xs),
        max_updates=max_updates,
        runs=[descend(s, xs, ys, max_updates) for s in settings],
    )
    result.files.append(_plot(out / "error_surface.png", result, 60 if quick else 160))
    return result


def _plot(path: Path, result: ErrorSurfaceResult, resolution: int) -> Path:
    import numpy as np
    from matplotlib.colors import LogNorm

    fig = new_figure((15, 5.6))
    surface, progress, lines = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1, 1]})

    # The surface is drawn with numpy on a grid: drawing only, the runs use the engine.
    ws = np.linspace(*W_LIMITS, resolution)
    bs = np.linspace(*B_LIMITS, resolution)
    grid_w, grid_b = np.meshgrid(ws, bs)
    x, y = np.array(result.xs), np.array(result.ys)
    grid_loss = ((grid_b[..., None] + grid_w[..., None] * x - y) ** 2).mean(axis=-1)
    levels = np.geomspace(result.best_loss * 1.02, grid_loss.max(), 18)
    surface.contourf(ws, bs, grid_loss, levels=levels, norm=LogNorm(), cmap="Greys_r", alpha=0.5)
    surface.contour(ws, bs, grid_loss, levels=levels, colors="0.45", linewidths=0.5)
    surface.plot(
        result.best_w,
        result.best_b,
        "X",
        color="k",
        ms=12,
        mec="white",
        label="least squares: the lowest point",
        zorder=5,
    )
    for i, r in enumerate(result.runs):
        colour = f"C{i}"
        pw, pb = zip(*_inside(r.path))
        surface.plot(pw, pb, "-", color=colour, lw=1.2)
        surface.plot(pw, pb, ".", color=colour, ms=3)
        surface.plot(pw[0], pb[0], "o", ms=10, mfc="none", mec=colour, mew=2)
        if r.stop_reason != "diverged":
            surface.plot(pw[-1], pb[-1], "*", color=colour, ms=13, mec="white", mew=0.6)
    surface.set_xlim(*W_LIMITS)
    surface.set_ylim(*B_LIMITS)
    surface.set_xlabel("w (slope)")
    surface.set_ylabel("b (intercept)")
    surface.set_title(
        "The error surface L(w, b), darker is lower.\n"
        "Paths: ring = start, star = end, one dot per update",
        fontsize=10,
    )
    surface.legend(fontsize=8, loc="lower left")

    for i, r in enumerate(result.runs):
        above = [max(value - result.best_loss, 1e-16) for value in r.losses]
        label = f"run {i + 1}: η = {r.lr:g}, {r.stop_reason}"
        progress.plot(range(len(above)), above, color=f"C{i}", lw=1.4, label=label)
    progress.set_yscale("log")
    progress.set_ylim(1e-14, 1e6)
    progress.set_xlabel("updates")
    progress.set_ylabel("L(w, b) − lowest L (log scale)")
    progress.set_title("How far above the lowest point, update by update", fontsize=10)
    progress.legend(fontsize=8, loc="upper right")
    progress.grid(alpha=0.3)

    lo, hi = X_RANGE
    lines.plot(result.xs, result.ys, "o", color="0.3", ms=4, label="data")
    lines.plot(
        [lo, hi],
        [result.best_b + result.best_w * lo, result.best_b + result.best_w * hi],
        color="k",
        lw=2.5,
        label=f"least squares: y = {result.best_b:.3f} + {result.best_w:.3f}x",
    )
    for i, r in enumerate(result.runs):
        ends = [r.b0 + r.w0 * lo, r.b0 + r.w0 * hi]
        lines.plot([lo, hi], ends, "--", color=f"C{i}", lw=1)
    lines.plot([], [], "--", color="0.4", lw=1, label="the line at each start (run colours)")
    lines.set_ylim(-4, 8)
    lines.set_xlabel("x")
    lines.set_ylabel("y")
    lines.set_title("Each point (w, b) is a line y = b + w·x", fontsize=10)
    lines.legend(fontsize=8, loc="upper left")
    lines.grid(alpha=0.3)

    fig.suptitle(
        f"Gradient descent on two parameters: w ← w − η·∂L/∂w and b ← b − η·∂L/∂b "
        f"({len(result.xs)} examples)"
    )
    fig.tight_layout()
    return save_figure(fig, path)


def _inside(path: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The path up to its first point outside the plotted window (the window clips that one).

    A diverging run's later points are ever farther out: their long segments across the
    window would hide the rest.
    """
    for i, (w, b) in enumerate(path):
        if not (W_LIMITS[0] <= w <= W_LIMITS[1] and B_LIMITS[0] <= b <= B_LIMITS[1]):
            return path[: i + 1]
    return path


def report(result: ErrorSurfaceResult) -> str:
    """The first update written out for both parameters, then the table of runs."""
    lines = [
        f"{len(result.xs)} examples of y = {TRUE_B:g} + {TRUE_W:g}x + noise, x in "
        f"[{X_RANGE[0]:g}, {X_RANGE[1]:g}].  The loss is L(w, b) = mean((b + w·x - y)²).",
        "",
    ]
    first = next((r for r in result.runs if r.first_update is not None), None)
    if first is not None and first.first_update is not None:
        u = first.first_update
        number = result.runs.index(first) + 1
        lines += [
            f"The first update of run {number}, from (w, b) = ({u.w:g}, {u.b:g}) with "
            f"η = {u.lr:g}:",
            f"  L = {u.loss:.6g}; one backward() gives ∂L/∂w = {u.dw:.6g} and ∂L/∂b = {u.db:.6g}",
            f"  w ← w − η·∂L/∂w = {u.w:g} − {u.lr:g} × ({u.dw:.6g}) = {u.new_w:.6g}",
            f"  b ← b − η·∂L/∂b = {u.b:g} − {u.lr:g} × ({u.db:.6g}) = {u.new_b:.6g}",
            "  (by hand: ∂L/∂w = mean(2(b + w·x - y)·x) and ∂L/∂b = mean(2(b + w·x - y)))",
            "",
        ]
    rows = []
    for i, r in enumerate(result.runs, 1):
        if r.stop_reason == "diverged":
            end, final, away = "-", "-", "-"
        else:
            end = f"({r.final_w:.4f}, {r.final_b:.4f})"
            final = f"{r.losses[-1]:.6f}"
            away = f"{math.hypot(r.final_w - result.best_w, r.final_b - result.best_b):.1e}"
        start = f"({r.w0:g}, {r.b0:g})"
        rows.append((i, start, f"{r.lr:g}", r.updates, r.stop_reason, end, final, away))
    headers = ["run", "start (w, b)", "η", "updates", "stopped", "end (w, b)", "L", "from best"]
    lines += [table(headers, rows), ""]
    lines += [f"  run {i}: {r.lesson}" for i, r in enumerate(result.runs, 1)]
    lines += [
        "",
        f"Least squares, in closed form: w = {result.best_w:.6f}, b = {result.best_b:.6f}, "
        f"L = {result.best_loss:.6f}.",
        f'"converged": both |∂L/∂w| and |∂L/∂b| <= {GRAD_TOL:g}; "max_updates": the cap of '
        f'{result.max_updates} stopped it; "diverged": the loss grew',
        f"past {DIVERGED:.0e} times its start.  On this surface gradient descent converges "
        f"for η below {result.max_stable_lr:.4f}",
        "(2 over the largest eigenvalue of L's Hessian: the steepness across the valley).",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for the extra run (the others are listed in RUNS), and the update cap."""
    group = parser.add_argument_group("the extra run, after the fixed ones")
    group.add_argument(
        "--w0", type=option(parse_real), default=None, help="start w (default: random)"
    )
    group.add_argument(
        "--b0", type=option(parse_real), default=None, help="start b (default: random)"
    )
    group.add_argument(
        "--lr",
        type=option(parse_real, positive=True),
        default=0.05,
        help="learning rate η (default 0.05)",
    )
    parser.add_argument(
        "--max-updates",
        type=option(parse_integer, minimum=1),
        default=1000,
        help="update cap of every run (default 1000)",
    )


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["error_surface", *sys.argv[1:]]))
