"""PyTorch (float64) as an oracle: values, gradients and second derivatives agree.

The ``torch`` fixture (conftest.py) skips these tests locally without torch (``make oracle``
installs it); under CI a missing torch is an error, so the oracle never silently stops.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import PRIMITIVES, Value, grad, topological_order
from autograd.testing import Expression, expressions, finite_floats


def v_dot(*ws_then_xs: Value) -> Value:
    n = len(ws_then_xs) // 2
    return autograd.dot(ws_then_xs[:n], ws_then_xs[n:])


def torch_ops(torch: ModuleType) -> dict[str, Callable[..., Any]]:
    """torch's counterpart of each primitive, by name (operands may be plain floats)."""

    def stack(xs: Sequence[Any]) -> Any:
        return torch.stack([torch.as_tensor(x, dtype=torch.float64) for x in xs])

    def dot(*ws_then_xs: Any) -> Any:
        n = len(ws_then_xs) // 2
        return torch.dot(stack(ws_then_xs[:n]), stack(ws_then_xs[n:]))

    return {
        "add": torch.add,
        "mul": torch.mul,
        "pow": torch.pow,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "sin": torch.sin,
        "cos": torch.cos,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "abs": torch.abs,
        "hard_sigmoid": lambda t: torch.clamp(t + 3, 0, 6) / 6,  # see HARD_SIGMOID_GRAD_REL
        "sum": lambda *xs: stack(xs).sum(),
        "dot": dot,
        "logsumexp": lambda *xs: torch.logsumexp(stack(xs), 0),
        "select": lambda index, *xs: stack(xs)[int(index)],  # no gradient to the index
    }


# torch's float64 hardsigmoid backward multiplies by 1/6 rounded to float32
# (0.1666666716..., relative error 3e-8), so its gradient is compared at rel 1e-7; the
# expressions use clamp(t + 3, 0, 6) / 6 instead, whose gradient is 1/6 in float64.
HARD_SIGMOID_GRAD_REL = 1e-7


@dataclass(frozen=True)
class Case:
    ours: Callable[..., Value]
    theirs: Callable[[ModuleType], Callable[..., Any]]  # torch's function, given torch
    operands: Callable[[st.DataObject], list[float]]  # draws a safe point
    grad_rel: float = 1e-10
    # torch's function for second derivatives, where ``theirs`` has no double backward
    theirs_twice: Callable[[ModuleType], Callable[..., Any]] | None = None


def op(name: str) -> Callable[[ModuleType], Callable[..., Any]]:
    return lambda torch: torch_ops(torch)[name]


def same(f: Callable[..., Any]) -> Callable[[ModuleType], Callable[..., Any]]:
    return lambda torch: f


def fixed(*strategies: st.SearchStrategy[float]) -> Callable[[st.DataObject], list[float]]:
    return lambda data: [data.draw(s, label=f"x{i}") for i, s in enumerate(strategies)]


def nary(
    strategy: st.SearchStrategy[float], paired: bool
) -> Callable[[st.DataObject], list[float]]:
    def draw(data: st.DataObject) -> list[float]:
        n = data.draw(st.integers(1, 4), label="n")
        return [data.draw(strategy, label=f"x{i}") for i in range(2 * n if paired else n)]

    return draw


def indexed(strategy: st.SearchStrategy[float]) -> Callable[[st.DataObject], list[float]]:
    """A whole-number index, then 1 to 4 values it may name."""

    def draw(data: st.DataObject) -> list[float]:
        n = data.draw(st.integers(1, 4), label="n")
        index = float(data.draw(st.integers(0, n - 1), label="index"))
        return [index, *(data.draw(strategy, label=f"x{i}") for i in range(n))]

    return draw


WIDE = finite_floats(-1e3, 1e3)
SMALL = finite_floats(-10, 10)
POSITIVE = finite_floats(1e-3, 1e3)
NONZERO = st.one_of(finite_floats(-10, -0.1), finite_floats(0.1, 10))


def away_from(*kinks: float) -> st.SearchStrategy[float]:
    """SMALL, at least 1e-3 from each kink: torch and we agree there; kinks are tested
    with exact subgradients in test_primitives.py."""
    return SMALL.filter(lambda x: all(abs(x - k) >= 1e-3 for k in kinks))


PRIMITIVE_CASES: dict[str, Case] = {
    "add": Case(lambda a, b: a + b, op("add"), fixed(WIDE, WIDE)),
    "mul": Case(lambda a, b: a * b, op("mul"), fixed(WIDE, WIDE)),
    "pow": Case(lambda a, b: a**b, op("pow"), fixed(finite_floats(0.1, 10), finite_floats(-3, 3))),
    "exp": Case(Value.exp, op("exp"), fixed(finite_floats(-50, 50))),
    "log": Case(Value.log, op("log"), fixed(POSITIVE)),
    "sqrt": Case(Value.sqrt, op("sqrt"), fixed(POSITIVE)),
    "sin": Case(Value.sin, op("sin"), fixed(SMALL)),
    "cos": Case(Value.cos, op("cos"), fixed(SMALL)),
    "tanh": Case(Value.tanh, op("tanh"), fixed(finite_floats(-20, 20))),
    "sigmoid": Case(Value.sigmoid, op("sigmoid"), fixed(finite_floats(-40, 40))),
    "relu": Case(Value.relu, op("relu"), fixed(away_from(0.0))),
    "abs": Case(Value.abs, op("abs"), fixed(away_from(0.0))),
    "hard_sigmoid": Case(
        Value.hard_sigmoid,
        lambda torch: torch.nn.functional.hardsigmoid,
        fixed(away_from(-3.0, 3.0)),
        grad_rel=HARD_SIGMOID_GRAD_REL,
        theirs_twice=op("hard_sigmoid"),  # torch: hardsigmoid_backward has none
    ),
    "sum": Case(lambda *xs: autograd.sum(xs), op("sum"), nary(WIDE, paired=False)),
    "dot": Case(v_dot, op("dot"), nary(finite_floats(-1e2, 1e2), paired=True)),
    "logsumexp": Case(
        lambda *xs: autograd.logsumexp(xs), op("logsumexp"), nary(WIDE, paired=False)
    ),
    "select": Case(lambda k, *xs: autograd.select(k, xs), op("select"), indexed(WIDE)),
}

# The composites: the same Python expression runs on Values and on tensors.
COMPOSITE_CASES: dict[str, Case] = {
    name: Case(f, same(f), draw)
    for name, f, draw in [
        ("neg", lambda a: -a, fixed(WIDE)),
        ("sub", lambda a, b: a - b, fixed(WIDE, WIDE)),
        ("radd", lambda a: 2.5 + a, fixed(WIDE)),
        ("rsub", lambda a: 2.5 - a, fixed(WIDE)),
        ("rmul", lambda a: -1.5 * a, fixed(WIDE)),
        ("truediv", lambda a, b: a / b, fixed(SMALL, NONZERO)),
        ("rtruediv", lambda a: 2.5 / a, fixed(NONZERO)),
        ("rpow", lambda a: 2.5**a, fixed(SMALL)),
        ("pow_int_negative_base", lambda a: a**3, fixed(SMALL)),
        ("pow_minus_two", lambda a: a**-2, fixed(NONZERO)),
        ("pow_half", lambda a: a**0.5, fixed(POSITIVE)),
        ("builtin_abs", lambda a: abs(a), fixed(away_from(0.0))),
    ]
}
CASES = {**PRIMITIVE_CASES, **COMPOSITE_CASES}


def test_every_primitive_has_a_torch_case(torch: ModuleType) -> None:
    assert set(PRIMITIVE_CASES) == set(PRIMITIVES) == set(torch_ops(torch))


def leaves(torch: ModuleType, point: list[float]) -> list[Any]:
    return [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]


def ours_and_theirs(
    torch: ModuleType, case: Case, point: list[float]
) -> tuple[float, list[float], float, list[float]]:
    """Forward value and gradient from autograd and from torch."""
    xs = [Value(x) for x in point]
    out = case.ours(*xs)
    ts = leaves(torch, point)
    t_out = case.theirs(torch)(*ts)
    t_grads = torch.autograd.grad(t_out, ts, allow_unused=True)
    return (
        out.data,
        grad(out, xs),
        t_out.item(),
        [0.0 if g is None else g.item() for g in t_grads],
    )


# Forward: both float64; torch's kernels may differ from libm by an ulp or two, and
# composite formulas round differently: rel 1e-12 (a few thousand ulps of slack), abs 1e-15
# for results near 0.  Gradients: the same rules written in a different order, times at
# most a few ops: rel 1e-10, abs 1e-12.
def assert_close(ours: float, theirs: float, rel: float, abs_: float) -> None:
    assert math.isclose(ours, theirs, rel_tol=rel, abs_tol=abs_), (ours, theirs)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=40)
@given(data=st.data())
def test_value_and_gradient_match_torch(
    torch: ModuleType, name: str, data: st.DataObject
) -> None:
    point = CASES[name].operands(data)
    value, grads, t_value, t_grads = ours_and_theirs(torch, CASES[name], point)
    assert_close(value, t_value, 1e-12, 1e-15)
    for g, t_g in zip(grads, t_grads):
        assert_close(g, t_g, CASES[name].grad_rel, 1e-12)


def hessian_ours(f: Callable[..., Value], point: list[float]) -> list[list[float]]:
    xs = [Value(x) for x in point]
    first = grad(f(*xs), xs, create_graph=True)
    return [grad(d, xs) for d in first]


def hessian_torch(
    torch: ModuleType, f: Callable[..., Any], point: list[float]
) -> list[list[float]]:
    ts = leaves(torch, point)
    first = torch.autograd.grad(f(*ts), ts, create_graph=True, allow_unused=True)
    rows = []
    for d in first:
        if d is None or not d.requires_grad:  # a constant first derivative
            rows.append([0.0] * len(ts))
            continue
        second = torch.autograd.grad(d, ts, retain_graph=True, allow_unused=True)
        rows.append([0.0 if s is None else s.item() for s in second])
    return rows


# Second derivatives: one more layer of the same rules, rel 1e-9, abs 1e-10.
@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=25)
@given(data=st.data())
def test_second_derivatives_match_torch(
    torch: ModuleType, name: str, data: st.DataObject
) -> None:
    point = CASES[name].operands(data)
    if name == "pow":
        # At b = 0 torch's d²(a ** b)/da db is 0 (its where(b == 0, 0, ...) has no b
        # dependence); the true value, and ours, is 1/a (see test_primitives.py).
        assume(point[1] != 0)
    ours = hessian_ours(CASES[name].ours, point)
    theirs = hessian_torch(torch, (CASES[name].theirs_twice or CASES[name].theirs)(torch), point)
    for row, t_row in zip(ours, theirs):
        for h, t_h in zip(row, t_row):
            assert_close(h, t_h, 1e-9, 1e-10)


# --- random expressions -----------------------------------------------------------


def torch_expression(torch: ModuleType, expr: Expression) -> Callable[..., Any]:
    ops = torch_ops(torch)
    return lambda *ts: expr.evaluate(ts, ops)


# Expressions chain up to ~12 ops with values <= 1e3 and slopes (sums of |path products|)
# <= 1e3 (the strategy's bounds); each op rounds at ~1e-16 relative, so differences stay
# near 1e-12 absolute: rel 1e-9 and abs 1e-9 leave a wide margin.
@settings(max_examples=400)
@given(expressions())
def test_expression_gradients_match_torch(torch: ModuleType, expr: Expression) -> None:
    case = Case(expr, same(torch_expression(torch, expr)), lambda data: expr.inputs)
    value, grads, t_value, t_grads = ours_and_theirs(torch, case, expr.inputs)
    assert_close(value, t_value, 1e-9, 1e-9)
    for g, t_g in zip(grads, t_grads):
        assert_close(g, t_g, 1e-9, 1e-9)


def has_pow_with_zero_variable_exponent(out: Value) -> bool:
    pow_op = PRIMITIVES["pow"].display
    return any(
        node.op == pow_op and node.children[1].data == 0 and not node.children[1].is_constant
        for node in topological_order(out)
    )


# Second derivatives of expressions: one more layer of rules on the same bounded values;
# curvature adds a factor of at most ~1e2 over the first-derivative bounds: rel/abs 1e-8.
@settings(max_examples=150)
@given(expressions(max_ops=5))
def test_expression_second_derivatives_match_torch(torch: ModuleType, expr: Expression) -> None:
    assume(not has_pow_with_zero_variable_exponent(expr(*[Value(x) for x in expr.inputs])))
    ours = hessian_ours(expr, expr.inputs)
    theirs = hessian_torch(torch, torch_expression(torch, expr), expr.inputs)
    for row, t_row in zip(ours, theirs):
        for h, t_h in zip(row, t_row):
            assert_close(h, t_h, 1e-8, 1e-8)
