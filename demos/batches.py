"""Batches, updates and epochs (lecture idea 9).

In practice gradient descent does not compute the loss on all N training examples before
each step.  The examples are shuffled and split into batches of B; each batch gives its own
loss L1, L2, L3, ..., the gradient of that one loss makes one *update*, and seeing every
batch once is one *epoch*.  So an epoch makes ceil(N / B) updates: with N = 10000 and
B = 10, exactly 1000.  The batch size B is a hyperparameter.

This demo fits y = b + w·x to N noisy points of a line with nn.fit, for batch sizes 1, 10,
100 and N, with the same learning rate and number of epochs.  Small batches make many noisy
updates per epoch; the full batch makes one careful update per epoch and, for the same
number of epochs, gets much less far.  (The loss plotted is the loss on *all* N examples
after each update, computed in closed form for the drawing only; training sees nothing but
its batch.)
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograd import Value
from autograd.checks import integer, option, parse_integer, parse_real

from ._common import new_figure, output_dir, save_figure, table

__all__ = ["REQUIRES", "BatchRun", "BatchesResult", "run", "report", "add_arguments"]

REQUIRES = ("matplotlib",)

TRUE_B, TRUE_W, NOISE = 2.0, 3.0, 0.5


class _FullLoss:
    """MSE of b + w·x on the whole data set in O(1), from the data's means (for plotting)."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        n = len(xs)
        self.x = sum(xs) / n
        self.y = sum(ys) / n
        self.xx = sum(x * x for x in xs) / n
        self.xy = sum(x * y for x, y in zip(xs, ys)) / n
        self.yy = sum(y * y for y in ys) / n

    def __call__(self, b: float, w: float) -> float:
        """mean((y - b - w·x)²), expanded into the data's means."""
        return (
            self.yy
            - 2 * b * self.y
            - 2 * w * self.xy
            + b * b
            + 2 * b * w * self.x
            + w * w * self.xx
        )

    def best(self) -> tuple[float, float, float]:
        """The least-squares line (b, w) and its loss: what no line can beat."""
        var = self.xx - self.x * self.x
        w = (self.xy - self.x * self.y) / var
        b = self.y - w * self.x
        return b, w, self(b, w)


@dataclass
class BatchRun:
    """Training with one batch size."""

    batch_size: int
    updates_per_epoch: int
    updates: int
    epochs: int
    w: float
    b: float
    losses: list[float]  # full-data loss after each update
    epoch_losses: list[float]  # full-data loss at the end of each epoch
    seconds: float


@dataclass
class BatchesResult:
    """Every batch size's run, the data size, and the best possible loss."""

    n: int
    epochs: int
    lr: float
    best_loss: float
    initial_loss: float
    runs: list[BatchRun]
    files: list[Path] = field(default_factory=list)


def make_data(n: int, seed: int) -> tuple[list[float], list[float]]:
    """N points y = 2 + 3x + Gaussian noise, x uniform in [-1, 1]."""
    rng = random.Random(seed)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    ys = [TRUE_B + TRUE_W * x + rng.gauss(0.0, NOISE) for x in xs]
    return xs, ys


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    n: int | None = None,
    batch_sizes: Sequence[int] | None = None,
    epochs: int | None = None,
    lr: float = 0.05,
    progress: bool = False,
) -> BatchesResult:
    """Train the same line with each batch size and plot loss against updates and epochs."""
    from nn import fit, num_batches
    from nn.losses import mse

    if n is None:
        n = 1000 if quick else 10000
    n = integer(n, "batches", "n", 2)  # the best line needs two different x
    out = output_dir(out_dir)
    if epochs is None:
        epochs = 2 if quick else 10
    if batch_sizes is None:
        batch_sizes = (1, 10, 100, n)
    xs, ys = make_data(n, seed)
    full_loss = _FullLoss(xs, ys)
    initial_loss = full_loss(0.0, 0.0)
    runs = []
    for batch_size in batch_sizes:
        w, b = Value(0.0, label="w"), Value(0.0, label="b")
        losses: list[float] = []

        # Default arguments bind this iteration's w, b and losses (not the loop's last).
        def line(x: float, w: Value = w, b: Value = b) -> Value:
            return b + w * x

        def record(_history: object, w: Value = w, b: Value = b, out: list[float] = losses) -> None:
            out.append(full_loss(b.data, w.data))

        start = time.perf_counter()
        history = fit(
            line,
            xs,
            ys,
            loss=mse,
            lr=lr,
            batch_size=batch_size,
            parameters=[w, b],
            epochs=epochs,
            seed=seed,
            progress=progress,
            callback=record,
        )
        seconds = time.perf_counter() - start
        per_epoch = num_batches(n, batch_size)
        runs.append(
            BatchRun(
                batch_size=batch_size,
                updates_per_epoch=per_epoch,
                updates=history.updates,
                epochs=history.epochs,
                w=w.data,
                b=b.data,
                losses=losses,
                epoch_losses=[losses[end - 1] for end in history.epoch_ends],
                seconds=seconds,
            )
        )
    result = BatchesResult(
        n=n,
        epochs=epochs,
        lr=lr,
        best_loss=full_loss.best()[2],
        initial_loss=initial_loss,
        runs=runs,
    )
    result.files.append(_plot(out / "batches.png", result))
    return result


def _plot(path: Path, result: BatchesResult) -> Path:
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    fig = new_figure((12, 5.4))
    by_update, by_epoch = fig.subplots(1, 2, sharey=True)
    for i, r in enumerate(result.runs):
        colour = f"C{i}"
        per = "update" if r.updates_per_epoch == 1 else "updates"
        label = f"B = {r.batch_size}: {r.updates_per_epoch} {per} per epoch"
        updates = range(1, len(r.losses) + 1)
        # Tiny batches give a band of noise; draw it faint so the others stay visible.
        alpha = 0.45 if r.updates_per_epoch > 1000 else 0.9
        by_update.plot(updates, r.losses, color=colour, lw=0.8, alpha=alpha, label=label)
        epochs = [u / r.updates_per_epoch for u in updates]
        by_epoch.plot(epochs, r.losses, color=colour, lw=0.8, alpha=alpha * 0.6)
        by_epoch.plot(
            range(0, len(r.epoch_losses) + 1),
            [result.initial_loss, *r.epoch_losses],
            "o-",
            color=colour,
            ms=4,
            lw=1.5,
            label=label,
        )
    for ax in (by_update, by_epoch):
        ax.axhline(result.best_loss, color="k", ls=":", lw=1, label="best possible line")
        ax.axhline(result.initial_loss, color="0.5", ls="--", lw=1, label="start: w = b = 0")
        ax.set_yscale("log")
        ticks = [t for t in (0.25, 0.5, 1, 2, 4, 8, 16) if t < 1.5 * result.initial_loss]
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_locator(NullLocator())
        ax.grid(alpha=0.3)
    by_update.set_xscale("log")
    by_update.set_xlabel("updates (log scale)")
    by_update.set_ylabel("MSE on all N examples (log scale)")
    by_update.set_title("Against updates: each batch's gradient makes one update", fontsize=10)
    by_epoch.set_xlabel("epochs")
    by_epoch.set_title("Against epochs: an epoch sees every example once", fontsize=10)
    # Below the plots: inside, the legend would hide the end of some curve.
    handles, labels = by_epoch.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(
        f"y = b + w·x on N = {result.n} examples, η = {result.lr:g}, {result.epochs} epochs"
    )
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return save_figure(fig, path)


def report(result: BatchesResult) -> str:
    """The printed table: updates per epoch and how far each batch size got."""
    rows = [
        (
            r.batch_size,
            f"ceil({result.n}/{r.batch_size}) = {r.updates_per_epoch}",
            r.updates,
            f"{r.w:.3f}",
            f"{r.b:.3f}",
            f"{r.losses[-1]:.4f}",
            f"{r.seconds:.2f}",
        )
        for r in result.runs
    ]
    headers = ["B", "updates per epoch", "updates", "w", "b", "final MSE", "seconds"]
    lines = [
        f"N = {result.n} examples of y = {TRUE_B:g} + {TRUE_W:g}x + noise, η = {result.lr:g}, "
        f"{result.epochs} epochs each.",
        "",
        table(headers, rows),
        "",
        f"Best possible MSE for a line (least squares): {result.best_loss:.4f}; "
        f"at w = b = 0 it is {result.initial_loss:.4f}.",
        "Every epoch costs about the same (each example is used once); what changes is how",
        "many updates that work buys.  Small batches: many noisy updates.  The full batch:",
        "one exact-gradient update per epoch, so it is still far from the line at the end.",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: data size, batch sizes, epochs, learning rate."""
    parser.add_argument(
        "--n", type=option(parse_integer, minimum=2), default=None, help="examples (default 10000)"
    )
    parser.add_argument(
        "--batch-sizes",
        type=option(parse_integer, minimum=1),
        nargs="+",
        default=None,
        metavar="B",
        help="batch sizes to compare (default: 1 10 100 N)",
    )
    parser.add_argument(
        "--epochs",
        type=option(parse_integer, minimum=1),
        default=None,
        help="epochs per batch size",
    )
    parser.add_argument(
        "--lr",
        type=option(parse_real, positive=True),
        default=0.05,
        help="learning rate η (default 0.05)",
    )


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["batches", *sys.argv[1:]]))
