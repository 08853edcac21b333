"""Number checks for arguments (autograd, nn and the demos): one place for the rules and the
wording of their errors.

Each check names the function (``who``) and the operand (``what``) in its message, rejects
a bool (an int to Python, but never meant as a number here) as a TypeError, and turns the
OverflowError of an int or fraction too large for a float into a ValueError.
"""

from __future__ import annotations

import math
import numbers
import reprlib

__all__ = ["brief", "integer", "real", "to_float"]


class _BriefRepr(reprlib.Repr):
    """``reprlib.Repr`` that also shows ints too long for ``str`` (over 4300 digits)."""

    def repr_int(self, x: int, level: int) -> str:
        """The int's repr, cut short; its approximate length if it is too long to print."""
        try:
            return super().repr_int(x, level)
        except ValueError:  # beyond sys.get_int_max_str_digits()
            return f"<int of about {int(x.bit_length() * math.log10(2)) + 1} digits>"


_BRIEF = _BriefRepr()
_BRIEF.maxstring = 60
_BRIEF.maxother = 60
_BRIEF.maxlong = 40


def brief(value: object) -> str:
    """``repr(value)`` cut to a few dozen characters, so error messages stay short."""
    return _BRIEF.repr(value)


def integer(value: object, who: str, what: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``: TypeError if not an int (or a bool), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who}: {what} must be an int, got {type(value).__name__} {brief(value)}")
    if value < minimum:
        raise ValueError(f"{who}: {what} must be >= {minimum}, got {brief(value)}")
    return int(value)


def to_float(value: numbers.Real, who: str, what: str) -> float:
    """``float(value)``, with a ValueError naming ``who`` and ``what`` if it overflows."""
    try:
        return float(value)
    except OverflowError:  # an int or Fraction beyond the float range
        raise ValueError(f"{who}: {what} is too large for a float: {brief(value)}") from None


def real(
    value: object,
    who: str,
    what: str,
    *,
    minimum: float | None = None,
    positive: bool = False,
) -> float:
    """``value`` as a finite float (>= ``minimum``, > 0 if ``positive``); TypeError if no number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{who}: {what} must be a number, got {type(value).__name__} {brief(value)}"
        )
    x = to_float(value, who, what)
    too_small = (minimum is not None and x < minimum) or (positive and x <= 0)
    if not math.isfinite(x) or too_small:
        bound = " > 0" if positive else "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{who}: {what} must be a finite number{bound}, got {brief(value)}")
    return x
