"""Model bias: why y = b + w·x can never draw the red curve, and what can (lecture ideas 7-8).

The "red curve" is piecewise linear: flat, rising, falling, flat, rising, flat.  A linear
model b + w·x is one straight line whatever w and b are; no amount of training fixes that.
The limit comes from the model itself, and is called *model bias*.

Any piecewise-linear curve is a constant plus a sum of *hard sigmoids* (flat, a slope, flat):
one hard sigmoid per sloped piece, its height the rise of that piece.  This demo first builds
that decomposition exactly from the curve's corners, then trains three flexible models on
samples of the curve with gradient descent on the MSE:

    y = b + Σ cᵢ · hard_sigmoid(bᵢ + wᵢ·x)
    y = b + Σ cᵢ · sigmoid(bᵢ + wᵢ·x)      (a smooth stand-in for a hard sigmoid)
    y = b + Σ cᵢ · relu(bᵢ + wᵢ·x)         (two ReLUs make one hard sigmoid)

Every unit starts with its slope somewhere inside [0, 5] (where the data is); a unit that is
flat over all the data has zero gradient and would never learn.
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import autograd
from autograd import Value
from autograd.checks import option, parse_integer

from ._common import new_figure, output_dir, save_figure, table

__all__ = [
    "REQUIRES",
    "RED_CURVE_CORNERS",
    "red_curve",
    "hard_sigmoid_decomposition",
    "FitResult",
    "ModelBiasResult",
    "run",
    "report",
    "add_arguments",
]

REQUIRES = ("matplotlib",)

# (x, y) corners of the red curve; constant before the first and after the last.
RED_CURVE_CORNERS: list[tuple[float, float]] = [
    (0.0, 1.0),
    (1.0, 1.0),
    (2.0, 3.0),
    (3.0, 1.5),
    (3.5, 1.5),
    (4.5, 2.5),
    (5.0, 2.5),
]
X_RANGE = (0.0, 5.0)


def red_curve(x: float, corners: Sequence[tuple[float, float]] = RED_CURVE_CORNERS) -> float:
    """The piecewise-linear curve through ``corners`` (flat outside them)."""
    if x <= corners[0][0]:
        return corners[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return corners[-1][1]


@dataclass(frozen=True)
class HardSigmoidTerm:
    """c · hard_sigmoid(b + w·x): rises (or falls) by c between x = start and x = end."""

    c: float
    b: float
    w: float
    start: float
    end: float

    def __call__(self, x: float) -> float:
        """The term's value at x (with autograd's hard sigmoid, for an exact match)."""
        return self.c * Value(self.b + self.w * x).hard_sigmoid().data


def hard_sigmoid_decomposition(
    corners: Sequence[tuple[float, float]] = RED_CURVE_CORNERS,
) -> tuple[float, list[HardSigmoidTerm]]:
    """The constant and the hard sigmoids whose sum is the curve through ``corners``.

    autograd's hard_sigmoid(z) = clip(z / 6 + 1/2, 0, 1) climbs from 0 to 1 while z goes
    from -3 to 3.  For a piece from (x0, y0) to (x1, y1) choose w = 6 / (x1 - x0) and
    b = -3 - w·x0, so that z = b + w·x goes from -3 to 3 exactly across the piece, and
    c = y1 - y0.  Flat pieces need no term; the constant is the curve's left end.
    """
    terms = []
    for (x0, y0), (x1, y1) in itertools.pairwise(corners):
        if y1 == y0:
            continue
        w = 6.0 / (x1 - x0)
        terms.append(HardSigmoidTerm(c=y1 - y0, b=-3.0 - w * x0, w=w, start=x0, end=x1))
    return corners[0][1], terms


# --- the models ---------------------------------------------------------------------------


class SumOfUnits:
    """y = b + Σ cᵢ · act(bᵢ + wᵢ·x): the lecture's flexible model, with one kind of unit."""

    def __init__(self, activation: str, units: int, rng: random.Random, y_mean: float) -> None:
        self.activation = activation
        self.b = Value(y_mean, label="b")
        self.units: list[tuple[Value, Value, Value]] = []
        lo, hi = X_RANGE
        # How steep a unit starts: its slope then spans about one unit of x.
        steepness = {"hard_sigmoid": 6.0, "sigmoid": 4.0, "relu": 1.0}[activation]
        for i in range(units):
            centre = lo + (i + 0.5) * (hi - lo) / units + rng.uniform(-0.2, 0.2)
            w = rng.choice((-1.0, 1.0)) * steepness
            self.units.append(
                (
                    Value(rng.gauss(0.0, 0.1), label=f"c{i + 1}"),
                    Value(-w * centre, label=f"b{i + 1}"),
                    Value(w, label=f"w{i + 1}"),
                )
            )

    def act(self, z: Value) -> Value:
        """The unit's activation function."""
        return getattr(z, self.activation)()  # type: ignore[no-any-return]

    def __call__(self, x: float | Value) -> Value:
        """The model's output at one x."""
        return self.b + autograd.sum([c * self.act(b + w * x) for c, b, w in self.units])

    def unit_curves(self, x: float) -> list[float]:
        """Each cᵢ · act(bᵢ + wᵢ·x) at x, as floats (for plotting the pieces)."""
        with autograd.no_grad():
            return [(c * self.act(b + w * x)).data for c, b, w in self.units]

    def parameters(self) -> list[Value]:
        """b, then c, b, w of every unit."""
        return [self.b, *(p for unit in self.units for p in unit)]


class Linear:
    """y = b + w·x."""

    def __init__(self) -> None:
        self.b = Value(0.0, label="b")
        self.w = Value(0.0, label="w")

    def __call__(self, x: float | Value) -> Value:
        """The line at x."""
        return self.b + self.w * x

    def parameters(self) -> list[Value]:
        """[b, w]."""
        return [self.b, self.w]


@dataclass
class FitResult:
    """One trained model: its name, final errors on the samples, and its curve."""

    name: str
    mae: float
    mse: float
    updates: int
    curve: list[float]


@dataclass
class ModelBiasResult:
    """What the model-bias demo found."""

    constant: float
    terms: list[HardSigmoidTerm]
    decomposition_max_error: float  # max |red curve - (constant + Σ terms)| on a fine grid
    fits: dict[str, FitResult]
    files: list[Path] = field(default_factory=list)


def _train(
    model: Callable[[float], Value],
    params: list[Value],
    xs: list[float],
    ys: list[float],
    lr: float,
    updates: int,
    progress: bool,
) -> int:
    """Full-batch gradient descent with momentum on the MSE; returns the number of updates.

    ``autograd.compile`` traces the model once and replays it on all the samples at once:
    the same updates as the eager engine up to float rounding, several times faster.
    """
    from nn import fit
    from nn.losses import mse

    history = fit(
        model,
        xs,
        ys,
        parameters=params,
        loss=mse,
        lr=lr,
        momentum=0.9,
        batch_size=len(xs),
        max_updates=updates,
        progress=progress,
        compiled=True,
    )
    return history.updates


def _errors(
    model: Callable[[float], Value], xs: list[float], ys: list[float]
) -> tuple[float, float]:
    """The model's (MAE, MSE) on the samples, with nn.losses (no graph is recorded)."""
    from nn.losses import mae, mse

    with autograd.no_grad():
        predictions = [model(x) for x in xs]
        return mae(predictions, ys).data, mse(predictions, ys).data


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    units: int = 6,
    updates: int | None = None,
    progress: bool = False,
) -> ModelBiasResult:
    """Decompose the red curve exactly, fit four models to it, plot, and return the errors."""
    out = output_dir(out_dir)
    rng = random.Random(seed)
    if updates is None:
        updates = 300 if quick else 1500
    lo, hi = X_RANGE
    n = 21 if quick else 41
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    ys = [red_curve(x) for x in xs]
    grid = [lo - 0.5 + (hi - lo + 1.0) * i / 400 for i in range(401)]

    constant, terms = hard_sigmoid_decomposition()
    rebuilt = [constant + sum(t(x) for t in terms) for x in grid]
    decomposition_error = max(abs(r - red_curve(x)) for r, x in zip(rebuilt, grid))

    y_mean = sum(ys) / len(ys)
    models: dict[str, tuple[Callable[[float], Value], list[Value], float]] = {}
    linear = Linear()
    models["linear b + w·x"] = (linear, linear.parameters(), 0.02)
    flexible: dict[str, SumOfUnits] = {}
    # Two ReLUs make one hard sigmoid, so the ReLU model gets twice as many units.
    for activation, count, lr in (
        ("hard_sigmoid", units, 0.05),
        ("sigmoid", units, 0.05),
        ("relu", 2 * units, 0.02),
    ):
        units_model = SumOfUnits(activation, count, rng, y_mean)
        flexible[activation] = units_model
        models[f"{count} {activation}"] = (units_model, units_model.parameters(), lr)

    fits: dict[str, FitResult] = {}
    for name, (model, params, lr) in models.items():
        done = _train(model, params, xs, ys, lr, updates, progress)
        mae, mse = _errors(model, xs, ys)
        with autograd.no_grad():
            curve = [model(x).data for x in grid]
        fits[name] = FitResult(name=name, mae=mae, mse=mse, updates=done, curve=curve)

    result = ModelBiasResult(
        constant=constant,
        terms=terms,
        decomposition_max_error=decomposition_error,
        fits=fits,
    )
    result.files.append(_plot_fits(out / "fits.png", xs, ys, grid, fits))
    result.files.append(
        _plot_decomposition(
            out / "hard_sigmoids.png", grid, constant, terms, flexible["hard_sigmoid"]
        )
    )
    return result


def _plot_fits(
    path: Path, xs: list[float], ys: list[float], grid: list[float], fits: dict[str, FitResult]
) -> Path:
    fig = new_figure((4.0 * len(fits), 3.4))
    axes = fig.subplots(1, len(fits), sharey=True)
    red = [red_curve(x) for x in grid]
    for ax, fit in zip(axes, fits.values()):
        ax.plot(grid, red, color="#d62728", lw=4, alpha=0.35, label="red curve")
        ax.plot(xs, ys, "o", color="#d62728", ms=3, label="training samples")
        ax.plot(grid, fit.curve, color="#1f77b4", lw=1.8, label="model")
        ax.set_title(f"{fit.name}\nMAE {fit.mae:.3f}   MSE {fit.mse:.4f}", fontsize=10)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("y")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("Model bias: a line cannot follow the red curve; sums of units can")
    fig.tight_layout()
    return save_figure(fig, path)


def _plot_decomposition(
    path: Path,
    grid: list[float],
    constant: float,
    terms: list[HardSigmoidTerm],
    trained: SumOfUnits,
) -> Path:
    fig = new_figure((12, 5.2))
    left, right = fig.subplots(1, 2)
    red = [red_curve(x) for x in grid]
    left.plot(grid, red, color="#d62728", lw=5, alpha=0.35, label="red curve")
    left.axhline(constant, color="0.4", ls=":", label=f"constant {constant:g}")
    total = [constant] * len(grid)
    for term in terms:
        values = [term(x) for x in grid]
        total = [t + v for t, v in zip(total, values)]
        formula = f"{term.c:+g} · hard_sigmoid({term.w:g}x {term.b:+g})"
        label = f"{formula}: slope on [{term.start:g}, {term.end:g}]"
        left.plot(grid, values, lw=1.5, label=label)
    left.plot(grid, total, "k--", lw=1.2, label="constant + Σ hard sigmoids")
    left.set_title(f"Exact: the red curve = a constant + {len(terms)} hard sigmoids", fontsize=10)
    left.set_xlabel("x")
    left.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    left.grid(alpha=0.3)

    pieces = [trained.unit_curves(x) for x in grid]
    right.axhline(trained.b.data, color="0.4", ls=":", label=f"b = {trained.b.data:.2f}")
    for j in range(len(trained.units)):
        right.plot(
            grid,
            [p[j] for p in pieces],
            lw=1.2,
            label=f"c{j + 1} · hard_sigmoid(b{j + 1} + w{j + 1}x)",
        )
    with autograd.no_grad():
        right.plot(grid, [trained(x).data for x in grid], "k", lw=1.8, label="their sum + b")
    right.plot(grid, red, color="#d62728", lw=5, alpha=0.25, label="red curve")
    right.set_title("Learned: the trained hard-sigmoid units and their sum", fontsize=10)
    right.set_xlabel("x")
    right.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)
    right.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def report(result: ModelBiasResult) -> str:
    """The printed summary: the decomposition and each model's errors."""
    lines = [
        f"The red curve = {result.constant:g}"
        + "".join(
            f" {'+' if t.c > 0 else '-'} {abs(t.c):g}·hard_sigmoid({t.w:.4g}·x {t.b:+.4g})"
            for t in result.terms
        ),
        f"  (one hard sigmoid per sloped piece; largest difference from the curve on a fine "
        f"grid: {result.decomposition_max_error:.1e})",
        "",
        table(
            ["model", "updates", "MAE", "MSE"],
            [(f.name, f.updates, f"{f.mae:.4f}", f"{f.mse:.5f}") for f in result.fits.values()],
        ),
        "",
        "The line's error stays large however long it trains: that is model bias.",
        "The sums of hard sigmoids, sigmoids or ReLUs can bend and fit the curve closely.",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's own options."""
    parser.add_argument(
        "--units",
        type=option(parse_integer, minimum=1),
        default=6,
        help="hard sigmoids / sigmoids per model (ReLUs: twice)",
    )
    parser.add_argument(
        "--updates",
        type=option(parse_integer, minimum=1),
        default=None,
        help="gradient-descent updates per model",
    )


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["model_bias", *sys.argv[1:]]))
