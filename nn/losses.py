"""Loss functions: each takes one example or a batch and returns a Value, the mean.

* ``mae`` / ``mse``: ``pred`` a Value or a (nested) list of Values, ``target`` numbers of the
  same shape; the mean over all elements (``torch.nn.functional.l1_loss`` / ``mse_loss``).
* ``cross_entropy``: logits of one example (a list) or of a batch (a list of lists); a target
  is a class index or a probability distribution (``torch.nn.functional.cross_entropy``).
* ``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``hinge``: one Value and
  one target, or a list of Values with one target each.

Bad targets (wrong length, class out of range or not a whole number, not a distribution,
NaN or inf, too large for a float, a label outside [0, 1] or {-1, +1}) raise a ValueError
that names the loss and the operand; a target that is not a number at all (a str, None, a
bool) is a TypeError, as ``autograd.checks`` has it.
A class index may be any integral-valued real number: 1, 1.0, numpy.int64(1).

A target may also be a Value: its data is checked as a number would be, and it stays an
operand of the graph.  That is what lets ``autograd.compile`` trace a target as an input
(one trace for every class), and why no loss branches on the data: the shifts of
log-sum-exp and the clamp of ``binary_cross_entropy`` are computed by primitives
(``autograd.logsumexp``, ``relu``) each time the graph runs, never frozen by a trace.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import autograd
from autograd import Value
from autograd.checks import brief as _brief
from autograd.checks import class_index, is_bool, is_real, real

__all__ = [
    "mae",
    "mse",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge",
]

Operand = Value | float | int
Nested = Operand | Sequence[Any]

# log(p) below this is replaced by it, as torch.nn.functional.binary_cross_entropy does.
BCE_LOG_CLAMP = -100.0
_CLAMP_PROB = math.exp(BCE_LOG_CLAMP)  # its log is exactly -100.0

_DISTRIBUTION_TOLERANCE = 1e-6


def _is_sequence(x: object) -> bool:
    return isinstance(x, (list, tuple)) or (
        hasattr(x, "__len__")
        and hasattr(x, "__getitem__")
        and not isinstance(x, (str, bytes, Mapping))
        and not is_real(x)
    )


def _mean(terms: list[Value], name: str) -> Value:
    if not terms:
        raise ValueError(f"{name}: empty input: there is nothing to average")
    return autograd.sum(terms) / len(terms)


def _is_scalar(x: object) -> bool:
    """True for one prediction: a Value or a plain number."""
    return isinstance(x, Value) or is_real(x)


def _as_value(x: Any, name: str, what: str) -> Value:
    """One prediction as a Value: a number becomes a constant leaf."""
    return x if isinstance(x, Value) else Value(real(x, name, what, finite=False))


def _check_target(t: object, name: str, at: str) -> Value | float:
    """One target: a number as a float, or a Value whose data is a finite number."""
    number = real(t.data if isinstance(t, Value) else t, name, f"target{at}")
    return t if isinstance(t, Value) else number


def _number(t: Value | float) -> float:
    """A checked target's number (a Value's data)."""
    return t.data if isinstance(t, Value) else t


def _split(pred: Any, target: Any, name: str, at: str) -> list[tuple[Any, Any]]:
    """The elements of a sequence ``pred`` paired with those of ``target``, of equal length."""
    if _is_scalar(pred):  # then target is a sequence: a single value cannot pair with it
        raise ValueError(
            f"{name}: pred{at} is a single value but target{at} is a sequence of {len(target)}"
        )
    if not _is_sequence(pred):
        raise TypeError(
            f"{name}: pred{at} must be a Value or a list of Values, got {type(pred).__name__}"
        )
    if not _is_sequence(target):
        raise ValueError(
            f"{name}: pred{at} is a sequence of {len(pred)} but target{at} is not a sequence "
            f"({_brief(target)})"
        )
    if len(pred) != len(target):
        raise ValueError(
            f"{name}: length mismatch{at}: pred has {len(pred)} element(s), "
            f"target has {len(target)}"
        )
    return list(zip(pred, target))


def _pairs(pred: Any, target: Any, name: str, where: str = "") -> list[tuple[Value, Value | float]]:
    """Flatten (nested) ``pred`` and ``target`` in step, checking that their shapes agree."""
    at = f" at {where}" if where else ""
    if _is_scalar(pred) and not _is_sequence(target):
        return [(_as_value(pred, name, f"pred{at}"), _check_target(target, name, at))]
    pairs: list[tuple[Value, Value | float]] = []
    for i, (p, t) in enumerate(_split(pred, target, name, at)):
        pairs.extend(_pairs(p, t, name, f"{where}[{i}]"))
    return pairs


def mae(pred: Nested, target: Any) -> Value:
    """Mean absolute error: the mean of |pred - target| over all elements (as F.l1_loss)."""
    return _mean([(p - t).abs() for p, t in _pairs(pred, target, "mae")], "mae")


def mse(pred: Nested, target: Any) -> Value:
    """Mean squared error: the mean of (pred - target)² over all elements (as F.mse_loss)."""
    return _mean([(p - t) ** 2 for p, t in _pairs(pred, target, "mse")], "mse")


# --- cross-entropy ------------------------------------------------------------------------


def _logits(row: object, name: str, where: str) -> list[Value]:
    if not _is_sequence(row):
        raise TypeError(f"{name}: logits{where} must be a list of Values, got {type(row).__name__}")
    items = list(row)  # type: ignore[call-overload]
    if not items:
        raise ValueError(f"{name}: logits{where} is empty")
    out = []
    for i, v in enumerate(items):
        if not _is_scalar(v):
            raise TypeError(
                f"{name}: logits{where}[{i}] must be a Value or a number, got {type(v).__name__}"
            )
        out.append(_as_value(v, name, f"logits{where}[{i}]"))
    return out


def _probabilities(target: Any, n: int, name: str, where: str) -> list[Value | float]:
    """A probability distribution over ``n`` classes: numbers (or Values) in [0, 1], sum 1."""
    probs = list(target)
    if len(probs) != n:
        raise ValueError(f"{name}: target{where} has {len(probs)} probabilities for {n} logits")
    checked: list[float] = []
    for i, p in enumerate(probs):
        x = p.data if isinstance(p, Value) else p
        if not is_real(x):
            raise TypeError(
                f"{name}: target{where}[{i}] must be a probability (a number), "
                f"got {type(p).__name__} {_brief(p)}"
            )
        if not 0.0 <= x <= 1.0:
            raise ValueError(
                f"{name}: target{where}[{i}] must be a probability in [0, 1], got {_brief(x)}"
            )
        checked.append(float(x))
    total = math.fsum(checked)
    if abs(total - 1.0) > _DISTRIBUTION_TOLERANCE:
        raise ValueError(
            f"{name}: target{where} is not a probability distribution: "
            f"it sums to {total!r}, not 1"
        )
    return [p if isinstance(p, Value) else x for p, x in zip(probs, checked)]


def _cross_entropy_one(logits: list[Value], target: object, name: str, where: str) -> Value:
    # log-sum-exp is one primitive, shifted by the largest logit each time it runs, so
    # logits of +-1000 neither overflow nor vanish, traced or not.
    n = len(logits)
    if isinstance(target, (Value, numbers.Real)) or is_bool(target):
        number = target.data if isinstance(target, Value) else target
        k = class_index(number, name, f"target{where}", n)
        # A Value index stays an operand (a traced class label); select checks it each run.
        index = target if isinstance(target, Value) else k
        return autograd.logsumexp(logits) - autograd.select(index, logits)
    if _is_sequence(target):
        probs = _probabilities(target, n, name, where)
        lse = autograd.logsumexp(logits)
        # -Σ p_k log_softmax_k, term by term as torch computes it.
        return -autograd.dot(probs, [v - lse for v in logits])
    raise TypeError(
        f"{name}: target{where} must be a class index (int) or a list of probabilities, "
        f"got {type(target).__name__} {_brief(target)}"
    )


def cross_entropy(logits: Sequence[Any], target: Any) -> Value:
    """Softmax cross-entropy, mean over the batch; as ``torch.nn.functional.cross_entropy``.

    One example: ``logits`` a list of Values (one per class) and ``target`` a class index (a
    whole number, or a Value holding one) or a probability distribution.  A batch: a list of
    such lists and a list of targets.  ``logsumexp(logits) - select(target, logits)``: stable
    for any finite logits.
    """
    name = "cross_entropy"
    if not _is_sequence(logits):
        raise TypeError(
            f"{name}: logits must be a list of Values or a list of such lists, "
            f"got {type(logits).__name__}"
        )
    if len(logits) > 0 and _is_sequence(logits[0]):
        if not _is_sequence(target):
            raise ValueError(
                f"{name}: logits is a batch of {len(logits)} but target is not a list ({target!r})"
            )
        if len(target) != len(logits):
            raise ValueError(
                f"{name}: length mismatch: logits has {len(logits)} example(s), "
                f"target has {len(target)}"
            )
        losses = [
            _cross_entropy_one(_logits(row, name, f"[{i}]"), t, name, f"[{i}]")
            for i, (row, t) in enumerate(zip(logits, target))
        ]
        return _mean(losses, name)
    return _cross_entropy_one(_logits(logits, name, ""), target, name, "")


# --- binary losses -----------------------------------------------------------------------


def _binary_pairs(pred: Any, target: Any, name: str) -> list[tuple[Value, Value | float, str]]:
    """Pair one Value with one number, or a flat list of Values with a list of numbers.

    Each pair comes with what locates it in messages: "" for a single value, "[i]" in a list.
    """
    if _is_scalar(pred) and not _is_sequence(target):
        items, where = [(pred, target)], [""]
    else:
        items = _split(pred, target, name, "")
        where = [f"[{i}]" for i in range(len(items))]
    pairs = []
    for (p, t), at in zip(items, where):
        if not _is_scalar(p):
            raise TypeError(f"{name}: pred{at} must be a Value, got {type(p).__name__} {_brief(p)}")
        pairs.append((_as_value(p, name, f"pred{at}"), _check_target(t, name, at), at))
    return pairs


def _clamped_log(x: Value) -> Value:
    # max(log x, -100), written log(c + relu(x - c)) with c = e^-100: no branch on the data,
    # so a traced graph clamps wherever the eager one does.  Where the clamp is active the
    # loss is flat and its gradient 0 (relu's slope); torch's own backward differs only
    # there, using (p - y) / max(p (1 - p), 1e-12).
    return (_CLAMP_PROB + (x - _CLAMP_PROB).relu()).log()


def binary_cross_entropy(prob: Any, target: Any) -> Value:
    """-(y log p + (1 - y) log(1 - p)), mean; as ``F.binary_cross_entropy``.

    Like torch, each log is clamped at -100, so p = 0 or 1 gives a finite loss (at most
    100).  ``prob`` must lie in [0, 1] and ``target`` in [0, 1], else ValueError.
    """
    name = "binary_cross_entropy"
    terms = []
    for p, y, at in _binary_pairs(prob, target, name):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"{name}: prob{at} must be a probability in [0, 1], got {p.data!r} "
                "(pass logits to binary_cross_entropy_with_logits instead)"
            )
        if not 0.0 <= _number(y) <= 1.0:
            raise ValueError(f"{name}: target{at} must be in [0, 1], got {_number(y)!r}")
        terms.append(-(y * _clamped_log(p) + (1 - y) * _clamped_log(1 - p)))
    return _mean(terms, name)


def binary_cross_entropy_with_logits(logit: Any, target: Any) -> Value:
    """Binary cross-entropy of sigmoid(logit), computed stably (as torch's version).

    The loss is log(1 + exp(x)) - x y, written ``logsumexp([0, x]) - x * y``: stable for any
    finite x, and with the right slope everywhere, sigmoid(x) - y (also at x = 0).
    """
    name = "binary_cross_entropy_with_logits"
    terms = [
        autograd.logsumexp([0.0, x]) - x * y for x, y, _ in _binary_pairs(logit, target, name)
    ]
    return _mean(terms, name)


def hinge(score: Any, target: Any) -> Value:
    """Mean of relu(1 - y * score) for labels y = +1 or -1 (micrograd's demo loss)."""
    name = "hinge"
    terms = []
    for s, y, at in _binary_pairs(score, target, name):
        if _number(y) not in (1.0, -1.0):
            raise ValueError(f"{name}: target{at} must be +1 or -1, got {_number(y)!r}")
        terms.append((1 - y * s).relu())
    return _mean(terms, name)
