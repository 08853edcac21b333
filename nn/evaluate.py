"""Evaluating a model: its prediction for every example of a data set, and their accuracy.

``predict`` records no graph (it runs under ``no_grad``), or, with ``compiled=True``, traces
the model once with ``autograd.compile`` and replays it over whole batches; numpy is
imported only then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd import Value, no_grad
from autograd.checks import as_list, brief, class_index, integer

__all__ = ["predict", "Predictor", "accuracy"]


def predict(
    model: Callable[[Any], Any],
    xs: Iterable[Any],
    *,
    batch_size: int | None = None,
    compiled: bool = False,
) -> list[Any]:
    """Each example's class (argmax of the model's list of logits) or output (one Value's float).

    A model returning a list (or tuple) of Values gives class indices: the position of the
    largest, the first one on ties (as torch.argmax).  A model returning one Value gives its
    ``.data``.  ``compiled=True`` traces the model once on ``xs[0]`` with
    ``autograd.compile`` and replays it on ``batch_size`` examples at a time (default: all
    at once): the same predictions to float rounding, for a model without branches on the
    data.  Eagerly the examples run one by one, so ``batch_size`` changes nothing there.
    To predict again and again (after every epoch, say), keep a ``Predictor``.
    """
    return Predictor(model, batch_size=batch_size, compiled=compiled)(xs)


class Predictor:
    """``predict`` for one model, to call again and again: compiled, it traces the model on
    its first call and replays that trace on every later one (the trace reads the
    parameters' current ``.data``, so it stays right as the model trains)."""

    def __init__(
        self,
        model: Callable[[Any], Any],
        *,
        batch_size: int | None = None,
        compiled: bool = False,
    ) -> None:
        if not callable(model):
            raise TypeError(f"predict: model must be callable, got {type(model).__name__}")
        if batch_size is not None:
            batch_size = integer(batch_size, "predict", "batch_size", 1)
        if not isinstance(compiled, bool):
            raise TypeError(
                f"predict: compiled must be True or False, got {type(compiled).__name__}"
            )
        self.model, self.batch_size, self.compiled = model, batch_size, compiled
        self._replay: Any = None  # the model traced by autograd.compile, once

    def __call__(self, xs: Iterable[Any]) -> list[Any]:
        """Each example's class or output, as ``predict`` gives them."""
        examples = as_list(xs, "predict", "xs", "a list of examples")
        if not examples:
            return []
        model = self.model
        with no_grad():
            first = model(examples[0])
        classes = _returns_logits(first)
        if self.compiled:
            rows = self._replayed(examples)
        else:
            with no_grad():
                outputs = [first] + [model(x) for x in examples[1:]]
            for i, output in enumerate(outputs):
                if _returns_logits(output) != classes:
                    raise TypeError(
                        f"predict: the model returned a {type(first).__name__} for xs[0] but a "
                        f"{type(output).__name__} for xs[{i}]"
                    )
            rows = [[v.data for v in out] if classes else out.data for out in outputs]
        if not classes:
            return rows
        # The replay gives a bare float for a list of one logit.
        return [_argmax(row) if isinstance(row, list) else 0 for row in rows]

    def _replayed(self, examples: list[Any]) -> list[Any]:
        """The model's outputs, replayed ``batch_size`` examples at a time."""
        if self._replay is None:
            from autograd import compile as trace  # imports numpy: only when compiled=True

            self._replay = trace(self.model, example=(examples[0],))
        size = self.batch_size or len(examples)
        rows: list[Any] = []
        for start in range(0, len(examples), size):
            rows += self._replay(examples[start : start + size])
        return rows


def accuracy(predicted: Iterable[Any], targets: Iterable[Any]) -> float:
    """The fraction of ``predicted`` class indices equal to ``targets`` (a number in [0, 1]).

    Both are lists of class indices: whole numbers >= 0 (1, 1.0 and numpy ints alike, as
    the losses accept).  For a model with one output, threshold its outputs first, e.g.
    ``accuracy([int(y > 0.5) for y in predict(model, xs)], ys)``.
    """
    predicted = as_list(predicted, "accuracy", "predicted", "a list of class indices")
    targets = as_list(targets, "accuracy", "targets", "a list of class indices")
    if len(predicted) != len(targets):
        raise ValueError(
            f"accuracy: predicted has {len(predicted)} entries but targets has {len(targets)}"
        )
    if not predicted:
        raise ValueError("accuracy: there are no predictions (the accuracy of none is undefined)")
    try:
        hits = sum(
            class_index(p, "accuracy", f"predicted[{i}]")
            == class_index(t, "accuracy", f"targets[{i}]")
            for i, (p, t) in enumerate(zip(predicted, targets))
        )
    except ValueError as error:
        raise ValueError(
            f"{error}; for a model with one output, threshold its outputs first"
        ) from None
    return hits / len(predicted)


def _returns_logits(output: object) -> bool:
    """True for a list of Values (logits), False for one Value; else a TypeError."""
    if isinstance(output, Value):
        return False
    if isinstance(output, (list, tuple)) and output and all(isinstance(v, Value) for v in output):
        return True
    raise TypeError(
        "predict: the model must return a Value (an output) or a non-empty list of Values "
        f"(logits, one per class), got {type(output).__name__} {brief(output)}"
    )


def _argmax(row: Sequence[Any]) -> int:
    """The index of the largest entry, the first on ties."""
    return max(range(len(row)), key=row.__getitem__)
