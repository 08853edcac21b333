"""Loss functions: MAE, MSE, cross-entropy, and their slopes (lecture idea 2).

A loss measures how bad a prediction ŷ is, compared with the truth y.  For numbers:

    MAE = mean |ŷ - y|       slope in ŷ: sign(ŷ - y), the same size however far off ŷ is
    MSE = mean (ŷ - y)²      slope in ŷ: 2(ŷ - y), large for large errors, 0 at the target

(for a batch of N examples, each example's slope is divided by N).  So gradient descent on
MSE takes big steps far from the target and small ones near it, and a single far-off example
pulls hard; on MAE every example pulls equally.

When y and ŷ are both probability distributions over classes (y = (0.8, 0.2): class 1 with
probability 0.8), the loss is usually the cross-entropy

    CE(y, ŷ) = -Σₖ yₖ · log ŷₖ

Over all ŷ it is smallest exactly at ŷ = y, where it equals the entropy H(y) = CE(y, y);
the gap CE(y, ŷ) - H(y) is the Kullback-Leibler divergence KL(y ‖ ŷ), never negative.  A
network outputs logits z and softmax turns them into ŷ; the slope of CE in the logits is
simply ŷ - y, zero exactly when ŷ = y.  For a class label, a one-hot y = (1, 0), CE is
-log ŷ₁: only the probability given to the right class counts.

Every loss below comes from nn.losses and every slope from backward().
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value

from ._common import new_figure, output_dir, save_figure, table

__all__ = [
    "REQUIRES",
    "RegressionCurves",
    "CrossEntropyCurve",
    "RegressionExample",
    "CrossEntropyExample",
    "LossesResult",
    "softmax",
    "regression_example",
    "cross_entropy_example",
    "cross_entropy_curve",
    "run",
    "report",
    "add_arguments",
]

REQUIRES = ("matplotlib",)

TARGET = 1.0  # y of the MAE / MSE curves
DISTRIBUTIONS = (0.2, 0.5, 0.8, 1.0)  # p of each y = (p, 1 - p) whose CE curve is drawn
# The worked examples of seed 0: numbers whose hand computation is short.
DEFAULT_REGRESSION = ((2.5, 0.0, 2.0, 8.0), (3.0, -0.5, 2.0, 7.0))  # ŷ, y
DEFAULT_CROSS_ENTROPY = ((2.0, 1.0, 0.1), (0.7, 0.2, 0.1))  # logits z, y


@dataclass
class RegressionCurves:
    """MAE and MSE of one prediction ŷ against the fixed ``target``, and their slopes in ŷ."""

    target: float
    predictions: list[float]
    mae: list[float]
    mse: list[float]
    mae_slope: list[float]  # from backward()
    mse_slope: list[float]  # from backward()


@dataclass
class CrossEntropyCurve:
    """CE(y, ŷ) for y = (p, 1 - p) as ŷ = (q, 1 - q) sweeps q, with the slope in the logits."""

    p: float
    qs: list[float]
    ce: list[float]
    logit_slope: list[float]  # ∂CE/∂z₁ from backward(); in theory q - p
    entropy: float  # H(y) = CE(y, y)

    @property
    def best_q(self) -> float:
        """The q of the sweep where CE is smallest."""
        return min(zip(self.ce, self.qs))[1]

    @property
    def kl(self) -> list[float]:
        """KL(y ‖ ŷ) = CE(y, ŷ) - H(y) at each q."""
        return [ce - self.entropy for ce in self.ce]


@dataclass
class RegressionExample:
    """MAE and MSE of a small batch: nn.losses, by hand, and the slopes from backward()."""

    predictions: list[float]
    targets: list[float]
    mae: float  # nn.losses.mae
    mse: float  # nn.losses.mse
    mae_by_hand: float
    mse_by_hand: float
    mae_slopes: list[float]  # ∂MAE/∂ŷᵢ from backward()
    mse_slopes: list[float]  # ∂MSE/∂ŷᵢ from backward()


@dataclass
class CrossEntropyExample:
    """One example's cross-entropy with a distribution as target, worked out by hand."""

    logits: list[float]
    target: list[float]
    probabilities: list[float]  # softmax of the logits, by hand
    loss: float  # nn.losses.cross_entropy
    by_hand: float  # -Σ yₖ log ŷₖ
    logit_slopes: list[float]  # ∂CE/∂zₖ from backward(); in theory ŷₖ - yₖ


@dataclass
class LossesResult:
    """The curves drawn, the worked examples, and the files written."""

    regression: RegressionCurves
    cross_entropy: list[CrossEntropyCurve]
    regression_example: RegressionExample
    cross_entropy_example: CrossEntropyExample
    files: list[Path] = field(default_factory=list)


def softmax(logits: Sequence[float]) -> list[float]:
    """exp(zₖ) / Σⱼ exp(zⱼ), shifted by the largest z so that no exp overflows."""
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = math.fsum(exps)
    return [e / total for e in exps]


def _entropy(probabilities: Sequence[float]) -> float:
    """H(y) = Σ yₖ log(1 / yₖ), with 0 · log(1 / 0) = 0."""
    return math.fsum(p * math.log(1.0 / p) for p in probabilities if p > 0)


def regression_curves(target: float, points: int) -> RegressionCurves:
    """MAE and MSE of ŷ against ``target`` for ŷ within 3 of it, target included."""
    from nn.losses import mae, mse

    half = points // 2
    predictions = [target + 3.0 * (i - half) / half for i in range(2 * half + 1)]
    curves = RegressionCurves(target, predictions, [], [], [], [])
    for y_hat in predictions:
        for loss, values, slopes in (
            (mae, curves.mae, curves.mae_slope),
            (mse, curves.mse, curves.mse_slope),
        ):
            prediction = Value(y_hat, label="ŷ")
            value = loss(prediction, target)
            value.backward()
            values.append(value.data)
            slopes.append(prediction.grad)
    return curves


def cross_entropy_curve(p: float, points: int) -> CrossEntropyCurve:
    """CE((p, 1 - p), (q, 1 - q)) for q = 1/points, 2/points, ... (points - 1)/points."""
    from nn.losses import cross_entropy

    qs = [i / points for i in range(1, points)]
    curve = CrossEntropyCurve(p, qs, [], [], _entropy((p, 1.0 - p)))
    for q in qs:
        # Logits whose softmax is (q, 1 - q): log q and log(1 - q).
        logits = [Value(math.log(q), label="z1"), Value(math.log1p(-q), label="z2")]
        value = cross_entropy(logits, [p, 1.0 - p])
        value.backward()
        curve.ce.append(value.data)
        curve.logit_slope.append(logits[0].grad)
    return curve


def regression_example(predictions: Sequence[float], targets: Sequence[float]) -> RegressionExample:
    """MAE and MSE of a batch with nn.losses, by hand, and their slopes from backward()."""
    from nn.losses import mae, mse

    n = len(predictions)
    errors = [y_hat - y for y_hat, y in zip(predictions, targets)]
    slopes = []
    values = []
    for loss in (mae, mse):
        leaves = [Value(y_hat, label=f"ŷ{i + 1}") for i, y_hat in enumerate(predictions)]
        value = loss(leaves, list(targets))
        value.backward()
        values.append(value.data)
        slopes.append([leaf.grad for leaf in leaves])
    return RegressionExample(
        predictions=list(predictions),
        targets=list(targets),
        mae=values[0],
        mse=values[1],
        mae_by_hand=math.fsum(abs(e) for e in errors) / n,
        mse_by_hand=math.fsum(e * e for e in errors) / n,
        mae_slopes=slopes[0],
        mse_slopes=slopes[1],
    )


def cross_entropy_example(logits: Sequence[float], target: Sequence[float]) -> CrossEntropyExample:
    """One example's cross-entropy with nn.losses and by hand, and its slopes in the logits."""
    from nn.losses import cross_entropy

    leaves = [Value(z, label=f"z{k + 1}") for k, z in enumerate(logits)]
    value = cross_entropy(leaves, list(target))
    value.backward()
    probabilities = softmax(logits)
    return CrossEntropyExample(
        logits=list(logits),
        target=list(target),
        probabilities=probabilities,
        loss=value.data,
        by_hand=-math.fsum(y * math.log(q) for y, q in zip(target, probabilities)),
        logit_slopes=[leaf.grad for leaf in leaves],
    )


Pair = tuple[Sequence[float], Sequence[float]]


def _random_examples(seed: int) -> tuple[Pair, Pair]:
    """Worked examples drawn with ``seed``: a batch of 4 numbers, and 3 logits with a y."""
    rng = random.Random(seed)
    predictions = [round(rng.uniform(-3.0, 3.0), 1) for _ in range(4)]
    targets = [round(rng.uniform(-3.0, 3.0), 1) for _ in range(4)]
    logits = [round(rng.uniform(-2.0, 2.0), 1) for _ in range(3)]
    weights = [rng.randint(1, 8) for _ in range(3)]
    target = [w / sum(weights) for w in weights]
    return (predictions, targets), (logits, target)


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    progress: bool = False,
) -> LossesResult:
    """Sweep the losses, work the two examples, plot, and return the numbers.

    Seed 0 works the examples in ``DEFAULT_REGRESSION`` and ``DEFAULT_CROSS_ENTROPY``; another
    seed draws them at random.  ``quick`` sweeps coarser grids.
    """
    del progress  # instant
    out = output_dir(out_dir)
    regression, cross_entropy = (
        (DEFAULT_REGRESSION, DEFAULT_CROSS_ENTROPY) if seed == 0 else _random_examples(seed)
    )
    points = 40 if quick else 200
    result = LossesResult(
        regression=regression_curves(TARGET, points),
        cross_entropy=[cross_entropy_curve(p, points) for p in DISTRIBUTIONS],
        regression_example=regression_example(*regression),
        cross_entropy_example=cross_entropy_example(*cross_entropy),
    )
    result.files.append(_plot(out / "losses.png", result))
    return result


def _plot(path: Path, result: LossesResult) -> Path:
    fig = new_figure((12, 8.6))
    (loss_ax, slope_ax), (ce_ax, logit_ax) = fig.subplots(2, 2)
    r = result.regression
    for name, values, slopes, colour, size in (
        ("MAE = |ŷ - y|", r.mae, r.mae_slope, "C0", 9),  # the larger dot, under MSE's
        ("MSE = (ŷ - y)²", r.mse, r.mse_slope, "C3", 5),
    ):
        loss_ax.plot(r.predictions, values, color=colour, lw=2, label=name)
        # Left of the target, at it, right of it: a line across would draw MAE's jump as a
        # slope, and the engine's value at the kink (0) is a single point.
        for side in (-1, 1):
            part = [(x, g) for x, g in zip(r.predictions, slopes) if (x - r.target) * side > 0]
            slope_ax.plot(
                [x for x, _ in part],
                [g for _, g in part],
                color=colour,
                lw=2,
                label=f"slope of the {name}" if side == 1 else None,
            )
        at_target = r.predictions.index(r.target)
        slope_ax.plot(r.target, slopes[at_target], "o", color=colour, ms=size)
    for ax in (loss_ax, slope_ax):
        ax.axvline(r.target, color="0.5", ls=":", lw=1)
        ax.set_xlabel("prediction ŷ")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper center")
    loss_ax.set_ylim(-0.3, 5)
    loss_ax.set_ylabel("loss")
    loss_ax.set_title(f"MAE and MSE of one prediction, target y = {r.target:g}", fontsize=10)
    slope_ax.set_ylabel("slope ∂loss/∂ŷ (from backward)")
    slope_ax.set_title(
        "Their slopes: MAE's is ±1 wherever ŷ is; MSE's grows with the error", fontsize=10
    )

    for i, curve in enumerate(result.cross_entropy):
        colour = f"C{i}"
        style = "--" if curve.p == 1.0 else "-"
        label = f"y = ({curve.p:g}, {1 - curve.p:g})" + (": a class label" if curve.p == 1 else "")
        ce_ax.plot(curve.qs, curve.ce, style, color=colour, lw=1.8, label=label)
        ce_ax.plot(curve.best_q, min(curve.ce), "o", color=colour, ms=7, mec="k", clip_on=False)
        logit_ax.plot(curve.qs, curve.logit_slope, style, color=colour, lw=1.8, label=label)
        logit_ax.plot(curve.p, 0.0, "o", color=colour, ms=7, mec="k", clip_on=False)
    ce_ax.set_ylim(0, 3)
    ce_ax.set_xlabel("q, the predicted ŷ = (q, 1 - q)")
    ce_ax.set_ylabel("CE(y, ŷ) = -Σ yₖ log ŷₖ")
    ce_ax.set_title(
        "Cross-entropy is lowest at ŷ = y (dots: the lowest point of each)", fontsize=10
    )
    logit_ax.axhline(0.0, color="0.5", lw=1)
    logit_ax.set_xlabel("q, the predicted ŷ = (q, 1 - q)")
    logit_ax.set_ylabel("slope ∂CE/∂z₁ in the first logit (from backward)")
    logit_ax.set_title("Its slope in the logits is ŷ - y: zero exactly where ŷ = y", fontsize=10)
    for ax in (ce_ax, logit_ax):
        ax.set_xlim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper center")
    fig.suptitle("Loss functions and the slopes gradient descent follows")
    fig.tight_layout()
    return save_figure(fig, path)


def _numbers(values: Sequence[float], spec: str = "g") -> str:
    return "(" + ", ".join(f"{v:{spec}}" for v in values) + ")"


def report(result: LossesResult) -> str:
    """The worked examples, by hand beside nn.losses, then where each cross-entropy is lowest."""
    reg = result.regression_example
    n = len(reg.predictions)
    errors = [y_hat - y for y_hat, y in zip(reg.predictions, reg.targets)]
    ce = result.cross_entropy_example
    terms = " + ".join(f"{y:.4g}·ln {q:.4f}" for y, q in zip(ce.target, ce.probabilities))
    hand_slopes = [q - y for q, y in zip(ce.probabilities, ce.target)]
    rows = [
        (
            f"({c.p:g}, {1 - c.p:g})",
            f"{c.best_q:.3f}",
            f"{min(c.ce):.4f}",
            f"{c.entropy:.4f}",
            f"{min(c.kl):.1e}",
        )
        for c in result.cross_entropy
    ]
    lines = [
        f"MAE and MSE of a batch of {n} (nn.losses.mae and nn.losses.mse):",
        f"  ŷ = {_numbers(reg.predictions)}, y = {_numbers(reg.targets)}, "
        f"errors ŷ - y = {_numbers(errors)}",
        f"  by hand: MAE = ({' + '.join(f'{abs(e):g}' for e in errors)}) / {n} = "
        f"{reg.mae_by_hand:.6g};  nn.losses.mae gives {reg.mae:.6g}",
        f"  by hand: MSE = ({' + '.join(f'{e * e:g}' for e in errors)}) / {n} = "
        f"{reg.mse_by_hand:.6g};  nn.losses.mse gives {reg.mse:.6g}",
        f"  backward(): ∂MAE/∂ŷᵢ = sign(ŷᵢ - yᵢ)/{n} = {_numbers(reg.mae_slopes)}",
        f"              ∂MSE/∂ŷᵢ = 2(ŷᵢ - yᵢ)/{n} = {_numbers(reg.mse_slopes)}",
    ]
    if 0.0 in errors:
        lines.append("  (|e| has no slope at e = 0; the engine takes 0 there, as PyTorch does)")
    lines += [
        "",
        "Cross-entropy of one example with a distribution as target (nn.losses.cross_entropy):",
        f"  logits z = {_numbers(ce.logits)}, softmax ŷ = exp(zₖ)/Σ exp(zⱼ) = "
        f"{_numbers(ce.probabilities, '.4f')}",
        f"  y = {_numbers(ce.target, '.4g')}",
        f"  by hand: CE = -Σ yₖ ln ŷₖ = -({terms})",
        f"             = {ce.by_hand:.6f};  nn.losses.cross_entropy gives {ce.loss:.6f}",
        f"  backward(): ∂CE/∂z = {_numbers(ce.logit_slopes, '.4f')}",
        f"        by hand: ŷ - y = {_numbers(hand_slopes, '.4f')}",
        "",
        "Two classes, y = (p, 1 - p), against every ŷ = (q, 1 - q) of the sweep:",
        "",
        table(["y", "lowest CE at q", "lowest CE", "H(y)", "lowest KL"], rows),
        "",
        "Each cross-entropy is lowest where q = p, that is ŷ = y, and there it equals the",
        "entropy H(y): KL(y ‖ ŷ) = CE - H(y) is never negative.  For a class label the lowest",
        "point is at the edge q = 1 (as sure as can be of the right class), with CE = 0.",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options of its own: --seed other than 0 draws the worked examples at random."""
    del parser


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["losses", *sys.argv[1:]]))
