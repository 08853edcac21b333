"""The training loop: mini-batch gradient descent with the lecture's stopping rules."""

from __future__ import annotations

import contextlib
import gc
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autograd import Value, no_grad
from autograd.checks import as_list, brief, integer, is_class_index, numeric_array, real
from autograd.files import write_atomically

from .data import _SEED_MINIMUM, batches, num_batches
from .evaluate import Predictor, accuracy
from .modules import Module
from .optim import SGD, LearningRate, NonFiniteStepError, Optimizer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["History", "NonFiniteLossError", "fit"]

# What compiled=True needs xs and ys to be (they become float arrays, checked once).
_EXAMPLES = "a list with one item (number or list) per example"


class NonFiniteLossError(FloatingPointError, ValueError):
    """Training stopped because the loss (or a gradient) is inf or NaN: usually divergence.

    A FloatingPointError, and also a ValueError, so code catching either sees it.
    """


@dataclass(repr=False)
class History:
    """What ``fit`` did: the loss of every update and of every epoch, and why it stopped.

    ``losses[i]`` is the batch loss of update i (computed before that update's step);
    ``epoch_losses[e]`` is the mean of epoch e's update losses, one entry per *completed*
    epoch; ``epoch_ends[e]`` is the update count when epoch e completed.  With a validation
    set, ``val_losses[e]`` is the loss on it after epoch e, and ``val_accuracies[e]`` the
    fraction of its classes predicted right (None unless the targets are class indices and
    the model returns logits).  ``stop_reason`` is "epochs", "max_updates", "converged" or
    "early_stopping" (None while training runs).
    """

    losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    epoch_ends: list[int] = field(default_factory=list)
    updates: int = 0
    epochs: int = 0
    stop_reason: str | None = None
    val_losses: list[float] = field(default_factory=list)
    val_accuracies: list[float | None] = field(default_factory=list)

    def __repr__(self) -> str:
        last = f", last loss {self.losses[-1]:.6g}" if self.losses else ""
        if self.val_losses:
            last += f", last validation loss {self.val_losses[-1]:.6g}"
        if self.val_accuracies and self.val_accuracies[-1] is not None:
            last += f", accuracy {self.val_accuracies[-1]:.4g}"
        return (
            f"History({self.updates} updates, {self.epochs} epochs{last}, "
            f"stop_reason={self.stop_reason!r})"
        )

    def plot(self, path: str | os.PathLike[str] | None = None) -> Figure:
        """Plot the loss per update and per epoch (and validation's); save to ``path`` if given.

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
        if self.val_losses:
            ax.plot(
                self.epoch_ends, self.val_losses, "s--", color="C2",
                label="validation loss per epoch",
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
    batch_size: int,
    lr: LearningRate | None = None,
    optimizer: Optimizer | None = None,
    parameters: Sequence[Value] | None = None,
    momentum: float | None = None,
    weight_decay: float | None = None,
    epochs: int | None = None,
    max_updates: int | None = None,
    grad_tol: float | None = None,
    validation: tuple[Sequence[Any], Sequence[Any]] | None = None,
    patience: int | None = None,
    seed: int = 0,
    progress: bool = False,
    callback: Callable[[History], None] | None = None,
    on_epoch: Callable[[History], None] | None = None,
    compiled: bool = False,
) -> History:
    """Train ``model`` on ``(xs, ys)`` by mini-batch gradient descent and return the History.

    Each update takes the next batch (``nn.batches``, reshuffled per epoch from ``seed``),
    computes ``loss([model(x) for x in batch_xs], batch_ys)``, backpropagates and steps.
    ``model`` is an ``nn.Module`` or any callable (then ``parameters`` names what to train).
    The step is SGD's: ``lr`` is a number or a schedule ``lr(update) -> float`` counted from
    0, and ``momentum`` and ``weight_decay`` are passed to ``SGD``.  Or pass
    ``optimizer=``, an ``nn.Optimizer`` built on exactly the parameters fit trains (in their
    order), instead of those three; fit continues from its state (update count, buffers).

    Stopping rules (at least one): ``epochs`` completed epochs; ``max_updates`` updates;
    ``grad_tol``: stop as soon as a batch's gradient has no component larger than it in
    absolute value (0 means exactly zero); that batch is not stepped nor counted.  If limits
    meet at once, "epochs" wins over "max_updates".  ``callback(history)`` runs after every
    update.

    After every completed epoch, with ``validation=(xs_val, ys_val)``, fit records the mean
    ``loss`` on the whole validation set (no graph recorded) in ``history.val_losses``, and in
    ``history.val_accuracies`` the accuracy of ``nn.predict`` when the targets are class
    indices and the model returns logits (else None).  ``patience=k`` (with validation)
    stops training, "early_stopping", once the validation loss has not fallen below its best
    for k epochs in a row; the parameters stay those of the last epoch.  Then
    ``on_epoch(history)`` runs.

    Errors name the update they stopped, counted from 1 and as ``history.updates`` (the
    updates completed before it), e.g. "at update 17 (1-based; history.updates = 16)":

    * a non-finite loss (inf or NaN), or a float overflow while computing or
      backpropagating the loss (divergence), raises ``NonFiniteLossError`` (a
      FloatingPointError and a ValueError) naming the loss;
    * a ValueError or ZeroDivisionError raised while computing or backpropagating the loss
      (e.g. a NaN reaching the engine, a bad target) is raised again with the same type and
      that context prefixed to its message; the original is its ``__cause__``.

    Errors of the validation name the epoch after which it ran, the same way.

    ``compiled=True`` runs the same training with ``autograd.compile``: the loss of one
    example, ``loss([model(x)], [y])``, is traced once, its target an input, and each batch
    replays it on all its examples at once (the validation set too, and ``predict`` runs
    compiled).  The parameters live in a numpy array for the whole run; the Values get
    their data (and the last gradient) back before every ``callback``, validation and
    ``on_epoch``, which may change them, and when training stops, also by an error.
    Updates, stopping rules, History and errors are the eager path's, to float rounding.
    It needs numeric ``xs`` and ``ys``, a loss that is the mean of per-example losses and
    accepts a Value as its target (every loss in ``nn.losses`` does), and no branches on
    the data.  The first update checks every distinct target with the loss, and the
    compiled loss against the eager one (see the README, "Training with it").
    """
    params = _training_parameters(model, parameters)
    if not isinstance(compiled, bool):
        raise TypeError(f"fit: compiled must be True or False, got {type(compiled).__name__}")
    if not callable(loss):
        raise TypeError(f"fit: loss must be callable (e.g. nn.losses.mse), got {loss!r}")
    for name, hook in (("callback", callback), ("on_epoch", on_epoch)):
        if hook is not None and not callable(hook):
            raise TypeError(f"fit: {name} must be callable, got {type(hook).__name__}")
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
    checked = None if validation is None else _Validation(validation, model, compiled)
    if patience is not None:
        if checked is None:
            raise TypeError(
                "fit: patience needs validation=(xs, ys): early stopping watches the "
                "validation loss"
            )
        patience = integer(patience, "fit", "patience", 1)

    optimizer = _optimizer(params, optimizer, lr, momentum, weight_decay)
    step = (_CompiledStep if compiled else _EagerStep)(model, xs, ys, loss, optimizer)
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
                value = _loss_and_gradient(step, index, history)
                if grad_tol is not None and step.largest_gradient() <= grad_tol:
                    history.stop_reason = "converged"
                    break
                try:
                    step.update()
                except NonFiniteStepError as error:  # divergence, seen one step later
                    raise NonFiniteLossError(f"fit: {_where(history)}: {error}") from error
                history.losses.append(value)
                history.updates += 1
                epoch_losses.append(value)
                if bar is not None:
                    bar.set_postfix(loss=f"{value:.4g}", refresh=False)
                    bar.update(1)
                if callback is not None:
                    _run_user_code(step, callback, history)
            else:  # no break: the epoch saw every batch
                history.epochs += 1
                history.epoch_losses.append(math.fsum(epoch_losses) / len(epoch_losses))
                history.epoch_ends.append(history.updates)
                if checked is not None:
                    checked.record(step, history)
                    if patience is not None and _epochs_since_best(history) >= patience:
                        history.stop_reason = "early_stopping"
                if on_epoch is not None:
                    _run_user_code(step, on_epoch, history)
    finally:  # at every stop, errors included, the Values hold the parameters
        step.to_values()
        if bar is not None:
            bar.close()
    return history


def _optimizer(
    params: list[Value],
    optimizer: Optimizer | None,
    lr: LearningRate | None,
    momentum: float | None,
    weight_decay: float | None,
) -> Optimizer:
    """The optimizer fit steps: ``optimizer``, checked against ``params``, or an SGD."""
    if optimizer is None:
        if lr is None:
            raise TypeError(
                "fit: give lr= (SGD's learning rate) or optimizer= (e.g. "
                "nn.Adam(model.parameters(), lr=1e-3))"
            )
        momentum, weight_decay = (0.0 if v is None else v for v in (momentum, weight_decay))
        return SGD(params, lr, momentum=momentum, weight_decay=weight_decay)
    settings = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}
    given = [f"{name}=" for name, value in settings.items() if value is not None]
    if given:
        raise TypeError(
            f"fit: optimizer= and {', '.join(given)} were both given; "
            "give those settings to the optimizer (or pass no optimizer for SGD)"
        )
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            "fit: optimizer must be an nn.Optimizer (e.g. nn.Adam(model.parameters())), "
            f"got {type(optimizer).__name__}"
        )
    held = optimizer.params
    differ = [i for i, (p, q) in enumerate(zip(held, params)) if p is not q]
    if differ or len(held) != len(params):
        where = f", first different at params[{differ[0]}]" if differ else ""
        if set(map(id, held)) == set(map(id, params)):
            where += " (the same Values in another order)"
        raise ValueError(
            "fit: the optimizer's params must be the parameters fit trains, in their order "
            "(build it on model.parameters(), or on parameters=); fit trains "
            f"{len(params)}, the optimizer holds {len(held)}{where}"
        )
    return optimizer


def _run_user_code(
    step: _EagerStep | _CompiledStep, hook: Callable[[History], None], history: History
) -> None:
    """Run a callback with the parameters in their Values; it may look at them and change them."""
    step.to_values()
    hook(history)
    step.from_values()


class _Validation:
    """The validation set, checked, and its loss and accuracy recorded after each epoch."""

    def __init__(self, validation: object, model: Callable[[Any], Any], compiled: bool) -> None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError(
                f"fit: validation must be a pair (xs, ys), got {type(validation).__name__} "
                f"{brief(validation)}"
            )
        self.xs, self.ys = (
            as_list(part, "fit", f"validation {what}", "a list with one item per example")
            for what, part in zip(("xs", "ys"), validation)
        )
        if len(self.xs) != len(self.ys) or not self.xs:
            raise ValueError(
                f"fit: validation xs has {len(self.xs)} examples and ys {len(self.ys)}: "
                "they need the same number, at least one"
            )
        self.data: tuple[Any, Any] = (self.xs, self.ys)  # what the step's mean_loss takes
        if compiled:  # the replay takes arrays: check and convert them once, before training
            self.data = (
                numeric_array(self.xs, "fit", "validation xs", _EXAMPLES),
                numeric_array(self.ys, "fit", "validation ys", _EXAMPLES),
            )
        # Accuracy counts classes: it applies to class-index targets (and, as the first
        # prediction tells, a model returning logits).
        self.classes = all(is_class_index(y) for y in self.ys)
        self.predictor = Predictor(model, compiled=compiled)  # compiled, it traces once

    def record(self, step: _EagerStep | _CompiledStep, history: History) -> None:
        """Append the validation loss and accuracy of the parameters after this epoch."""
        step.to_values()  # the traced replay and predict read the Values
        where = f"validating after epoch {history.epochs}"
        with _errors_named(lambda: f"{where}, computing the loss"):
            value = step.mean_loss(*self.data)
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"fit: {where}: the validation loss is {value!r} (not finite)"
                )
        fraction = None
        if self.classes:
            with _errors_named(lambda: f"{where}, predicting"):
                predicted = self.predictor(self.xs)
            # predict gives class indices (ints) for logits, a float for a single output.
            self.classes = isinstance(predicted[0], int)
            fraction = accuracy(predicted, self.ys) if self.classes else None
        history.val_losses.append(value)
        history.val_accuracies.append(fraction)


def _epochs_since_best(history: History) -> int:
    """The epochs since the validation loss last fell below every earlier one."""
    losses = history.val_losses
    return len(losses) - 1 - losses.index(min(losses))


def _progress_bar(n: int, batch_size: int, epochs: int | None, max_updates: int | None) -> Any:
    from tqdm.auto import tqdm

    planned: list[int] = []
    if max_updates is not None:
        planned.append(max_updates)
    if epochs is not None:
        planned.append(epochs * num_batches(n, batch_size))
    return tqdm(total=min(planned) if planned else None, desc="fit", unit="update")


# --- one update's loss and gradient, and its errors --------------------------------------------


def _loss_and_gradient(
    step: _EagerStep | _CompiledStep, index: list[int], history: History
) -> float:
    """One batch's loss and gradient; errors name the update and the phase (``_errors_named``)."""
    where = _where(history)
    with _errors_named(lambda: f"{where}, {step.phase}"), _collector_paused():
        value = step.loss(index)
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"fit: {where}: the loss is {value!r} (not finite); try a smaller learning rate"
            )
        step.backward()
    return value


@contextlib.contextmanager
def _errors_named(context: Callable[[], str]) -> Iterator[None]:
    """Translate the errors of computing a loss; ``context()`` says where and in which phase.

    A float overflow (the engine raises OverflowError when exp or ** leave the float range:
    in training that means divergence) becomes a NonFiniteLossError; a ValueError or
    ZeroDivisionError keeps its type, with ``fit: `` and the context prefixed.
    """
    try:
        yield
    except OverflowError as error:
        raise NonFiniteLossError(
            f"fit: {context()}: a float overflowed: {error}; try a smaller learning rate"
        ) from error
    except NonFiniteLossError:
        raise
    except (ValueError, ZeroDivisionError) as error:
        raise _with_context(error, f"fit: {context()}: ") from error


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


def _checked(loss: object) -> Value:
    """The loss function's result, which must be a Value."""
    if not isinstance(loss, Value):
        raise TypeError(f"fit: loss must return a Value, got {type(loss).__name__}")
    return loss


class _Step:
    """One way to train: a batch's loss and gradient, the optimizer's step, and where the
    parameters live (``to_values`` and ``from_values`` sync them with their Values)."""

    phase = "computing the loss"  # what it is doing, for error messages

    def __init__(
        self,
        model: Callable[[Any], Any],
        xs: Sequence[Any],
        ys: Sequence[Any],
        loss: Callable[[list[Any], list[Any]], Value],
        optimizer: Optimizer,
    ) -> None:
        self.model, self.xs, self.ys, self.loss_fn = model, xs, ys, loss
        self.optimizer = optimizer


class _EagerStep(_Step):
    """The batch's graph, built by the eager engine and backpropagated into the Values."""

    value: Value | None = None

    def loss(self, index: list[int]) -> float:
        """Build the batch's loss."""
        self.phase = "computing the loss"
        self.optimizer.zero_grad()
        self.value = _checked(
            self.loss_fn([self.model(self.xs[i]) for i in index], [self.ys[i] for i in index])
        )
        return self.value.data

    def backward(self) -> None:
        """Backpropagate it, then let the graph go."""
        self.phase = "backpropagating the loss"
        if self.value is not None:
            self.value.backward()
        self.value = None

    def mean_loss(self, xs: list[Any], ys: list[Any]) -> float:
        """The loss on a whole data set (the validation set), recording no graph."""
        with no_grad():
            return _checked(self.loss_fn([self.model(x) for x in xs], ys)).data

    def largest_gradient(self) -> float:
        """The largest gradient component, in absolute value."""
        return max(abs(p.grad) for p in self.optimizer.params)

    def update(self) -> None:
        """One optimizer step on the Values."""
        self.optimizer.step()

    def to_values(self) -> None:
        """Nothing to do: the Values are where the parameters live."""

    def from_values(self) -> None:
        """Nothing to do: the Values are where the parameters live."""


# The compiled and eager losses may differ by float rounding only (the engines add in other
# orders, and numpy's exp, log and tanh may differ from math's in the last bit): about 1e-15
# of the loss's scale.  A loss that is not a mean of per-example losses, or a branch frozen
# by the trace, differs by far more.
_CHECK_TOLERANCE = 1e-9

_CHECKED_EXAMPLES = 4
"""The first update compares compiled and eager on this many examples of its batch: enough
to see a sum that should be a mean, or a branch frozen by the trace, while each eager
example costs about what a whole compiled batch does."""


class _CompiledStep(_Step):
    """The per-example loss traced once by ``autograd.compile`` and replayed on each batch.

    The target is a traced input, so one trace serves every target.  The parameters stay
    in ``self.data`` (in the optimizer's order) for the whole run, their gradient in
    ``self.grad``; the optimizer steps those arrays, and nothing touches each parameter's
    Value until ``to_values``.
    """

    phase = "compiled loss"

    def __init__(self, *args: Any) -> None:
        import numpy as np  # only when compiled=True

        super().__init__(*args)
        self.data = np.array([p.data for p in self.optimizer.params], dtype=np.float64)
        self.grad = np.array([p.grad for p in self.optimizer.params], dtype=np.float64)
        self.traced: Any = None  # the Compiled step, made by the first batch
        self.inputs: list[Any] = []  # xs and ys as arrays, checked once
        # The traced graph reads its parameters in its own order.  Usually that is the
        # optimizer's, and self.data is passed as it is; else ``trained`` marks those in
        # self.data, at ``positions``, and the others (Values that fit does not train) are
        # read from their Values on each update.
        self.same_order = True
        self.trained: Any = None
        self.positions: Any = None
        self.others: list[Value] = []

    def loss(self, index: list[int]) -> float:
        """The batch's mean loss; its gradient goes to ``self.grad``."""
        first = self.traced is None
        if first:
            self._start(index)
        xs, ys = (array[index] for array in self.inputs)
        value, grad = self.traced.mean_and_gradient(self._traced_data(), xs, ys)
        self.grad = self._fit_order(grad)
        if first:
            self._check(index[:_CHECKED_EXAMPLES])
        return float(value)

    def backward(self) -> None:
        """Nothing left to do: ``loss`` computed the gradient too."""

    def mean_loss(self, xs: Any, ys: Any) -> float:
        """The mean loss on a whole data set (arrays), replayed from the Values' data."""
        losses = self.traced(xs, ys)
        return float(sum(losses) / len(losses))

    def largest_gradient(self) -> float:
        """The largest gradient component, in absolute value."""
        return float(abs(self.grad).max())

    def update(self) -> None:
        """One optimizer step on the arrays."""
        self.optimizer.step_arrays(self.data, self.grad)

    def to_values(self) -> None:
        """Write the arrays into the Values: their data, and the last gradient."""
        for p, x, g in zip(self.optimizer.params, self.data.tolist(), self.grad.tolist()):
            p.data, p.grad = x, g

    def from_values(self) -> None:
        """Read the Values' data back (user code may have changed it)."""
        self.data[:] = [p.data for p in self.optimizer.params]

    def _start(self, index: list[int]) -> None:
        """Check the data and every target, and trace the loss of one example."""
        import numpy as np

        from autograd import compile as trace

        self.inputs = [
            numeric_array(data, "fit", what, _EXAMPLES)
            for data, what in ((self.xs, "xs"), (self.ys, "ys"))
        ]
        self._check_targets()
        first = index[0]
        self.traced = trace(self._one, example=(self.xs[first], self.ys[first]))
        where = {p: i for i, p in enumerate(self.optimizer.params)}
        positions = np.array([where.get(p, -1) for p in self.traced.parameters], dtype=np.intp)
        self.same_order = np.array_equal(positions, np.arange(len(self.data)))
        self.trained = positions >= 0
        self.positions = positions[self.trained]
        self.others = [p for p in self.traced.parameters if p not in where]

    def _one(self, x: Any, y: Any) -> Value:
        return _checked(self.loss_fn([self.model(x)], [y]))

    def _traced_data(self) -> Any:
        """The traced graph's parameters' values, in its order."""
        if self.same_order:
            return self.data
        import numpy as np

        data = np.empty(len(self.trained))
        data[self.trained] = self.data[self.positions]
        data[~self.trained] = [p.data for p in self.others]
        return data

    def _fit_order(self, grad: Any) -> Any:
        """A gradient in the traced graph's order, in the optimizer's (0 where unused)."""
        if self.same_order:
            return grad
        import numpy as np

        result = np.zeros_like(self.data)
        result[self.positions] = grad[self.trained]
        return result

    def _check_targets(self) -> None:
        """Run the loss, eagerly, on every distinct target once, before any training.

        The compiled loss takes targets as data: the checks a loss makes on its target's
        value (a class index in range, a label of +1 or -1) run on the traced example only.
        So they run here, on one prediction (the first example's) paired with each distinct
        target: a bad target raises the loss's own error, naming it in ``ys``.
        """
        import numpy as np

        # Distinct as numbers (1 and 1.0 alike), each where it first occurs.
        distinct = sorted(np.unique(self.inputs[1], axis=0, return_index=True)[1].tolist())
        with no_grad():
            prediction = self.model(self.xs[0])
            targets = [self.ys[i] for i in distinct]
            try:
                self.loss_fn([prediction] * len(targets), targets)
            except (ValueError, TypeError):  # say which target: try them one by one
                for i in distinct:
                    try:
                        self.loss_fn([prediction], [self.ys[i]])
                    except (ValueError, TypeError) as error:
                        raise type(error)(f"ys[{i}]: {error}") from error
                raise

    def _check(self, index: list[int]) -> None:
        """Compare the compiled loss with the eager engine's on a few examples."""
        compiled = self.mean_loss(*(array[index] for array in self.inputs))
        with no_grad():
            eager = self.loss_fn(
                [self.model(self.xs[i]) for i in index], [self.ys[i] for i in index]
            )
        expected = eager.data if isinstance(eager, Value) else math.nan
        if not abs(compiled - expected) <= _CHECK_TOLERANCE * max(1.0, abs(expected)):
            raise ValueError(
                f"fit: compiled=True: on the first batch the compiled loss is {compiled!r} but "
                f"the eager engine's is {expected!r}.  The compiled path needs a loss that is "
                "the mean of per-example losses, and a model and loss without branches on the "
                "data's values; use compiled=False"
            )
