"""autograd.checks: the one place where arguments are checked to be numbers."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from autograd.checks import as_list, brief, class_index, integer, is_class_index, real


def test_integer_accepts_ints_and_names_the_function_and_operand() -> None:
    assert integer(3, "f", "n", 1) == 3
    with pytest.raises(TypeError, match=r"^f: n must be an int, got bool True$"):
        integer(True, "f", "n", 0)
    with pytest.raises(TypeError, match=r"^f: n must be an int, got float 2.0$"):
        integer(2.0, "f", "n", 0)
    with pytest.raises(ValueError, match=r"^f: n must be >= 1, got 0$"):
        integer(0, "f", "n", 1)


def test_real_bounds_and_overflow() -> None:
    assert real(Fraction(1, 4), "g", "lr", positive=True) == 0.25
    assert real(0, "g", "tol", minimum=0.0) == 0.0
    with pytest.raises(ValueError, match=r"^g: lr must be a finite number > 0, got 0$"):
        real(0, "g", "lr", positive=True)
    with pytest.raises(ValueError, match=r"^g: tol must be a finite number >= 0, got -1$"):
        real(-1, "g", "tol", minimum=0.0)
    with pytest.raises(ValueError, match=r"^g: x must be a finite number, got inf$"):
        real(math.inf, "g", "x")
    with pytest.raises(ValueError, match=r"^g: x is too large for a float"):
        real(10**400, "g", "x")
    with pytest.raises(TypeError, match=r"^g: x must be a real number, got str '1'$"):
        real("1", "g", "x")


def test_class_index_is_a_whole_number_from_zero() -> None:
    # One rule for the losses, nn.accuracy and fit's validation: 1, 1.0 and Fraction(2, 2)
    # alike; a bool or a non-number is a TypeError, any other number a ValueError.
    assert [class_index(v, "f", "y", 3) for v in (0, 2.0, Fraction(2, 2))] == [0, 2, 1]
    assert class_index(10**400, "f", "y") == 10**400
    assert [is_class_index(v) for v in (1, 1.0, 1.5, -1, math.nan, math.inf, True, "1")] == [
        True, True, False, False, False, False, False, False,
    ]
    expected = r"^f: y must be a class index \(a whole number (>= 0|from 0 to 2)\), got "
    with pytest.raises(TypeError, match=expected + "bool True$"):
        class_index(True, "f", "y")
    for bad in (1.5, -1, math.nan, math.inf, 3):
        with pytest.raises(ValueError, match=expected + re.escape(repr(bad))):
            class_index(bad, "f", "y", 3)


def test_as_list_takes_any_iterable_but_text() -> None:
    assert as_list(iter((1, 2)), "f", "xs", "a list") == [1, 2]
    with pytest.raises(TypeError, match=r"^f: xs must be a list, got str$"):
        as_list("12", "f", "xs", "a list")


def test_brief_keeps_messages_short() -> None:
    assert len(brief("x" * 10_000)) < 80
    assert brief(10**10_000).startswith("<int of about 10001 digits")
