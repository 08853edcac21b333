"""autograd.checks: the one place where arguments are checked to be numbers."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from autograd.checks import brief, integer, real


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


def test_brief_keeps_messages_short() -> None:
    assert len(brief("x" * 10_000)) < 80
    assert brief(10**10_000).startswith("<int of about 10001 digits")
