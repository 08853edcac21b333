"""Every primitive against the math module, finite differences, and its kinks.

One table row per primitive: how to call it through the public API, the same function
written with the ``math`` module, and a safe input interval.  The tests loop over the
table, and a test checks that the table covers exactly ``autograd.PRIMITIVES``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import PRIMITIVES, Value, enable_grad, grad, gradcheck
from autograd.testing import finite_floats


@dataclass(frozen=True)
class Row:
    apply: Callable[..., Value]  # the primitive, called through the public API
    reference: Callable[..., float]  # the same function from the math module
    domain: tuple[tuple[float, float], ...]  # a safe closed interval per operand
    nary: bool = False  # sum, dot, logsumexp and select take any number of operands


def _dot(*ws_then_xs: Value) -> Value:
    n = len(ws_then_xs) // 2
    return autograd.dot(ws_then_xs[:n], ws_then_xs[n:])


def _dot_reference(*ws_then_xs: float) -> float:
    n = len(ws_then_xs) // 2
    return math.fsum(w * x for w, x in zip(ws_then_xs[:n], ws_then_xs[n:]))


def _select_middle(*xs: Value) -> Value:
    """select with a fixed index (the middle operand): finite differences never move it."""
    return autograd.select(len(xs) // 2, xs)


def _logsumexp_reference(*xs: float) -> float:
    return math.log(math.fsum(math.exp(x) for x in xs))  # unshifted: fine on (-50, 50)


WIDE = (-1e3, 1e3)
# Intervals keep values and slopes moderate, so finite differences are accurate (see below).
TABLE: dict[str, Row] = {
    "add": Row(lambda a, b: a + b, lambda a, b: a + b, (WIDE, WIDE)),
    "mul": Row(lambda a, b: a * b, lambda a, b: a * b, (WIDE, WIDE)),
    "pow": Row(lambda a, b: a**b, math.pow, ((0.1, 10.0), (-3.0, 3.0))),
    "exp": Row(Value.exp, math.exp, ((-50.0, 50.0),)),
    "log": Row(Value.log, math.log, ((1e-3, 1e3),)),
    "sqrt": Row(Value.sqrt, math.sqrt, ((1e-3, 1e3),)),
    "sin": Row(Value.sin, math.sin, ((-10.0, 10.0),)),
    "cos": Row(Value.cos, math.cos, ((-10.0, 10.0),)),
    "tanh": Row(Value.tanh, math.tanh, ((-20.0, 20.0),)),
    "sigmoid": Row(Value.sigmoid, lambda a: 1 / (1 + math.exp(-a)), ((-30.0, 30.0),)),
    "relu": Row(Value.relu, lambda a: max(a, 0.0), ((-10.0, 10.0),)),
    "abs": Row(Value.abs, math.fabs, ((-10.0, 10.0),)),
    "hard_sigmoid": Row(
        Value.hard_sigmoid, lambda a: min(1.0, max(0.0, a / 6 + 0.5)), ((-10.0, 10.0),)
    ),
    "sum": Row(lambda *xs: autograd.sum(xs), lambda *xs: math.fsum(xs), (WIDE,), nary=True),
    # Operands within 10: a gradient (an operand) may be near 0 while |f| is up to 400, and
    # finite differences err by ~1e-16 |f| / eps = 4e-8 there, well inside atol (at 1e2,
    # |f| reached 4e4 and that error 4e-6, past atol).
    "dot": Row(_dot, _dot_reference, ((-10.0, 10.0),), nary=True),
    "logsumexp": Row(
        lambda *xs: autograd.logsumexp(xs), _logsumexp_reference, ((-50.0, 50.0),), nary=True
    ),
    "select": Row(_select_middle, lambda *xs: xs[len(xs) // 2], (WIDE,), nary=True),
}
NAMES = sorted(TABLE)


def draw_operands(data: st.DataObject, name: str) -> list[float]:
    """Operands for primitive ``name`` inside its row's domain (n-ary: 1 to 4 of them)."""
    row = TABLE[name]
    if row.nary:
        n = data.draw(st.integers(1, 4), label="n")
        count = 2 * n if name == "dot" else n
        low, high = row.domain[0]
        return [data.draw(finite_floats(low, high), label=f"x{i}") for i in range(count)]
    return [
        data.draw(finite_floats(lo, hi), label=f"x{i}") for i, (lo, hi) in enumerate(row.domain)
    ]


def away_from_kinks(name: str, xs: list[float], margin: float = 1e-3) -> bool:
    """True if no operand is within ``margin`` of the primitive's kinks."""
    return all(abs(x - k) >= margin for x in xs for k in PRIMITIVES[name].kinks)


def test_table_covers_exactly_the_primitives() -> None:
    assert set(TABLE) == set(PRIMITIVES)


@pytest.mark.parametrize("name", NAMES)
def test_each_primitive_records_one_node_with_its_operands_in_order(name: str) -> None:
    row = TABLE[name]
    xs = [Value(lo / 2 + hi / 2 if math.isfinite(hi) else lo + 1) for lo, hi in row.domain]
    if row.nary:
        xs = [Value(0.5), Value(1.5), Value(2.5), Value(-1.0)]
    out = row.apply(*xs)
    assert out.op == PRIMITIVES[name].display
    children = out.children
    if name == "select":  # its first operand is the index, a constant here
        assert children[0].is_constant and children[0].data == 2.0
        children = children[1:]
    assert children == tuple(xs)
    assert all(a is b for a, b in zip(children, xs))


# Forward vs math: both are float64 libm (or the same formula), so they agree to rounding:
# rel 1e-12 (a few ulps), abs 1e-15 for results near 0 (the hard_sigmoid reference
# a / 6 + 0.5 cancels near a = -3, losing up to ulp(0.5) ~ 1e-16 absolutely).
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=100)
@given(data=st.data())
def test_forward_matches_math(name: str, data: st.DataObject) -> None:
    xs = draw_operands(data, name)
    out = TABLE[name].apply(*[Value(x) for x in xs])
    assert type(out.data) is float
    assert math.isclose(out.data, TABLE[name].reference(*xs), rel_tol=1e-12, abs_tol=1e-15)


# Gradient vs central differences (eps = 1e-6): truncation error eps² |f'''| / 6 and rounding
# error ~1e-16 |f| / eps.  On these intervals |f'''| / |f'| <= 2e6 (log at 1e-3) and
# |f| / |f'| <= 1e3 (sums), so the relative error stays below 1e-6; the step itself is exact
# to ulp(1e3) / eps ~ 1e-7 relative.  Hence rtol 1e-5, and atol 1e-6 where f' ~ 0.
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=100)
@given(data=st.data())
def test_gradient_matches_finite_differences(name: str, data: st.DataObject) -> None:
    xs = draw_operands(data, name)
    assume(away_from_kinks(name, xs))  # FD across a kink is meaningless; kinks tested below
    assert gradcheck(TABLE[name].apply, xs, atol=1e-6, rtol=1e-5)


def first_derivative(f: Callable[..., Value], k: int) -> Callable[..., Value]:
    """x -> d f / d x_k as a differentiable Value (built with create_graph=True)."""

    def df(*xs: Value) -> Value:
        with enable_grad():  # gradcheck evaluates under no_grad for finite differences
            return grad(f(*xs), xs, create_graph=True)[k]  # type: ignore[no-any-return]

    return df


# Second derivatives: gradcheck on x -> d f / d x_k compares backprop through the
# create_graph derivative with central differences of the first derivative.  Its third
# derivative is f'''' and, on these intervals, |f''''| / |f''| <= 6e6 (log at 1e-3), so the
# error bound is as above: rtol 1e-5, atol 1e-6.
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60)
@given(data=st.data())
def test_second_derivative_matches_finite_differences(name: str, data: st.DataObject) -> None:
    xs = draw_operands(data, name)
    assume(away_from_kinks(name, xs))
    for k in range(len(xs)):
        assert gradcheck(first_derivative(TABLE[name].apply, k), xs, atol=1e-6, rtol=1e-5)


# --- kinks: exact subgradients, the PyTorch conventions ------------------------------


def derivative_at(f: Callable[[Value], Value], x: float) -> float:
    """f'(x) by backprop, checking that create_graph=True uses the same subgradient."""
    v = Value(x)
    (d,) = grad(f(v), [v])
    w = Value(x)
    (d_created,) = grad(f(w), [w], create_graph=True)
    assert d_created.data == d  # both paths use the same rule
    return d


@pytest.mark.parametrize("x", [0.0, -0.0])
def test_relu_and_abs_subgradient_at_zero_is_zero(x: float) -> None:
    assert Value(x).relu().data == 0.0
    assert Value(x).abs().data == 0.0
    assert derivative_at(Value.relu, x) == 0.0
    assert derivative_at(Value.abs, x) == 0.0


def test_relu_and_abs_derivatives_next_to_zero() -> None:
    tiny = math.ulp(0.0)  # the smallest positive float
    assert derivative_at(Value.relu, tiny) == 1.0
    assert derivative_at(Value.relu, -tiny) == 0.0
    assert derivative_at(Value.abs, tiny) == 1.0
    assert derivative_at(Value.abs, -tiny) == -1.0


@pytest.mark.parametrize(
    "x",
    [math.nextafter(-3.0, 0.0), -2.5, -1e-300, 0.0, 1.0, math.nextafter(3.0, 0.0)],
)
def test_hard_sigmoid_slope_is_exactly_one_sixth_strictly_inside(x: float) -> None:
    assert derivative_at(Value.hard_sigmoid, x) == 1 / 6


@pytest.mark.parametrize(
    "x", [-3.0, 3.0, math.nextafter(-3.0, -4.0), math.nextafter(3.0, 4.0), -1e300, 7.0, -50.0]
)
def test_hard_sigmoid_slope_is_zero_at_and_outside_the_corners(x: float) -> None:
    assert derivative_at(Value.hard_sigmoid, x) == 0.0


def test_hard_sigmoid_values_at_the_corners() -> None:
    assert Value(-3.0).hard_sigmoid().data == 0.0
    assert Value(3.0).hard_sigmoid().data == 1.0
    assert Value(0.0).hard_sigmoid().data == 0.5


# --- stability ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, x, expected",
    [
        (Value.sigmoid, 1000.0, 1.0),
        (Value.sigmoid, -1000.0, 0.0),
        (Value.sigmoid, 1e308, 1.0),
        (Value.sigmoid, -1e308, 0.0),
        (Value.tanh, 1000.0, 1.0),
        (Value.tanh, -1000.0, -1.0),
    ],
)
def test_sigmoid_and_tanh_saturate_without_overflow(
    method: Callable[[Value], Value], x: float, expected: float
) -> None:
    v = Value(x)
    out = method(v)
    assert out.data == expected
    out.backward()
    assert v.grad == 0.0


# --- n-ary sum and dot -------------------------------------------------------------


def test_sum_is_one_node_with_unit_gradients() -> None:
    xs = [Value(1.5), Value(-2.0), Value(4.25)]
    out = autograd.sum(xs)
    assert out.data == 3.75
    assert out.children == tuple(xs)
    out.backward()
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0]


def test_sum_with_a_repeated_value_and_numbers() -> None:
    x, y = Value(2.0), Value(3.0)
    out = autograd.sum([x, x, 1, y, 0.5])
    assert out.data == 8.5
    out.backward()
    assert (x.grad, y.grad) == (2.0, 1.0)


def test_sum_and_dot_add_left_to_right_like_the_chain_of_plus() -> None:
    # 1e16 + 1 rounds to 1e16 (ties to even), so the chain gives 0 where an exact sum gives 1:
    # sum and dot must give what the chain gives, bit for bit.
    terms = [1e16, 1.0, -1e16]
    assert autograd.sum(terms).data == (1e16 + 1.0) + -1e16 == 0.0
    rng = random.Random(3)
    ws = [rng.uniform(-1e3, 1e3) for _ in range(40)]
    xs = [rng.uniform(-1e-3, 1e3) for _ in range(40)]
    chain = Value(ws[0]) * xs[0]
    for w, x in zip(ws[1:], xs[1:]):
        chain = chain + Value(w) * x
    assert autograd.dot(ws, xs).data == chain.data
    assert autograd.sum(w * x for w, x in zip(ws, xs)).data == chain.data


def test_empty_sum_and_dot_are_zero() -> None:
    assert autograd.sum([]).data == 0.0
    assert autograd.dot([], []).data == 0.0


def test_dot_gradients_swap_the_operands() -> None:
    ws = [Value(1.0), Value(-2.0), Value(0.5)]
    xs = [Value(3.0), Value(4.0), Value(-6.0)]
    out = autograd.dot(ws, xs)
    assert out.data == 3.0 - 8.0 - 3.0
    assert out.children == (*ws, *xs)
    out.backward()
    assert [w.grad for w in ws] == [3.0, 4.0, -6.0]
    assert [x.grad for x in xs] == [1.0, -2.0, 0.5]


def test_dot_of_a_value_with_itself() -> None:
    x = Value(3.0)
    out = autograd.dot([x, 2], [x, x])  # x² + 2x
    assert out.data == 15.0
    out.backward()
    assert x.grad == 2 * 3.0 + 2


def test_dot_length_mismatch() -> None:
    with pytest.raises(ValueError, match="dot"):
        autograd.dot([Value(1.0)], [Value(1.0), Value(2.0)])


# --- pow ---------------------------------------------------------------------------


def test_value_to_a_value_power() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a**b
    assert out.data == 8.0
    out.backward()
    assert a.grad == 3.0 * 2.0**2
    assert math.isclose(b.grad, 8.0 * math.log(2.0), rel_tol=1e-15)


def test_number_to_a_value_power() -> None:
    b = Value(3.0)
    out = 2**b
    assert out.data == 8.0
    assert out.children[0].is_constant
    out.backward()
    assert math.isclose(b.grad, 8.0 * math.log(2.0), rel_tol=1e-15)


@pytest.mark.parametrize("exponent", [2, 3, -1, -2, 0])
def test_negative_base_to_a_constant_integer_power(exponent: int) -> None:
    a = Value(-2.0)
    out = a**exponent
    assert out.data == (-2.0) ** exponent
    out.backward()
    expected = 0.0 if exponent == 0 else exponent * (-2.0) ** (exponent - 1)
    assert a.grad == expected


def test_negative_base_exponent_derivative_raises_for_a_value_exponent() -> None:
    a, b = Value(-2.0), Value(3.0)
    out = a**b
    assert out.data == -8.0  # the forward value exists
    with pytest.raises(ValueError, match=r"pow.*exponent"):
        out.backward()
    with pytest.raises(ValueError, match=r"pow.*exponent"):
        grad(out, [b])
    # Asking only for the base's gradient is fine: d/da a³ = 3a² = 12.
    assert grad(out, [a]) == [12.0]
    c = Value(3.0)
    with pytest.raises(ValueError, match=r"pow.*exponent"):
        ((-2) ** c).backward()


def test_negative_base_second_derivative_with_constant_exponent() -> None:
    # d/dx x³ = 3x², d²/dx² = 6x, d³/dx³ = 6 at x = -2 (the create_graph exponent b - 1
    # is built from constants only, so the exponent's undefined derivative is not needed).
    x = Value(-2.0)
    (d1,) = grad(x**3, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert (d1.data, d2.data, d3) == (12.0, -12.0, 6.0)


@pytest.mark.parametrize("b", [0.5, 1.0, 2.0, 3.5])
def test_zero_base_exponent_derivative_is_zero(b: float) -> None:
    # 0 ** b is 0 for every b > 0, so d/db is 0 (PyTorch's convention).
    e = Value(b)
    out = 0.0**e
    assert out.data == 0.0
    out.backward()
    assert e.grad == 0.0


@pytest.mark.parametrize("b, expected", [(1.0, 1.0), (2.0, 0.0), (3.5, 0.0)])
def test_zero_base_derivatives_for_exponent_at_least_one(b: float, expected: float) -> None:
    # d/da a ** b = b * a ** (b - 1): 1 at a = 0 for b = 1, else 0; d/db is 0 as above.
    a, e = Value(0.0), Value(b)
    out = a**e
    assert out.data == 0.0
    assert grad(out, [a, e]) == [expected, 0.0]


@pytest.mark.parametrize("b", [0.5, 0.25])
def test_zero_base_derivative_is_undefined_below_one(b: float) -> None:
    a = Value(0.0)
    with pytest.raises(ValueError, match=r"pow.*base"):
        (a**b).backward()
    with pytest.raises(ValueError, match="sqrt"):
        Value(0.0).sqrt().backward()


def test_zero_to_the_zero() -> None:
    a, b = Value(0.0), Value(0.0)
    out = a**b
    assert out.data == 1.0
    out.backward()
    assert (a.grad, b.grad) == (0.0, 0.0)  # PyTorch's convention


def test_constant_base_zero_with_value_exponent() -> None:
    b = Value(2.0)
    out = 0**b
    assert out.data == 0.0
    out.backward()
    assert b.grad == 0.0


# --- logsumexp: stable at run time, softmax weights as its partials -------------------------


@pytest.mark.parametrize(
    ("xs", "value", "weights"),
    [
        ([1000.0, -1000.0], 1000.0, [1.0, 0.0]),
        ([-1000.0, 1000.0], 1000.0, [0.0, 1.0]),
        ([-800.0, -800.0], -800.0 + math.log(2.0), [0.5, 0.5]),
        ([0.0, 0.0, 0.0], math.log(3.0), [1 / 3, 1 / 3, 1 / 3]),
        ([1e308, 1e308], 1e308, [0.5, 0.5]),  # the unshifted exp would overflow
        ([1e16, 1e16], 1e16, [0.5, 0.5]),  # weights exp(x - out) would be 1: out rounded
        ([-3.5], -3.5, [1.0]),
    ],
)
def test_logsumexp_is_shifted_when_it_runs(
    xs: list[float], value: float, weights: list[float]
) -> None:
    leaves = [Value(x) for x in xs]
    out = autograd.logsumexp(leaves)
    assert out.data == pytest.approx(value, rel=1e-15)
    out.backward()
    assert [v.grad for v in leaves] == pytest.approx(weights, rel=1e-15)


def test_logsumexp_second_derivatives_are_the_softmax_covariance() -> None:
    # d²/dx_i dx_j = s_i (δ_ij - s_j), s = softmax(x): from the create_graph partials.
    xs = [Value(0.5), Value(-1.0), Value(2.0)]
    s = [math.exp(x.data) / math.fsum(math.exp(v.data) for v in xs) for x in xs]
    first = grad(autograd.logsumexp(xs), xs, create_graph=True)
    for i, d in enumerate(first):
        expected = [s[i] * ((i == j) - s[j]) for j in range(3)]
        assert grad(d, xs) == pytest.approx(expected, rel=1e-13, abs=1e-16)


def test_logsumexp_with_infinite_operands() -> None:
    a, b = Value(math.inf), Value(0.0)
    out = autograd.logsumexp([a, b])
    assert out.data == math.inf
    assert grad(out, [b]) == [0.0]
    with pytest.raises(ValueError, match=r"logsumexp: the derivative .* undefined .* at \(inf\)"):
        out.backward()
    assert autograd.logsumexp([-math.inf, -math.inf]).data == -math.inf


def test_logsumexp_of_numbers_and_of_nothing() -> None:
    assert autograd.logsumexp([0.0, 0]).data == math.log(2.0)
    with pytest.raises(ValueError, match=r"^logsumexp: no values"):
        autograd.logsumexp([])


# --- select: an index as data --------------------------------------------------------------


def test_select_picks_one_value_and_passes_its_gradient() -> None:
    xs = [Value(1.5), Value(-2.0), Value(4.25)]
    for index in (1, 1.0, Value(1.0)):
        out = autograd.select(index, xs)
        assert out.data == -2.0
        assert out.children[1:] == tuple(xs)
    k = Value(2.0)
    out = autograd.select(k, xs)
    out.backward()
    assert [x.grad for x in xs] == [0.0, 0.0, 1.0]
    assert k.grad == 0.0  # the index is data: select is flat in it (as torch.gather)
    (d,) = grad(out, [xs[2]], create_graph=True)
    assert d.data == 1.0 and grad(d, xs) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("index", [3, -1, 1.5, math.inf, -math.inf, 1e300])
def test_select_refuses_an_index_that_names_no_value(index: float) -> None:
    with pytest.raises(ValueError, match=r"^select: the index must be a whole number from 0 to 2"):
        autograd.select(index, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^select: the index must be"):
        autograd.select(Value(index), [Value(1.0), Value(2.0), Value(3.0)])


def test_select_needs_values() -> None:
    with pytest.raises(ValueError, match=r"^select: no values"):
        autograd.select(0, [])
