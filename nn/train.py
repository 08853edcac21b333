"""The training loop: mini-batch gradient descent with the lecture's stopping rules."""

from __future__ import annotations

import contextlib
import gc
import math
import numbers
import os
from collections.abc import Callable, Iterator, Sequence
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
    compiled: bool = False,
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

    ``compiled=True`` runs the same training with ``autograd.compile``: the loss of one
    example, ``loss([model(x)], [y])``, is traced once and each batch replays it on all its
    examples at once, as numpy array operations.  The updates, stopping rules, History and
    error types are those of the eager path (losses and gradients agree to float rounding).
    It needs:

    * a loss whose value on a batch is the *mean* of its values on single examples.  Every
      loss in ``nn.losses`` is such a mean (mae and mse over all elements, each example
      having the same number), also with a term that depends only on the parameters added
      (an L2 penalty).  A sum over the batch, or a loss that mixes examples, is not;
    * xs, and ys where the loss does arithmetic on them (mae, mse), that are numbers or
      nested lists of numbers; the target is then an input of the traced step.  A loss that
      checks its target's value (cross_entropy, hinge, the binary losses: they reject a
      Value as target) is traced once per distinct target instead, at most
      ``MAX_TARGET_TRACES`` of them: a class index or a ±1 label, not a regression target;
    * a model and loss without branches on the data (``if v.data > 0``): those run once,
      when tracing.  The stable forms of ``binary_cross_entropy_with_logits`` and the clamp
      of ``binary_cross_entropy`` branch on the prediction; the traced branch is the same
      function, but a logit beyond about ±700 of the other sign overflows (and is reported).

    The first update also computes its batch's loss on the eager engine, and raises a
    ValueError if the two differ (a loss that is not a mean, a branch the trace froze).
    """
    params = _training_parameters(model, parameters)
    if not isinstance(compiled, bool):
        raise TypeError(f"fit: compiled must be True or False, got {type(compiled).__name__}")
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
    compiled_loss = _CompiledLoss(model, xs, ys, loss) if compiled else None
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
                if compiled_loss is not None:
                    value = compiled_loss.backward(index, history)
                else:
                    with _collector_paused():
                        value = _batch_loss(model, xs, ys, index, loss, history).data
                if grad_tol is not None and max(abs(p.grad) for p in params) <= grad_tol:
                    history.stop_reason = "converged"
                    break
                optimizer.step()
                history.losses.append(value)
                history.updates += 1
                epoch_losses.append(value)
                if bar is not None:
                    bar.set_postfix(loss=f"{value:.4g}", refresh=False)
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


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cycle collector while one update's graph is built and backpropagated.

    Graphs hold no reference cycles (tests/test_memory.py checks it), so the collector has
    nothing to find in them, yet it would rescan the growing graph again and again (about a
    third of an update's time); the graph is freed by reference counting as soon as the
    update is done.  Cycles that user code makes meanwhile are collected once it runs again.
    """
    if not gc.isenabled():  # the caller's choice: leave it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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


MAX_TARGET_TRACES = 64
"""``fit(compiled=True)`` traces at most this many steps, one per distinct target, for a
loss that does not take its target as a traced input."""

# The first batch's compiled and eager losses may differ by float rounding only (the
# engines add gradients in other orders, and numpy's exp, log and tanh may differ from
# math's in the last bit): about 1e-15 of the loss's scale.  A loss that is not a mean of
# per-example losses, or a branch frozen by the trace, differs by far more.
_CHECK_TOLERANCE = 1e-9


def _frozen(target: Any) -> Any:
    """A hashable key for a target: numbers by value (1 and 1.0 alike), lists as tuples."""
    if isinstance(target, (list, tuple)):
        return tuple(_frozen(t) for t in target)
    if isinstance(target, numbers.Real) and not isinstance(target, bool):
        return float(target)
    try:
        hash(target)
    except TypeError:
        return repr(target)
    return target


class _CompiledLoss:
    """fit's compiled path: the per-example loss traced once, replayed on each batch.

    The target is a traced input when the loss accepts a Value for it (mae, mse); else
    one step is traced per distinct target value, and a batch runs each of its groups.
    """

    def __init__(
        self,
        model: Callable[[Any], Any],
        xs: Sequence[Any],
        ys: Sequence[Any],
        loss: Callable[[list[Any], list[Any]], Value],
    ) -> None:
        self.model, self.xs, self.ys, self.loss = model, xs, ys, loss
        self.traced_target: Any = None  # the step taking (x, y), once known to work
        self.per_target: dict[Any, Any] = {}  # or: target key -> step taking x
        self.checked = False

    def _one(self, x: Any, y: Any) -> Value:
        value = self.loss([self.model(x)], [y])
        if not isinstance(value, Value):
            raise TypeError(f"fit: loss must return a Value, got {type(value).__name__}")
        return value

    def _run(self, index: list[int]) -> float:
        """The batch's mean loss, its gradient added into ``.grad``."""
        from autograd import compile as trace  # imports numpy: only when compiled=True

        xs = [self.xs[i] for i in index]
        if self.traced_target is None and not self.per_target:
            x0, y0 = self.xs[index[0]], self.ys[index[0]]
            try:
                self.traced_target = trace(self._one, example=(x0, y0))
            except (TypeError, ValueError):
                pass  # the loss checks its target (or it is no number): trace per target
        if self.traced_target is not None:
            value: float = self.traced_target.backward(xs, [self.ys[i] for i in index])
            return value
        groups: dict[Any, list[int]] = {}
        for i in index:
            groups.setdefault(_frozen(self.ys[i]), []).append(i)
        total = 0.0
        for key, members in groups.items():
            step = self.per_target.get(key)
            if step is None:
                if len(self.per_target) >= MAX_TARGET_TRACES:
                    raise ValueError(
                        f"fit: compiled=True: the loss does not take its target as a traced "
                        f"input (it checks the target's value), so one step is traced per "
                        f"distinct target, and there are more than {MAX_TARGET_TRACES}; "
                        "use compiled=False"
                    )
                y = self.ys[members[0]]
                step = trace(lambda x, y=y: self._one(x, y), example=(self.xs[members[0]],))
                self.per_target[key] = step
            weight = len(members) / len(index)
            total += weight * step.backward([self.xs[i] for i in members], gradient=weight)
        return total

    def _check(self, index: list[int], value: float) -> None:
        """Compare the first batch's compiled loss with the eager engine's."""
        import autograd

        with autograd.no_grad():
            eager = self.loss([self.model(self.xs[i]) for i in index], [self.ys[i] for i in index])
        expected = eager.data if isinstance(eager, Value) else math.nan
        if not abs(value - expected) <= _CHECK_TOLERANCE * max(1.0, abs(expected)):
            raise ValueError(
                f"fit: compiled=True: on the first batch the compiled loss is {value!r} but the "
                f"eager engine's is {expected!r}.  The compiled path needs a loss that is the "
                "mean of per-example losses, and a model and loss without branches on the "
                "data's values; use compiled=False"
            )

    def backward(self, index: list[int], history: History) -> float:
        """Run one batch, with the eager path's errors (see ``fit``)."""
        try:
            value = self._run(index)
            if not self.checked and math.isfinite(value):
                self._check(index, value)
                self.checked = True
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"fit: {_where(history)}: the loss is {value!r} (not finite); "
                    "try a smaller learning rate"
                )
        except OverflowError as error:
            raise NonFiniteLossError(
                f"fit: {_where(history)}: the compiled loss or its gradient overflowed a "
                f"float: {error}; try a smaller learning rate"
            ) from error
        except NonFiniteLossError:
            raise
        except (ValueError, ZeroDivisionError) as error:
            raise _with_context(error, f"fit: {_where(history)}, compiled loss: ") from error
        return value
