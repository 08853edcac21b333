"""gradcheck and numeric_gradient: pass on right gradients, report the worst wrong one."""

from __future__ import annotations

import math
from typing import Any

import pytest

from autograd import GradcheckError, Value, gradcheck, no_grad, numeric_gradient


def correct(x: Value, y: Value, z: Value) -> Value:
    return (x * y).tanh() + z.exp() * x - y.sigmoid() / z


def wrong(x: Value, y: Value, z: Value) -> Value:
    # detach() cuts one path of each square: the analytic derivative of x * x.detach() is x,
    # the true (numeric) one 2x.  Errors: |x| for x, |10 y| for y, none for z.
    return x * x.detach() + 10 * y * y.detach() + z.sin()


POINT = [0.5, -2.0, 1.25]


def test_passes_on_a_correct_function() -> None:
    assert gradcheck(correct, POINT) is True
    assert gradcheck(correct, POINT, raise_exception=False) is True


def test_passes_with_tight_tolerances_on_a_smooth_function() -> None:
    # Central differences on a polynomial of degree 2 are exact up to rounding (f''' = 0):
    # |error| <= ~1e-16 |f| / eps with |f| ~ 10, so atol 1e-8 has a wide margin.
    assert gradcheck(lambda x, y: x * x * 3 + x * y, [1.5, -0.5], atol=1e-8, rtol=0)


def test_fails_naming_the_worst_input() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong, POINT)
    e = info.value
    y = POINT[1]
    assert e.index == 1  # y: error 20, worse than x's 0.5
    assert e.point == POINT
    assert e.analytic == 10 * y  # d/dy of 10 y * const, exact in floats
    assert math.isclose(e.numeric, 20 * y, rel_tol=1e-6)
    assert e.abs_error == abs(e.analytic - e.numeric)
    assert e.rel_error == e.abs_error / abs(e.numeric)
    assert e.tolerance == 1e-5 + 1e-3 * abs(e.numeric)  # the documented defaults
    message = str(e)
    assert "input 1" in message and repr(e.analytic) in message
    assert isinstance(e, RuntimeError)


def test_worst_is_judged_relative_to_the_tolerance() -> None:
    # Both inputs fail.  x: analytic 199x vs numeric 200x, absolute error 3, tolerance
    # ~0.6 (ratio 5).  y: analytic y vs numeric 2y, absolute error 0.25, tolerance ~5e-4
    # (ratio ~490).  The worst is y although x's absolute error is larger.
    def f(x: Value, y: Value) -> Value:
        return x * x * 99 + x * x.detach() + y * y.detach()

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [3.0, 0.25])
    assert info.value.index == 1
    assert info.value.abs_error < 3.0
    assert not gradcheck(lambda x: f(x, Value(0.25)), [3.0], raise_exception=False)


def test_worst_can_be_the_first_input() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong, [40.0, -2.0, 1.25])  # x's error 40 beats y's 20
    assert info.value.index == 0
    assert info.value.analytic == 40.0


def test_raise_exception_false_returns_false() -> None:
    assert gradcheck(wrong, POINT, raise_exception=False) is False


def test_loose_tolerances_let_the_wrong_function_pass() -> None:
    # Sanity check that the failure above is about tolerance: each analytic derivative is
    # half the numeric one, so rtol 0.6 accepts them.
    assert gradcheck(wrong, POINT, rtol=0.6)


def test_numeric_gradient() -> None:
    # Central differences: exact for quadratics up to rounding ~1e-16 * |f| / eps.
    got = numeric_gradient(lambda x, y: x * x * y, [3.0, 2.0])
    assert math.isclose(got[0], 12.0, rel_tol=1e-8)
    assert math.isclose(got[1], 9.0, rel_tol=1e-8)
    coarse = numeric_gradient(lambda x: x * x * x, [1.0], eps=0.1)
    assert math.isclose(coarse[0], 3.0 + 0.1**2, rel_tol=1e-12)  # (x+h)³-(x-h)³ / 2h


def test_zero_inputs() -> None:
    assert gradcheck(lambda: Value(1.0), [])


@pytest.mark.parametrize("name", ["eps", "atol", "rtol"])
@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "1e-6", None])
def test_invalid_tolerances(name: str, bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match=name):
        gradcheck(correct, POINT, **{name: bad})  # type: ignore[arg-type]


def test_eps_must_be_positive() -> None:
    with pytest.raises(ValueError, match="eps"):
        gradcheck(correct, POINT, eps=0.0)


def test_f_must_return_a_value() -> None:
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda x: 2.0, [1.0])  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="float"):
        numeric_gradient(lambda x: x.data, [1.0])  # type: ignore[arg-type, return-value]


def test_f_must_be_callable() -> None:
    with pytest.raises(TypeError, match="callable"):
        gradcheck(3, [1.0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad, error", [("1", TypeError), (None, TypeError), (math.nan, ValueError)]
)
def test_invalid_inputs(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        gradcheck(correct, [1.0, bad, 2.0])  # type: ignore[list-item]


def test_an_undefined_derivative_is_an_error_not_a_pass() -> None:
    # sqrt at 0: the analytic derivative is undefined; gradcheck must not report success.
    with pytest.raises(ValueError, match="sqrt"):
        gradcheck(lambda x: x.sqrt(), [0.0])


def test_gradcheck_works_inside_no_grad() -> None:
    # The caller's no_grad must not make a correct function look wrong (analytic 0).
    with no_grad():
        assert gradcheck(lambda x, y: x * y.exp(), [0.5, -1.5])


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: numeric_gradient(lambda x: x * x, [1.0], eps=0), ValueError),
        (lambda: numeric_gradient(lambda x: x * x, [1.0], eps=-1e-6), ValueError),
        (lambda: gradcheck(lambda x: x * x, [1.0], eps=True), TypeError),
        (lambda: gradcheck(lambda x: x * x, [1.0], atol=10**400), ValueError),
        (lambda: gradcheck(lambda x: x * x, [1.0], rtol="0.1"), TypeError),
    ],
)
def test_bad_steps_and_tolerances_are_refused(call: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"(numeric_gradient|gradcheck): (eps|atol|rtol)"):
        call()
