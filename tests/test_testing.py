"""The Hypothesis strategies of autograd/testing.py."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import Phase, find, given, settings

import autograd
from autograd import Value
from autograd import topological_order as topo
from autograd.testing import Expression, expressions

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
    "logsumexp": autograd.logsumexp,
    "select": autograd.select,
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
