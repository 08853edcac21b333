"""The engine: graph recording, backpropagation, grad, grad modes, and errors."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from collections import Counter
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, enable_grad, grad, gradcheck, is_grad_enabled, no_grad
from autograd import topological_order as topo
from autograd.engine import _backpropagate
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


# --- topological order and children ------------------------------------------------


def build_graph() -> tuple[list[Value], Value]:
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(-3.0, "c")
    d = a * b
    e = d + c
    f = (e * d).tanh() + a
    return [a, b, c], f


def test_topological_order_children_first_root_last() -> None:
    _, root = build_graph()
    order = topo(root)
    assert order[-1] is root
    assert len(order) == len(set(order))  # each node once
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for child in node.children:
            assert position[child] < position[node]


def test_topological_order_is_the_same_on_rebuild() -> None:
    def signature() -> list[tuple[str, str, float]]:
        return [(v.op, v.label, v.data) for v in topo(build_graph()[1])]

    assert signature() == signature()


def test_topological_order_follows_argument_order() -> None:
    a, b = Value(1.0), Value(2.0)
    ab, ba = a * b, b * a
    assert topo(ab) == [a, b, ab]
    assert topo(ba) == [b, a, ba]
    # Depth first, first argument first: a, b, (a + b), then (b + a)'s fresh node.
    s, t = a + b, b + a
    root = s * t
    assert topo(root) == [a, b, s, t, root]


def test_topological_order_of_a_leaf_and_bad_input() -> None:
    a = Value(1.0)
    assert topo(a) == [a]
    with pytest.raises(TypeError, match="float"):
        topo(1.0)  # type: ignore[arg-type]


def test_children_are_a_tuple_in_argument_order() -> None:
    a, b = Value(1.0), Value(2.0)
    for out, expected in [(a * b, (a, b)), (b * a, (b, a)), (a + a, (a, a)), (a**b, (a, b))]:
        assert type(out.children) is tuple
        assert len(out.children) == len(expected)
        assert all(x is y for x, y in zip(out.children, expected))
    out = a + 2
    assert out.children[0] is a
    assert out.children[1].is_constant and out.children[1].data == 2.0
    assert a.children == ()


# --- grad modes ----------------------------------------------------------------------


def test_no_grad_records_nothing() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 3).exp()
    assert is_grad_enabled()
    assert y.data == math.exp(6.0)
    assert y.children == ()
    assert y.op == ""
    assert y.is_leaf
    y.backward()
    assert x.grad == 0.0


def test_no_grad_as_a_decorator() -> None:
    @no_grad()
    def f(x: Value) -> Value:
        assert not is_grad_enabled()
        return x * x

    out = f(Value(3.0))
    assert out.data == 9.0
    assert out.children == ()
    assert is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_inside_no_grad_and_nesting() -> None:
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = x * x
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert y.children == (x, x)


def test_no_grad_is_restored_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()


def test_no_grad_is_per_thread() -> None:
    inside, built = threading.Event(), threading.Event()
    results: dict[str, Value] = {}

    def worker() -> None:
        with no_grad():
            inside.set()
            assert built.wait(timeout=30)
            results["worker"] = Value(2.0) * 3

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(timeout=30)
    # The worker is inside no_grad right now; this thread still records.
    assert is_grad_enabled()
    results["main"] = Value(2.0) * 3
    built.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(results["main"].children) == 2
    assert results["worker"].children == ()


# --- detach and grad() ---------------------------------------------------------------


def test_detach() -> None:
    x = Value(3.0, label="x")
    y = x * 2
    d = y.detach()
    assert d is not y
    assert (d.data, d.label, d.children, d.is_leaf) == (6.0, y.label, (), True)
    out = x * x.detach()  # d/dx sees only the first factor
    out.backward()
    assert x.grad == 3.0


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


# --- the expressions() strategy itself ------------------------------------------------

# find() without shrinking: any example with the property will do.
FIND = settings(max_examples=2000, database=None, phases=[Phase.generate])


@pytest.mark.parametrize("name", sorted(autograd.PRIMITIVES))
def test_expressions_use_every_primitive(name: str) -> None:
    expr = find(expressions(), lambda e: name in e.ops, settings=FIND)
    assert name in expr.ops and expr.ops <= set(autograd.PRIMITIVES)


def test_expressions_share_subexpressions() -> None:
    def uses(e: Expression) -> Counter[Value]:
        out = e(*[Value(x) for x in e.inputs])
        return Counter(c for n in topo(out) for c in n.children if not c.is_leaf)

    # An operation's result used by two later nodes, and one used twice by the same node.
    find(expressions(), lambda e: max(uses(e).values(), default=0) >= 2, settings=FIND)

    def twice_in_one_node(e: Expression) -> bool:
        out = e(*[Value(x) for x in e.inputs])
        return any(
            len(n.children) == 2 and n.children[0] is n.children[1] and not n.children[0].is_leaf
            for n in topo(out)
        )

    find(expressions(), twice_in_one_node, settings=FIND)


def test_expressions_minimal_example_and_repr() -> None:
    expr = find(expressions(ops=["tanh"]), lambda e: True, settings=settings(database=None))
    assert repr(expr) == "tanh(x0)"
    assert expr.ops == {"tanh"}
    assert expr.n_inputs == len(expr.inputs) == 1


# The formula is Python: evaluated with these names it rebuilds the same value.
FORMULA_NAMES = {
    **{name: getattr(Value, name) for name, p in autograd.PRIMITIVES.items() if p.arity == 1},
    "sum": lambda *xs: autograd.sum(xs),
    "dot": autograd.dot,
}


@settings(max_examples=100)
@given(expressions())
def test_expression_repr_is_the_formula(expr: Expression) -> None:
    xs = [Value(x) for x in expr.inputs]
    names = {**FORMULA_NAMES, **{f"x{i}": x for i, x in enumerate(xs)}}
    rebuilt = eval(repr(expr), names)  # our own formula
    assert rebuilt.data == expr(*xs).data
    assert {n.op for n in topo(rebuilt) if n.op} == {n.op for n in topo(expr(*xs)) if n.op}


@settings(max_examples=100)
@given(expressions(ops=["log", "sqrt", "pow", "exp", "relu", "abs", "hard_sigmoid"]))
def test_expressions_stay_inside_safe_domains(expr: Expression) -> None:
    # Every operand keeps >= 1e-2 from its kinks and domain edges; values stay <= 1e3.
    out = expr(*[Value(x) for x in expr.inputs])
    for node in topo(out):
        assert abs(node.data) <= 1e3 or node.is_leaf
        prim = next((p for p in autograd.PRIMITIVES.values() if p.display == node.op), None)
        if prim is None:
            continue
        for child in node.children:
            assert all(abs(child.data - k) >= 1e-2 for k in prim.kinks)
            if prim.name in ("log", "sqrt") or (prim.name == "pow" and child is node.children[0]):
                assert child.data >= 1e-2


def test_expression_checks_its_arguments() -> None:
    expr = find(expressions(max_inputs=1), lambda e: True, settings=FIND)
    with pytest.raises(TypeError, match="1 inputs"):
        expr(Value(1.0), Value(2.0))
    with pytest.raises(ValueError, match="nope"):
        expressions(ops=["add", "nope"])
    with pytest.raises(ValueError, match="max_ops"):
        expressions(max_ops=0)


# --- identity ----------------------------------------------------------------------


def test_values_are_hashable_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a is not b
    assert a != b
    assert a == a
    assert len({a, b, a}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    assert hash(a) == hash(a)


# --- import weight ----------------------------------------------------------------


def test_import_autograd_is_light() -> None:
    code = (
        "import sys, autograd\n"
        "heavy = [m for m in ('graphviz', 'numpy', 'hypothesis') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
        "import autograd.testing\n"
        "print('hypothesis' in sys.modules)\n"
        "autograd.testing.expressions()\n"
        "print('hypothesis' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    heavy, testing_imported, strategy_made = result.stdout.splitlines()
    assert heavy == ""
    assert testing_imported == "False"  # autograd.testing imports hypothesis lazily too
    assert strategy_made == "True"  # so the checks above can fail


# --- errors: every one names the operation and the operand -------------------------


@pytest.mark.parametrize(
    "data, type_name", [("3", "str"), (None, "NoneType"), (1j, "complex"), ([1], "list")]
)
def test_value_rejects_non_real_numbers(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)  # type: ignore[arg-type]


def test_value_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        Value(float("nan"))


def test_value_accepts_ints_bools_and_numpy_scalars() -> None:
    np = pytest.importorskip("numpy")
    for number, expected in [(3, 3.0), (True, 1.0), (np.float64(2.5), 2.5), (np.int64(-4), -4.0)]:
        v = Value(number)
        assert type(v.data) is float and v.data == expected


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("x", [0.0, -1.5])
def test_log_of_a_non_positive_number(x: float) -> None:
    with pytest.raises(ValueError, match=rf"log.*{x!r}"):
        Value(x).log()


def test_sqrt_of_a_negative_number() -> None:
    with pytest.raises(ValueError, match=r"sqrt.*-2\.0"):
        Value(-2.0).sqrt()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Value(-8.0) ** (1 / 3),
        lambda: Value(-8.0) ** Value(1 / 3),
        lambda: (-8.0) ** Value(1 / 3),
    ],
)
def test_negative_base_to_a_non_integer_power(make: object) -> None:
    with pytest.raises(ValueError, match=r"pow.*-8\.0.*0\.333"):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Value(1.0) / 0,
        lambda: Value(1.0) / 0.0,
        lambda: Value(1.0) / Value(0.0),
        lambda: 1 / Value(0.0),
        lambda: Value(0.0) ** -1,
        lambda: 0 ** Value(-2.0),
        lambda: Value(0.0) ** Value(-0.5),
    ],
)
def test_division_by_zero(make: object) -> None:
    with pytest.raises(ZeroDivisionError):
        make()  # type: ignore[operator]


def test_exp_overflow() -> None:
    with pytest.raises(OverflowError, match=r"exp.*1000\.0"):
        Value(1000.0).exp()


def test_pow_overflow() -> None:
    with pytest.raises(OverflowError, match="pow"):
        Value(10.0) ** 400


@pytest.mark.parametrize(
    "make",
    [
        lambda v: v + "a",
        lambda v: "a" + v,
        lambda v: v - "a",
        lambda v: "a" - v,
        lambda v: v * "a",
        lambda v: "a" * v,
        lambda v: v / "a",
        lambda v: "a" / v,
        lambda v: v ** "a",
        lambda v: "a" ** v,
        lambda v: v + [1],  # noqa: RUF005 - the TypeError is the point
        lambda v: [1] + v,  # noqa: RUF005
        lambda v: v * [1],
        lambda v: [1] * v,
        lambda v: v + None,
        lambda v: v * 1j,
        lambda v: autograd.sum([v, "a"]),
        lambda v: autograd.dot([v], ["a"]),
    ],
)
def test_unsupported_operands(make: object) -> None:
    with pytest.raises(TypeError):
        make(Value(2.0))  # type: ignore[operator]


def test_unsupported_operand_error_names_the_operator_and_type() -> None:
    with pytest.raises(TypeError, match=r"\+.*str"):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"\*.*list"):
        Value(1.0) * [1]  # type: ignore[operator]


@settings(max_examples=200)
@given(finite_floats(-10, 10), finite_floats(-4, 4))
def test_never_a_complex_number(base: float, exponent: float) -> None:
    for make in (
        lambda: Value(base) ** exponent,
        lambda: Value(base) ** Value(exponent),
        lambda: base ** Value(exponent),
    ):
        try:
            out = make()
        except (ValueError, ZeroDivisionError):
            assert (base < 0 and not exponent.is_integer()) or (base == 0 and exponent < 0)
        except OverflowError:
            assert exponent * math.log(abs(base)) > 709  # |result| > 1.8e308 = e ** 709.78
        else:
            assert type(out.data) is float


def test_dot_length_mismatch() -> None:
    with pytest.raises(ValueError, match=r"dot.*2.*3"):
        autograd.dot([1.0, 2.0], [Value(1.0), Value(2.0), Value(3.0)])


def test_grad_ignores_undefined_derivatives_towards_inputs_not_asked_for() -> None:
    # d/de of 0 ** e is 0 (PyTorch's convention); d/db at b = 0 with e = 0.5 is infinite.
    base, exponent = Value(0.0), Value(0.5)
    out = base**exponent
    assert grad(out, [exponent]) == [0.0]
    with pytest.raises(ValueError, match=r"pow: .*base"):
        grad(out, [base])
    with pytest.raises(ValueError, match=r"pow: .*base"):
        out.backward()


def test_float_and_truth_follow_the_data() -> None:
    assert float(Value(2.5)) == 2.5
    assert bool(Value(2.0)) and bool(Value(-1e-300))
    assert not bool(Value(0.0)) and not bool(Value(-0.0))


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Value(1e308) + Value(1e308), OverflowError, r"add: the result overflows"),
        (lambda: Value(1e308) * 10, OverflowError, r"mul: the result overflows"),
        (lambda: autograd.dot([1e308], [Value(10.0)]), OverflowError, r"dot: .*overflows"),
        (lambda: Value(math.inf) - Value(math.inf), ValueError, r"add: the result is NaN"),
        (lambda: Value(math.inf) * 0, ValueError, r"mul: the result is NaN"),
        (lambda: Value(10**400), ValueError, r"Value: the number is too large"),
        (lambda: Value(1.0) + 10**400, ValueError, r"\+: the number is too large"),
    ],
)
def test_non_finite_results_raise_instead_of_spreading(
    build: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build()


def test_infinite_data_may_flow_through() -> None:
    # Value(inf) is valid data; only new infinities (overflow) and NaN are refused.
    assert (Value(math.inf) + 1).data == math.inf
    assert (Value(-math.inf) * 2).data == -math.inf


# --- shared constants and non-finite gradients ------------------------------------------


def test_the_same_number_makes_the_same_constant_leaf() -> None:
    x, y = Value(2.0), Value(3.0)
    a, b = x * 1.5, y * 1.5
    assert a.children[1] is b.children[1] and a.children[1].is_constant
    # Zero is never shared: 0.0 == -0.0, but the two signs must stay apart.
    assert math.copysign(1.0, (x * -0.0).data) == -1.0
    assert math.copysign(1.0, (x * 0.0).data) == 1.0
    # Sharing changes no gradient: each use of the constant is its own edge.
    z = x * 1.5 + y * 1.5
    z.backward()
    assert (x.grad, y.grad) == (1.5, 1.5)


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


def test_an_overflowing_gradient_also_raises_on_the_careful_path() -> None:
    # sqrt of a constant 0 has an undefined partial that nobody needs; it sends backward
    # down the careful path (which checks who needs it), and there the overflow in x's
    # gradient must still be reported, before any .grad changes.
    x = Value(1e-10)
    zero = (x * 0.0).children[1]
    assert zero.is_constant and zero.data == 0.0
    y = x**-30.0 * 1e-300 + zero.sqrt()
    with pytest.raises(OverflowError, match="overflowed a float"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0
    (x**2.0 + zero.sqrt()).backward()  # the careful path, with nothing wrong
    assert x.grad == 2e-10


def test_every_way_out_of_backward_leaves_earlier_gradients_exactly() -> None:
    # backward and grad use .grad itself as their scratch: an error, grad(), the careful
    # path and an interrupt must each leave the gradients from before, bit for bit.
    x = Value(1e-10)
    zero = (x * 0.0).children[1]
    overflowing = x**-30.0 * 1e-300 * 3.0
    careful = x**2.0 + zero.sqrt()
    nodes = [n for n in topo(overflowing) + topo(careful) if not n.is_constant]

    def set_earlier() -> list[float]:
        for i, node in enumerate(nodes):
            node.grad = 0.1 * (i + 1)
        return [node.grad for node in nodes]

    earlier = set_earlier()
    with pytest.raises(OverflowError, match="overflowed a float"):
        overflowing.backward()
    assert [node.grad for node in nodes] == earlier
    assert grad(careful, [x]) == [2e-10] and grad(x * 3.0, [x]) == [3.0]
    with pytest.raises(OverflowError, match="overflowed a float"):
        grad(overflowing, [x])
    assert [node.grad for node in nodes] == earlier
    careful.backward()  # the careful path adds onto the earlier gradient
    assert x.grad == earlier[0] + 2e-10

    # Interrupted while propagating, and while walking the graph (after marking some nodes).
    earlier = set_earlier()
    y = x * 2.0
    y._da = _Interrupting()  # its product raises, as an interrupt would
    with pytest.raises(_Interrupt):
        y.backward()
    assert [node.grad for node in nodes] == earlier and y.grad == 0.0
    w = Value(4.0)
    w.grad = 0.75
    inner = x * 3.0
    z = inner + w
    inner.grad, z.grad = 1.25, 2.5
    inner._b = _Interrupting()  # met after z, w and inner are marked
    with pytest.raises(_Interrupt):
        z.backward()
    assert [node.grad for node in nodes] == earlier
    assert (w.grad, inner.grad, z.grad) == (0.75, 1.25, 2.5)


class _Interrupting:
    """A stand-in operand or partial: touching it raises, as an interrupt would."""

    @property
    def grad(self) -> float:
        raise _Interrupt

    def __rmul__(self, other: object) -> float:
        raise _Interrupt


class _Interrupt(BaseException):
    pass


@given(expressions(max_ops=8))
def test_the_fast_backward_agrees_with_the_careful_one(expr: Expression) -> None:
    # backward's fast path (partials stored in the nodes, sums kept in the nodes) and its
    # careful path (a dict of gradients, used when an undefined partial is met) are two
    # implementations of one thing.  They add each node's contributions in different
    # orders, so they agree to rounding: 1e-12 of the largest gradient (a few ulps of the
    # terms; gradients here are bounded by the strategy's slope limit).
    inputs = [Value(x) for x in expr.inputs]
    out = expr(*inputs)
    fast = grad(out, inputs)
    careful = _backpropagate(out, 1.0, False, inputs)
    scale = max([1.0, *(abs(g) for g in fast)])
    for x, g in zip(inputs, fast):
        assert math.isclose(g, float(careful.get(x, 0.0)), rel_tol=0, abs_tol=1e-12 * scale)


def test_a_shared_constant_shows_the_gradient_of_the_last_backward() -> None:
    # The -1 of every subtraction is one shared leaf: its grad must not pile up across
    # unrelated graphs (a drawing after backward shows it), so it is set, not added.
    a, b = Value(5.0), Value(2.0)
    (a - b).backward()
    minus_one = (a - b).children[1].children[1]
    assert minus_one.is_constant and minus_one.data == -1.0
    assert minus_one.grad == 2.0  # d(a + b * c)/dc = b
    c, d = Value(1.0), Value(7.0)
    (c - d).backward()
    assert minus_one.grad == 7.0
    (c - d).backward()
    assert minus_one.grad == 7.0 and d.grad == -2.0  # inputs still accumulate
