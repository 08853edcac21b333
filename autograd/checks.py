"""Checking numbers that users pass in: the one home of these rules and of their wording.

The engine, ``gradcheck``, ``compile``, ``nn``, the command line and the demos all check
their numbers here, so every message reads the same way: it names the function (``who``) and
the operand (``what``), e.g. ``fit: lr must be a finite number > 0, got -1``.

* Not a number at all (a str, None, a complex, a bool) is a ``TypeError``.  A bool is an int
  to Python, but never meant as a number here.
* A number that is out of range (NaN, inf where only finite numbers make sense, below a
  bound, an int too large for a float) is a ``ValueError``.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "brief",
    "as_list",
    "is_bool",
    "is_real",
    "real",
    "integer",
    "is_class_index",
    "class_index",
    "parse_real",
    "parse_integer",
    "option",
    "numeric_array",
]


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


def _got(value: object) -> str:
    return f"got {type(value).__name__} {brief(value)}"


def as_list(items: object, who: str, what: str, expected: str) -> list[Any]:
    """``items``, any iterable but a str or bytes, as a list; else a TypeError."""
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"{who}: {what} must be {expected}, got {type(items).__name__}")
    return list(items)


def is_bool(value: object) -> bool:
    """True for Python's bool and numpy's bool_ (numbers to Python, never meant as such here)."""
    return isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b"


def is_real(value: object) -> bool:
    """True for a real number that is not a bool (Python's or numpy's)."""
    return isinstance(value, numbers.Real) and not is_bool(value)


def real(
    value: object,
    who: str,
    what: str,
    *,
    minimum: float | None = None,
    positive: bool = False,
    finite: bool = True,
    allow_bool: bool = False,
    expected: str = "a real number",
) -> float:
    """``value`` as a float: finite unless ``finite=False`` (then inf passes, NaN never).

    ``minimum`` and ``positive`` bound it from below.  ``allow_bool`` lets True and False
    pass as 1.0 and 0.0 (arithmetic does: ``2.0 * True``).  ``expected`` words the TypeError.
    """
    if not (is_real(value) or (allow_bool and isinstance(value, numbers.Real))):
        raise TypeError(f"{who}: {what} must be {expected}, {_got(value)}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int or Fraction beyond the float range
        raise ValueError(f"{who}: {what} is too large for a float: {brief(value)}") from None
    if not finite:
        if math.isnan(x):
            raise ValueError(f"{who}: {what} must not be NaN")
        return x
    too_small = (minimum is not None and x < minimum) or (positive and x <= 0)
    if not math.isfinite(x) or too_small:
        bound = " > 0" if positive else "" if minimum is None else f" >= {minimum:g}"
        raise ValueError(f"{who}: {what} must be a finite number{bound}, got {brief(value)}")
    return x


def integer(value: object, who: str, what: str, minimum: int | None = None) -> int:
    """``value`` as an int >= ``minimum``: TypeError if not an int (or a bool), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who}: {what} must be an int, {_got(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{who}: {what} must be >= {minimum}, got {brief(value)}")
    return int(value)


def is_class_index(value: object) -> bool:
    """True for a class index: a whole number >= 0 (1, 1.0 and numpy ints alike), not a bool."""
    number = cast(float, value)  # compared only once is_real holds
    return is_real(value) and bool(0 <= number < math.inf and number % 1 == 0)


def class_index(value: object, who: str, what: str, classes: int | None = None) -> int:
    """``value`` as a class index, below ``classes`` if given: TypeError if it is no number (or
    a bool), ValueError if it is a number but not such a whole number."""
    valid = ">= 0" if classes is None else f"from 0 to {classes - 1}"
    expected = f"a class index (a whole number {valid})"
    if not is_real(value):
        raise TypeError(f"{who}: {what} must be {expected}, {_got(value)}")
    number = cast(float, value)  # an int, a float, a Fraction or a numpy number; not a bool
    if not is_class_index(number) or (classes is not None and number >= classes):
        raise ValueError(f"{who}: {what} must be {expected}, got {brief(value)}")
    return int(number)


def parse_real(text: str, who: str, what: str, **bounds: Any) -> float:
    """A number typed on a command line, checked as ``real`` checks it (ValueError if not one)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{who}: {what} must be a real number, got {brief(text)}") from None
    return real(value, who, what, **bounds)


def parse_integer(text: str, who: str, what: str, minimum: int | None = None) -> int:
    """An int typed on a command line, checked as ``integer`` checks it (ValueError if not one)."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{who}: {what} must be an int, got {brief(text)}") from None
    return integer(value, who, what, minimum)


def option(
    parse: Callable[..., Any], what: str = "the value", **bounds: Any
) -> Callable[[str], Any]:
    """An argparse ``type=`` from ``parse_real`` or ``parse_integer``: bad text is a usage error.

    argparse prints "argument --lr: the value must be a finite number > 0, got '0'" and exits
    with status 2, with no traceback.
    """

    import argparse  # only command lines need it: import autograd stays light

    def convert(text: str) -> Any:
        try:
            return parse(text, "", what, **bounds)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error).removeprefix(": ")) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def numeric_array(data: object, who: str, what: str, expected: str) -> np.ndarray[Any, Any]:
    """Nested lists (or an array) of real numbers as a float64 numpy array, all finite.

    ``expected`` says what ``data`` should be, for the errors: ragged nesting, NaN, inf and
    numbers too large for a float are ValueErrors; bools, complex numbers and anything that is
    no number are TypeErrors.  numpy is imported here, when first needed.
    """
    import numpy as np

    try:
        array = np.asarray(data)
    except (ValueError, TypeError):  # ragged nesting
        raise ValueError(
            f"{who}: {what} must be {expected} of one regular shape; its nested lists have "
            "different lengths"
        ) from None
    kind = array.dtype.kind
    if kind not in "fiu":
        sample = _first_non_real(data)
        if sample is None:  # numbers numpy keeps as objects: ints beyond the float range
            raise ValueError(f"{who}: {what} holds a number too large for a float")
        raise TypeError(f"{who}: {what} must be {expected}, but it holds {sample}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        where = "".join(f"[{i}]" for i in position)
        raise ValueError(
            f"{who}: {what}{where} must be a finite number, got {float(array[position])!r}"
        )
    return array


def _first_non_real(data: object) -> str | None:
    """Describe the first item of a nested structure that is not a real number, if any."""
    import numpy as np

    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, np.ndarray):
            stack.extend(reversed(item.tolist()) if item.ndim else [item.item()])
        elif not is_real(item):
            return f"{type(item).__name__} {brief(item)}"
    return None
