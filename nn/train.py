"""The training loop: mini-batch gradient descent with the lecture's stopping rules."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autograd import Value
from autograd.checks import integer, real
from autograd.files import write_atomically

from .data import _SEED_MINIMUM, batches, num_batches
from .modules import Module
from .optim import SGD, LearningRate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["History", "NonFiniteLossError", "fit"]


class NonFiniteLossError(FloatingPointError, ValueError):
    """Training stopped because the loss (or a gradient) is inf or NaN: usually divergence.

    A FloatingPointError, and also a ValueError, so code catching either sees it.
    """


@dataclass(repr=False)
class History:
    """What ``fit`` did: the loss of every update and of every epoch, and why it stopped.

    ``losses[i]`` is the batch loss of update i (computed before that update's step);
    ``epoch_losses[e]`` is the mean of epoch e's update losses, one entry per *completed*
    epoch; ``epoch_ends[e]`` is the update count when epoch e completed.  ``stop_reason`` is
    "epochs", "max_updates" or "converged" (None while training runs).
    """

    losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    epoch_ends: list[int] = field(default_factory=list)
    updates: int = 0
    epochs: int = 0
    stop_reason: str | None = None

    def __repr__(self) -> str:
        last = f", last loss {self.losses[-1]:.6g}" if self.losses else ""
        return (
            f"History({self.updates} updates, {self.epochs} epochs{last}, "
            f"stop_reason={self.stop_reason!r})"
        )

    def plot(self, path: str | os.PathLike[str] | None = None) -> Figure:
        """Plot the loss per update and the mean loss per epoch; save to ``path`` if given.

        Needs matplotlib (``pip install lecturegrad[plot]``).  With a path, the figure is
        drawn with the Agg backend (no display needed) and not registered with pyplot.
        """
        try:
            if path is None:
                import matplotlib.pyplot as plt

                fig = plt.figure(figsize=(7, 4))
            else:
                from matplotlib.backends.backend_agg import FigureCanvasAgg
                from matplotlib.figure import Figure

                fig = Figure(figsize=(7, 4))
                FigureCanvasAgg(fig)
        except ImportError:
            raise ImportError(
                "History.plot needs matplotlib: pip install 'lecturegrad[plot]'"
            ) from None
        ax = fig.add_subplot()
        ax.plot(
            range(1, len(self.losses) + 1), self.losses, lw=0.8, alpha=0.6, label="loss per update"
        )
        if self.epoch_losses:
            ax.plot(
                self.epoch_ends, self.epoch_losses, "o-", color="C3", label="mean loss per epoch"
            )
        ax.set_xlabel("update")
        ax.set_ylabel("loss")
        ax.set_title(
            f"training: {self.updates} updates, {self.epochs} epochs (stopped: {self.stop_reason})"
        )
        ax.legend()
        fig.tight_layout()
        if path is not None:
            suffix = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
            write_atomically(path, lambda tmp: fig.savefig(tmp, format=suffix))
        return fig


def _training_parameters(model: object, parameters: Sequence[Value] | None) -> list[Value]:
    if not callable(model):
        raise TypeError(f"fit: model must be callable, got {type(model).__name__}")
    if parameters is None:
        if not isinstance(model, Module):
            raise TypeError(
                "fit: model is a plain callable, so pass parameters=[...] "
                "to name the Values to train"
            )
        parameters = model.parameters()
    params = list(parameters)
    if not params:
        raise ValueError("fit: there are no parameters to train")
    return params


def fit(
    model: Callable[[Any], Any],
    xs: Sequence[Any],
    ys: Sequence[Any],
    *,
    loss: Callable[[list[Any], list[Any]], Value],
    lr: LearningRate,
    batch_size: int,
    parameters: Sequence[Value] | None = None,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    epochs: int | None = None,
    max_updates: int | None = None,
    grad_tol: float | None = None,
    seed: int = 0,
    progress: bool = False,
    callback: Callable[[History], None] | None = None,
) -> History:
    """Train ``model`` on ``(xs, ys)`` by mini-batch SGD and return the History.

    Each update takes the next batch (``nn.batches``, reshuffled per epoch from ``seed``),
    computes ``loss([model(x) for x in batch_xs], batch_ys)``, backpropagates and steps.
    ``model`` is an ``nn.Module`` or any callable (then ``parameters`` names what to train).
    ``lr`` is a number or a schedule ``lr(update) -> float`` counted from 0; ``momentum`` and
    ``weight_decay`` are passed to ``SGD``.

    Stopping rules (at least one): ``epochs`` completed epochs; ``max_updates`` updates;
    ``grad_tol``: stop as soon as a batch's gradient has no component larger than it in
    absolute value (0 means exactly zero); that batch is not stepped nor counted.  If limits
    meet at once, "epochs" wins over "max_updates".  ``callback(history)`` runs after every
    update.

    Errors name the update they stopped, counted from 1 and as ``history.updates`` (the
    updates completed before it), e.g. "at update 17 (1-based; history.updates = 16)":

    * a non-finite loss (inf or NaN), or a float overflow while computing or
      backpropagating the loss (divergence), raises ``NonFiniteLossError`` (a
      FloatingPointError and a ValueError) naming the loss;
    * a ValueError or ZeroDivisionError raised while computing or backpropagating the loss
      (e.g. a NaN reaching the engine, a bad target) is raised again with the same type and
      that context prefixed to its message; the original is its ``__cause__``.
    """
    params = _training_parameters(model, parameters)
    if not callable(loss):
        raise TypeError(f"fit: loss must be callable (e.g. nn.losses.mse), got {loss!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"fit: callback must be callable, got {type(callback).__name__}")
    if len(xs) != len(ys):
        raise ValueError(f"fit: xs has {len(xs)} examples but ys has {len(ys)}")
    n = len(xs)
    if n == 0:
        raise ValueError("fit: there are no training examples")
    batch_size = integer(batch_size, "fit", "batch_size", 1)
    seed = integer(seed, "fit", "seed", _SEED_MINIMUM)
    if epochs is not None:
        epochs = integer(epochs, "fit", "epochs", 0)
    if max_updates is not None:
        max_updates = integer(max_updates, "fit", "max_updates", 0)
    if grad_tol is not None:
        grad_tol = real(grad_tol, "fit", "grad_tol", minimum=0)
    if epochs is None and max_updates is None and grad_tol is None:
        raise ValueError("fit: give at least one stopping rule: epochs, max_updates or grad_tol")

    optimizer = SGD(params, lr, momentum=momentum, weight_decay=weight_decay)
    history = History()
    bar = _progress_bar(n, batch_size, epochs, max_updates) if progress else None
    try:
        while history.stop_reason is None:
            if epochs is not None and history.epochs >= epochs:
                history.stop_reason = "epochs"
                break
            epoch_losses: list[float] = []
            for index in batches(n, batch_size, seed=seed, epoch=history.epochs):
                if max_updates is not None and history.updates >= max_updates:
                    history.stop_reason = "max_updates"
                    break
                optimizer.zero_grad()
                value = _batch_loss(model, xs, ys, index, loss, history)
                if grad_tol is not None and max(abs(p.grad) for p in params) <= grad_tol:
                    history.stop_reason = "converged"
                    break
                optimizer.step()
                history.losses.append(value.data)
                history.updates += 1
                epoch_losses.append(value.data)
                if bar is not None:
                    bar.set_postfix(loss=f"{value.data:.4g}", refresh=False)
                    bar.update(1)
                if callback is not None:
                    callback(history)
            else:  # no break: the epoch saw every batch
                history.epochs += 1
                history.epoch_losses.append(math.fsum(epoch_losses) / len(epoch_losses))
                history.epoch_ends.append(history.updates)
    finally:
        if bar is not None:
            bar.close()
    return history


def _progress_bar(n: int, batch_size: int, epochs: int | None, max_updates: int | None) -> Any:
    from tqdm.auto import tqdm

    planned: list[int] = []
    if max_updates is not None:
        planned.append(max_updates)
    if epochs is not None:
        planned.append(epochs * num_batches(n, batch_size))
    return tqdm(total=min(planned) if planned else None, desc="fit", unit="update")


def _where(history: History) -> str:
    """The update being computed, unambiguously: 1-based and as ``history.updates``."""
    return (
        f"at update {history.updates + 1} (1-based; history.updates = {history.updates}), "
        f"epoch {history.epochs + 1}"
    )


def _with_context(error: ValueError | ZeroDivisionError, prefix: str) -> Exception:
    """A copy of ``error`` (same type where possible) whose message starts with ``prefix``."""
    message = f"{prefix}{error}"
    try:
        return type(error)(message)
    except Exception:  # an exception type whose constructor wants other arguments
        base = ZeroDivisionError if isinstance(error, ZeroDivisionError) else ValueError
        return base(message)


def _batch_loss(
    model: Callable[[Any], Any],
    xs: Sequence[Any],
    ys: Sequence[Any],
    index: list[int],
    loss: Callable[[list[Any], list[Any]], Value],
    history: History,
) -> Value:
    """The batch's loss, backpropagated into the parameters' ``.grad``."""
    value: Value | None = None
    try:
        value = loss([model(xs[i]) for i in index], [ys[i] for i in index])
        if not isinstance(value, Value):
            raise TypeError(f"fit: loss must return a Value, got {type(value).__name__}")
        if not math.isfinite(value.data):
            raise NonFiniteLossError(
                f"fit: {_where(history)}: the loss is {value.data!r} (not finite); "
                "try a smaller learning rate"
            )
        value.backward()
    except OverflowError as error:
        # The engine raises OverflowError when exp or ** leave the float range: in
        # training that means divergence, so say where it happened.
        if value is None:
            what = "the loss is inf (it overflowed a float)"
        else:
            what = f"backpropagating the loss ({value.data!r}) overflowed (a gradient is inf)"
        raise NonFiniteLossError(
            f"fit: {_where(history)}: {what}: {error}; try a smaller learning rate"
        ) from error
    except NonFiniteLossError:
        raise
    except (ValueError, ZeroDivisionError) as error:
        phase = "computing the loss" if value is None else "backpropagating the loss"
        raise _with_context(error, f"fit: {_where(history)}, {phase}: ") from error
    return value
