"""Backpropagation (autograd/backprop.py): backward, grad, higher derivatives, and its errors."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, grad, gradcheck
from autograd import topological_order as topo
from autograd.testing import Expression, expressions, finite_floats


def micrograd_example(a: Value, b: Value) -> Value:
    """The example from karpathy/micrograd's README, operation for operation."""
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_readme_example() -> None:
    # The values micrograd's README prints (checked there against PyTorch), to 4 decimals.
    a, b = Value(-4.0), Value(2.0)
    g = micrograd_example(a, b)
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773
    assert gradcheck(micrograd_example, [-4.0, 2.0])


# --- accumulation and the seed ----------------------------------------------------


def test_backward_twice_adds_exactly_twice() -> None:
    x, y = Value(1.5), Value(-0.75)
    out = x * y + x.sin() * x
    out.backward()
    first = (x.grad, y.grad, out.grad)
    out.backward()
    assert (x.grad, y.grad, out.grad) == tuple(2 * g for g in first)
    x.grad = y.grad = out.grad = 0.0  # what zero_grad does
    out.backward()
    assert (x.grad, y.grad, out.grad) == first


def test_backward_seed() -> None:
    x = Value(3.0)
    out = x * x + x  # d/dx = 2x + 1 = 7
    out.backward(0.5)
    assert out.grad == 0.5
    assert x.grad == 0.5 * 7


def test_backward_accumulates_into_existing_grad() -> None:
    x = Value(2.0)
    x.grad = 10.0
    (x * 3).backward()
    assert x.grad == 13.0


@pytest.mark.parametrize("seed", ["1", None, [1.0]])
def test_backward_rejects_a_non_number_seed(seed: object) -> None:
    with pytest.raises(TypeError, match=type(seed).__name__):
        Value(1.0).exp().backward(seed)  # type: ignore[arg-type]


def test_backward_rejects_a_nan_seed() -> None:
    with pytest.raises(ValueError, match="NaN"):
        Value(1.0).exp().backward(math.nan)


# --- shared nodes --------------------------------------------------------------------


def test_a_plus_a() -> None:
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_x_times_x() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_shared_intermediate_node() -> None:
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert c.data == 12.0
    assert (a.grad, b.grad) == (4.0, 2.0)


def test_diamond() -> None:
    x = Value(0.5)
    h = x.exp()
    out = h.sin() * h.cos()  # sin(2h) / 2, so d/dx = cos(2h) h
    out.backward()
    assert math.isclose(x.grad, math.cos(2 * math.exp(0.5)) * math.exp(0.5), rel_tol=1e-14)


# --- deep graphs --------------------------------------------------------------------


@pytest.mark.slow
def test_a_chain_of_a_million_nodes() -> None:
    # micrograd's recursive topological sort fails past ~1000 nodes; this is iterative.
    n = 10**6
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y + x  # y = (k + 1) x after k steps, depth k
    assert len(topo(y)) == n + 1
    y.backward()
    assert y.data == 0.5 * (n + 1)
    assert x.grad == n + 1  # a sum of ones: exact in float64


# --- grad() ---------------------------------------------------------------------------


def test_grad_returns_floats_and_leaves_grad_untouched() -> None:
    x, y = Value(2.0), Value(-1.0)
    out = x * y + x.exp()
    dx, dy = grad(out, [x, y])
    assert type(dx) is float and type(dy) is float
    assert dx == -1.0 + math.exp(2.0)
    assert dy == 2.0
    assert all(node.grad == 0.0 for node in topo(out))


def test_grad_of_an_unreached_input_is_zero() -> None:
    x, z = Value(2.0), Value(5.0)
    assert grad(x * x, [z, x]) == [0.0, 4.0]
    (dz,) = grad(x * x, [z], create_graph=True)
    assert isinstance(dz, Value) and dz.data == 0.0


def test_grad_of_the_output_itself_is_one() -> None:
    x = Value(2.0)
    assert grad(x, [x]) == [1.0]


def test_grad_rejects_non_values() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="output"):
        grad(1.0, [x])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        grad(x, [x, 2.0])  # type: ignore[list-item]


@pytest.mark.parametrize("x0", [2.0, -2.0])
def test_higher_derivatives_of_x_cubed(x0: float) -> None:
    x = Value(x0)
    y = x**3
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert isinstance(d1, Value) and isinstance(d2, Value)
    assert d1.data == 3 * x0**2
    assert d2.data == 6 * x0
    assert d3 == 6.0
    assert x.grad == 0.0  # grad leaves .grad alone, also with create_graph


def test_second_derivative_of_a_quotient_with_negative_denominator() -> None:
    x = Value(-2.0)
    (d1,) = grad(1 / x, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert (d1.data, d2) == (-1 / 4, 2 / (-2.0) ** 3)


def test_mixed_second_derivative() -> None:
    x, y = Value(1.5), Value(-0.5)
    (dx,) = grad(x * x * y, [x], create_graph=True)  # 2xy
    assert grad(dx, [x, y]) == [2 * -0.5, 2 * 1.5]


# --- random expressions -----------------------------------------------------------


@settings(max_examples=500)
@given(expressions())
def test_random_expressions_pass_gradcheck(expr: Expression) -> None:
    assert gradcheck(expr, expr.inputs)


# Seeds of magnitude >= 1e-100 (or 0): tinier ones make subnormal intermediate products,
# which lose relative precision (abs_tol below still covers the underflow they cause).
SEEDS = st.one_of(st.just(0.0), finite_floats(1e-100, 10), finite_floats(-10, -1e-100))


@settings(max_examples=200)
@given(expressions(), SEEDS)
def test_backward_is_linear_in_the_upstream_gradient(expr: Expression, seed: float) -> None:
    def gradients(upstream: float) -> list[float]:
        xs = [Value(x) for x in expr.inputs]
        expr(*xs).backward(upstream)
        return [x.grad for x in xs]

    unit = gradients(1.0)
    scaled = gradients(seed)
    # Only the rounding differs: each gradient is a sum of path products whose absolute
    # values add up to at most the strategy's slope bound (1e3), and each product carries
    # a relative rounding error of a few ulps, so 1e-9 * |seed| is ample.
    for s, u in zip(scaled, unit):
        assert math.isclose(s, seed * u, rel_tol=1e-12, abs_tol=1e-9 * abs(seed))


# --- undefined and non-finite gradients --------------------------------------------------


def test_grad_ignores_undefined_derivatives_towards_inputs_not_asked_for() -> None:
    # d/de of 0 ** e is 0 (PyTorch's convention); d/db at b = 0 with e = 0.5 is infinite.
    base, exponent = Value(0.0), Value(0.5)
    out = base**exponent
    assert grad(out, [exponent]) == [0.0]
    with pytest.raises(ValueError, match=r"pow: .*base"):
        grad(out, [base])
    with pytest.raises(ValueError, match=r"pow: .*base"):
        out.backward()


def test_an_undefined_derivative_towards_a_constant_is_no_error() -> None:
    x = Value(-3.0)
    out = x**2  # the exponent's derivative is undefined at a negative base
    out.backward()
    assert x.grad == -6.0
    assert out.children[1].grad == 0.0  # left as it was: there is no number to add


def test_an_undefined_gradient_flows_on_through_later_operations() -> None:
    x, w = Value(0.0), Value(2.0)
    out = (x.sqrt() * w).tanh()  # sqrt has no derivative at 0
    assert grad(out, [w]) == [0.0]  # d/dw = sqrt(x) * (1 - tanh²) = 0: defined
    with pytest.raises(ValueError, match=r"^sqrt: the derivative with respect to the operand"):
        grad(out, [x])
    with pytest.raises(ValueError, match=r"^sqrt: .* at \(0\.0\)"):
        out.backward()
    assert (x.grad, w.grad, out.grad) == (0.0, 0.0, 0.0)  # nothing was written


def test_an_overflowing_gradient_raises_before_any_grad_changes() -> None:
    x = Value(1e-10)
    y = x**-30.0 * 1e-300  # about 1; its slope -30 * x ** -31 is beyond the float range
    assert math.isclose(y.data, 1.0, rel_tol=1e-12)
    with pytest.raises(OverflowError, match=r"^backward: the gradient of Value\(data=1e-10"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0
    with pytest.raises(OverflowError, match="overflowed a float"):
        grad(y, [x])


def test_a_nan_gradient_raises() -> None:
    x = Value(1e-10)
    y = x**-30.0 * 0.0  # 0 times an infinite slope
    with pytest.raises(ValueError, match=r"gradient of Value\(data=1e-10.* is NaN"):
        y.backward()
    assert x.grad == 0.0


def test_infinite_data_may_give_infinite_gradients() -> None:
    x = Value(math.inf)
    (x * x).backward()
    assert x.grad == math.inf


def test_an_overflow_is_found_beside_an_undefined_derivative_nobody_needs() -> None:
    x = Value(1e-10)
    zero = Value(0.0) * 1.0  # sqrt of it has an undefined derivative, towards constants only
    y = x**-30.0 * 1e-300 + zero.children[1].sqrt()
    with pytest.raises(OverflowError, match="overflowed a float"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0
    (x**2.0 + zero.children[1].sqrt()).backward()
    assert x.grad == 2e-10


# --- nothing is written unless the whole pass succeeds ------------------------------------


class _Interrupt(BaseException):
    pass


class _Interrupting:
    """A stand-in partial: multiplying by it raises, as an interrupt would."""

    def __rmul__(self, other: object) -> float:
        raise _Interrupt


def test_an_error_or_an_interrupt_leaves_every_grad_as_it_was() -> None:
    x = Value(1e-10)
    overflowing = x**-30.0 * 1e-300 * 3.0
    nodes = topo(overflowing)
    for i, node in enumerate(nodes):
        node.grad = 0.1 * (i + 1)
    earlier = [node.grad for node in nodes]
    with pytest.raises(OverflowError, match="overflowed a float"):
        overflowing.backward()
    assert [node.grad for node in nodes] == earlier
    y = x * 2.0
    y._da = _Interrupting()  # backpropagating through it raises, as an interrupt would
    z = y + x
    with pytest.raises(_Interrupt):
        z.backward()
    assert [node.grad for node in nodes] == earlier and (y.grad, z.grad) == (0.0, 0.0)


# --- constants are ordinary leaves --------------------------------------------------------


def test_the_lecture_tanh_through_exp_graph_gives_each_constant_its_own_gradient() -> None:
    # tanh(n) = (e - 1) / (e + 1) with e = exp(2n): the 1 of e + 1 is its own leaf, with
    # d o / d c = -(e - 1) / (e + 1)² (a shared 1 would show -0.25, the sum of both uses).
    n = Value(0.8814)
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    plus_one = o.children[1].children[0].children[1]
    assert plus_one.is_constant and plus_one.data == 1.0
    expected = -(e.data - 1) / (e.data + 1) ** 2
    assert math.isclose(plus_one.grad, expected, rel_tol=1e-12)
    assert round(plus_one.grad, 4) == -0.1036
    assert math.isclose(n.grad, 1 - math.tanh(0.8814) ** 2, rel_tol=1e-12)


# --- one pass: backward, grad and create_graph agree ---------------------------------------


@settings(max_examples=200)
@given(expressions(max_ops=8))
def test_backward_grad_and_create_graph_agree(expr: Expression) -> None:
    inputs = [Value(x) for x in expr.inputs]
    out = expr(*inputs)
    by_grad = grad(out, inputs)
    out.backward()
    assert [x.grad for x in inputs] == by_grad  # the same pass, the same additions
    as_values: list[Any] = grad(out, inputs, create_graph=True)
    # The partials are recomputed from Values (the same formulas, rounded the same way at
    # each step, but products may associate differently): agreement to a few ulps of the
    # largest gradient, bounded by the strategy's slope limit.
    scale = max([1.0, *(abs(g) for g in by_grad)])
    for g, v in zip(by_grad, as_values):
        assert math.isclose(g, v.data, rel_tol=0, abs_tol=1e-12 * scale)
