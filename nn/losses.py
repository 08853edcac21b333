"""Loss functions: each takes one example or a batch and returns a Value, the mean.

* ``mae`` / ``mse``: ``pred`` a Value or a (nested) list of Values, ``target`` numbers of the
  same shape; the mean over all elements (``torch.nn.functional.l1_loss`` / ``mse_loss``).
* ``cross_entropy``: logits of one example (a list) or of a batch (a list of lists); a target
  is a class index or a probability distribution (``torch.nn.functional.cross_entropy``).
* ``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``hinge``: one Value and
  one target, or a list of Values with one target each.

Bad targets (wrong length, class out of range or not a whole number, not a distribution,
NaN or inf, too large for a float, a bool, a label outside [0, 1] or {-1, +1}) raise a
ValueError that names the loss and the operand; a target that is not a number at all (a
str, None) is a TypeError.
A class index may be any integral-valued real number: 1, 1.0, numpy.int64(1).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import autograd
from autograd import Value
from autograd.checks import brief as _brief
from autograd.checks import real, to_float

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

_DISTRIBUTION_TOLERANCE = 1e-6


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_bool(x: object) -> bool:
    """True for ``bool`` and numpy's ``bool_`` (a number to Python, but not a valid target)."""
    return isinstance(x, bool) or getattr(getattr(x, "dtype", None), "kind", None) == "b"


def _is_sequence(x: object) -> bool:
    return isinstance(x, (list, tuple)) or (
        hasattr(x, "__len__")
        and hasattr(x, "__getitem__")
        and not isinstance(x, (str, bytes, Mapping))
        and not _is_number(x)
    )


def _mean(terms: list[Value], name: str) -> Value:
    if not terms:
        raise ValueError(f"{name}: empty input: there is nothing to average")
    return autograd.sum(terms) / len(terms)


def _is_scalar(x: object) -> bool:
    """True for one prediction: a Value or a plain number."""
    return isinstance(x, Value) or _is_number(x)


def _as_value(x: Any, name: str, what: str) -> Value:
    """One prediction as a Value: a number becomes a constant leaf."""
    return x if isinstance(x, Value) else Value(to_float(x, name, what))


def _check_target(t: object, name: str, at: str) -> float:
    """One number target as a float; ``at`` locates it in messages ("", "[2]", " at [0][1]")."""
    if _is_bool(t):
        raise ValueError(f"{name}: target{at} must be a number, not a bool ({t!r})")
    return real(t, name, f"target{at}")


def _split(pred: Any, target: Any, name: str, at: str) -> list[tuple[Any, Any]]:
    """The elements of a sequence ``pred`` paired with those of ``target``, of equal length."""
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


def _single_value_with_sequence(target: Any, name: str, at: str) -> ValueError:
    """The error for a single prediction whose target is a sequence."""
    return ValueError(
        f"{name}: pred{at} is a single value but target{at} is a sequence of {len(target)}"
    )


def _pairs(pred: Any, target: Any, name: str, where: str = "") -> list[tuple[Value, Value | float]]:
    """Flatten (nested) ``pred`` and ``target`` in step, checking that their shapes agree.

    A target is a number, or a Value (used as it is).
    """
    at = f" at {where}" if where else ""
    if _is_scalar(pred):
        if _is_sequence(target):
            raise _single_value_with_sequence(target, name, at)
        t = target if isinstance(target, Value) else _check_target(target, name, at)
        return [(_as_value(pred, name, f"pred{at}"), t)]
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
        if isinstance(v, Value):
            out.append(v)
        elif _is_number(v):
            out.append(Value(to_float(v, name, f"logits{where}[{i}]")))
        else:
            raise TypeError(
                f"{name}: logits{where}[{i}] must be a Value or a number, got {type(v).__name__}"
            )
    return out


def _log_sum_exp(logits: list[Value]) -> Value:
    # Shifting by the largest logit (a constant: the result does not depend on it) keeps
    # every exp argument <= 0, so logits of +-1000 neither overflow nor vanish.
    m = max(v.data for v in logits)
    return autograd.sum([(v - m).exp() for v in logits]).log() + m


def _cross_entropy_one(logits: list[Value], target: object, name: str, where: str) -> Value:
    n = len(logits)
    if _is_bool(target):
        raise ValueError(
            f"{name}: target{where} must be a class index (0 to {n - 1}) or a list of "
            f"probabilities, not a bool ({target!r})"
        )
    if isinstance(target, numbers.Real):  # int, float, numpy scalars: integral values only
        if isinstance(target, numbers.Integral):
            k = int(target)
        else:
            try:
                t = float(target)
            except OverflowError:  # e.g. a huge Fraction: no class index either
                t = math.inf
            if not (math.isfinite(t) and t.is_integer()):
                raise ValueError(
                    f"{name}: target{where} {_brief(target)} is not a class index: "
                    f"expected a whole number from 0 to {n - 1}"
                )
            k = int(t)
        if not 0 <= k < n:
            raise ValueError(
                f"{name}: target{where} class index {_brief(k)} is out of range for {n} logits "
                f"(valid: 0 to {n - 1})"
            )
        return _log_sum_exp(logits) - logits[k]
    if _is_sequence(target):
        probs = list(target)  # type: ignore[call-overload]
        if len(probs) != n:
            raise ValueError(f"{name}: target{where} has {len(probs)} probabilities for {n} logits")
        for i, p in enumerate(probs):
            if not (_is_bool(p) or _is_number(p)):
                raise TypeError(
                    f"{name}: target{where}[{i}] must be a probability (a number), "
                    f"got {type(p).__name__} {_brief(p)}"
                )
            if _is_bool(p) or not 0.0 <= p <= 1.0:
                raise ValueError(
                    f"{name}: target{where}[{i}] must be a probability in [0, 1], got {_brief(p)}"
                )
        total = math.fsum(probs)
        if abs(total - 1.0) > _DISTRIBUTION_TOLERANCE:
            raise ValueError(
                f"{name}: target{where} is not a probability distribution: "
                f"it sums to {total!r}, not 1"
            )
        lse = _log_sum_exp(logits)
        # -Σ p_k log_softmax_k, term by term as torch computes it.
        return -autograd.dot([float(p) for p in probs], [v - lse for v in logits])
    raise TypeError(
        f"{name}: target{where} must be a class index (int) or a list of probabilities, "
        f"got {type(target).__name__} {_brief(target)}"
    )


def cross_entropy(logits: Sequence[Any], target: Any) -> Value:
    """Softmax cross-entropy, mean over the batch; as ``torch.nn.functional.cross_entropy``.

    One example: ``logits`` a list of Values (one per class) and ``target`` a class index or
    a probability distribution.  A batch: a list of such lists and a list of targets.
    Uses a stable log-sum-exp.
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


def _binary_pairs(pred: Any, target: Any, name: str) -> list[tuple[Value, float, str]]:
    """Pair one Value with one number, or a flat list of Values with a list of numbers.

    Each pair comes with what locates it in messages: "" for a single value, "[i]" in a list.
    """
    if _is_scalar(pred):
        if _is_sequence(target):
            raise _single_value_with_sequence(target, name, "")
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


def _clamped_log(x: Value) -> Value | float:
    # Where log(x) < -100 the clamped function is flat, so the constant is also its gradient
    # (zero); torch's own backward differs only there, using (p - y) / max(p (1 - p), 1e-12).
    if x.data <= 0.0 or math.log(x.data) < BCE_LOG_CLAMP:
        return BCE_LOG_CLAMP
    return x.log()


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
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"{name}: target{at} must be in [0, 1], got {y!r}")
        log_p, log_q = _clamped_log(p), _clamped_log(1 - p)
        terms.append(-(y * log_p + (1 - y) * log_q))
    return _mean([t if isinstance(t, Value) else Value(t) for t in terms], name)


def binary_cross_entropy_with_logits(logit: Any, target: Any) -> Value:
    """Binary cross-entropy of sigmoid(logit), computed stably (as torch's version).

    The loss is max(x, 0) - x y + log(1 + exp(-|x|)).  It is built with the sign of x
    decided up front (x - x y + log(1 + exp(-x)) for x >= 0, -x y + log(1 + exp(x)) below),
    which is the same formula but, unlike relu and abs, has the right slope at x = 0:
    sigmoid(0) - y.
    """
    name = "binary_cross_entropy_with_logits"
    terms = []
    for x, y, _ in _binary_pairs(logit, target, name):
        if x.data >= 0:
            terms.append(x - x * y + (1 + (-x).exp()).log())
        else:
            terms.append(-x * y + (1 + x.exp()).log())
    return _mean(terms, name)


def hinge(score: Any, target: Any) -> Value:
    """Mean of relu(1 - y * score) for labels y = +1 or -1 (micrograd's demo loss)."""
    name = "hinge"
    terms = []
    for s, y, at in _binary_pairs(score, target, name):
        if y not in (1.0, -1.0):
            raise ValueError(f"{name}: target{at} must be +1 or -1, got {y!r}")
        terms.append((1 - y * s).relu())
    return _mean(terms, name)
