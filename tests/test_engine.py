"""The engine (autograd/engine.py): Values, the graph they record, and the errors of operations."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings

import autograd
from autograd import Value
from autograd import topological_order as topo
from autograd.testing import finite_floats

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


# --- detach --------------------------------------------------------------------------


def test_detach() -> None:
    x = Value(3.0, label="x")
    y = x * 2
    d = y.detach()
    assert d is not y
    assert (d.data, d.label, d.children, d.is_leaf) == (6.0, y.label, (), True)
    out = x * x.detach()  # d/dx sees only the first factor
    out.backward()
    assert x.grad == 3.0


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
        "heavy = [m for m in ('graphviz', 'numpy', 'hypothesis', 'argparse') if m in sys.modules]\n"
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
    # A primitive returns NotImplemented for what is no number (Python's protocol), so
    # Python words the error; the composites word it themselves.
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'Value' and 'str'"):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"^\*: the operand must be a number or a Value, got list"):
        [1] * Value(1.0)  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"^-: the operand must be a number or a Value, got str"):
        Value(1.0) - "a"  # type: ignore[operator]


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
        (lambda: Value(10**400), ValueError, r"^Value: data is too large for a float"),
        (lambda: Value(1.0) + 10**400, ValueError, r"^\+: the operand is too large for a float"),
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


# --- constants ------------------------------------------------------------------------


def test_each_use_of_a_number_makes_its_own_constant_leaf() -> None:
    x, y = Value(2.0), Value(3.0)
    a, b = x * 1.5, y * 1.5
    ca, cb = a.children[1], b.children[1]
    assert ca.is_constant and cb.is_constant and ca is not cb
    ca.data = 100.0  # changing one graph's constant changes no other graph
    assert (Value(1.0) * 1.5).data == 1.5 and cb.data == 1.5
    assert math.copysign(1.0, (x * -0.0).data) == -1.0
    assert math.copysign(1.0, (x * 0.0).data) == 1.0


def test_a_constant_grad_accumulates_like_every_leaf() -> None:
    x = Value(4.0)
    out = x * 2.5
    c = out.children[1]
    out.backward()
    out.backward()
    assert (c.grad, x.grad) == (8.0, 5.0)


# --- comparisons ------------------------------------------------------------------------


def test_comparisons_look_at_the_data_and_record_nothing() -> None:
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a <= a and a >= a
    assert not (a > b) and not (b < a)
    assert a < 1.5 and 1.5 > a and a >= 1 and 0 <= a
    logits = [Value(0.5), Value(3.0), Value(-1.0)]
    assert max(logits) is logits[1] and min(logits) is logits[2]
    assert sorted(logits) == [logits[2], logits[0], logits[1]]
    assert max(range(3), key=lambda i: logits[i]) == 1  # argmax
    assert a.children == () and a.grad == 0.0


def test_equality_stays_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and not (a == 1.0)


@pytest.mark.parametrize("other", ["1", None, 1j])
def test_comparing_with_a_non_number_is_a_type_error(other: object) -> None:
    with pytest.raises(TypeError, match=r"<: the operand must be a number or a Value"):
        assert Value(1.0) < other  # type: ignore[operator]
