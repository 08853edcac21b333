"""Graph drawing: the DOT text draw() builds, rendering with Graphviz, save(), Jupyter's hook.

Tests that run Graphviz's ``dot`` take the ``graphviz_dot`` fixture (conftest.py): without
``dot`` they skip, saying so, except under CI, where they fail.  Time limits are tested with a
fake ``dot`` on the PATH, never by timing the real one.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import graphviz
import pytest

import autograd
from autograd import Value, dot, render, topological_order
from autograd.render import (
    DEFAULT_TIMEOUT,
    INSTALL_GRAPHVIZ,
    GraphvizNotFound,
    RenderTimeout,
    draw,
    save,
    svg_or_none,
)

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parent.parent


# --- reading the DOT text -------------------------------------------------------------------

NODE = re.compile(r"^\t+(\w+) \[(.*)\]$")
EDGE = re.compile(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$")


def nodes(source: str) -> dict[str, str]:
    """Node name -> its attribute text, for every node statement."""
    found = {}
    for line in source.splitlines():
        m = NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            found[m.group(1)] = m.group(2)
    return found


def edges(source: str) -> list[tuple[str, str]]:
    """(tail, head) for every edge statement, in order."""
    return [(m.group(1), m.group(2)) for m in map(EDGE.match, source.splitlines()) if m]


def label(attrs: str) -> str:
    """The label="..." of a node's attribute text."""
    m = re.match(r'label="((?:[^"\\]|\\.)*)"', attrs)
    assert m, attrs
    return m.group(1)


def values(source: str) -> dict[str, str]:
    """Value record nodes only: name -> label."""
    return {n: label(a) for n, a in nodes(source).items() if re.fullmatch(r"v\d+", n)}


def ops(source: str) -> dict[str, str]:
    """Operation nodes only: name -> label."""
    return {n: label(a) for n, a in nodes(source).items() if re.fullmatch(r"op\d+", n)}


def clusters(source: str) -> dict[str, tuple[str, ...]]:
    """Node name -> the labels of the clusters it is nested in, outermost first."""
    where: dict[str, tuple[str, ...]] = {}
    stack: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster_"):
            stack.append("?")
        elif stripped.startswith("graph [") and stack:
            m = re.search(r'label=(?:"((?:[^"\\]|\\.)*)"|(\w+))', stripped)
            stack[-1] = (m.group(1) or m.group(2)) if m else "?"
        elif stripped == "}" and stack:
            stack.pop()
        else:
            m = NODE.match(line)
            if m:
                where[m.group(1)] = tuple(stack)
    return where


def abc() -> tuple[Value, Value, Value, Value]:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    out = a * b + c
    out.backward()
    return a, b, c, out


# --- structure ------------------------------------------------------------------------------


def test_small_graph_nodes_edges_and_labels() -> None:
    _, _, _, out = abc()
    source = draw(out, legend=False).source
    assert values(source) == {
        "v0": "{ a | data 2 | grad -3 }",
        "v1": "{ b | data -3 | grad 2 }",
        "v2": "{ data -6 | grad 1 }",
        "v3": "{ c | data 10 | grad 1 }",
        "v4": "{ data 4 | grad 1 }",
    }
    assert ops(source) == {"op2": "*", "op4": "+"}
    assert edges(source) == [  # the last operation first (see the layout test)
        ("v2", "op4"),
        ("v3", "op4"),
        ("op4", "v4"),
        ("v0", "op2"),
        ("v1", "op2"),
        ("op2", "v2"),
    ]


def test_node_names_follow_the_traversal_order() -> None:
    x = Value(0.5, label="x")
    y = (x.exp() * x + x.sin()).tanh()
    order = topological_order(y)
    drawn = values(draw(y).source)
    assert list(drawn) == [f"v{i}" for i in range(len(order))]
    ops_drawn = ops(draw(y).source)
    assert set(ops_drawn) == {f"op{i}" for i, v in enumerate(order) if not v.is_leaf}
    assert ops_drawn == {f"op{i}": v.op for i, v in enumerate(order) if not v.is_leaf}


def test_data_and_grad_use_four_significant_digits_by_default() -> None:
    x = Value(1 / 3, label="x")
    y = x * 3000.0
    y.backward()
    source = draw(y).source
    assert "{ x | data 0.3333 | grad 3000 }" in values(source).values()
    assert "{ data 1000 | grad 1 }" in values(source).values()
    six = values(draw(y, digits=6).source)
    assert "{ x | data 0.333333 | grad 3000 }" in six.values()
    tiny = Value(1.234567e-7, label="t")
    assert "{ t | data 1.235e-07 | grad 0 }" in values(draw(tiny).source).values()


def data_label(x: float, digits: int = 4) -> str:
    """The ``data ...`` field draw() shows for a Value holding ``x``."""
    drawn = draw(Value(x), digits=digits, show_grad=False, rankdir="TB")  # no braces in TB
    (text,) = values(drawn.source).values()
    return text


def test_a_value_near_a_round_number_is_not_shown_as_that_number() -> None:
    x = Value(-6.0, label="x")
    t = x.tanh()  # -0.99998771..., which four digits would round to -1
    t.backward()
    assert values(draw(t, legend=False).source) == {
        "v0": "{ x | data -6 | grad 2.458e-05 }",
        "v1": "{ data -0.99999 | grad 1 }",
    }
    assert data_label(-1.0) == "data -1"  # exactly -1 stays short
    assert data_label(math.tanh(-20.0)) == "data -1"  # tanh(-20) is -1.0 in floating point
    assert data_label(1.00001) == "data 1.00001"
    assert data_label(2.5000001) == "data 2.5000001"
    assert data_label(0.12301) == "data 0.12301"  # not 0.123, which looks exact too
    assert data_label(10000.4) == "data 10000"  # not 1e+04, which would read as exact
    assert data_label(0.1234) == "data 0.1234"  # four digits shown: it reads as rounded
    assert data_label(-0.99998771, digits=6) == "data -0.999988"


def test_floating_point_round_off_does_not_lengthen_a_label() -> None:
    assert 0.1 + 0.2 != 0.3
    assert data_label(0.1 + 0.2) == "data 0.3"
    assert data_label(0.9**3) == "data 0.729"  # 0.7290000000000001
    assert data_label(1 + 1e-15) == "data 1"
    assert data_label(1 + 1e-13) == "data 1.0000000000001"


def test_infinite_and_nan_numbers_are_shown_as_such() -> None:
    assert data_label(math.inf) == "data inf"
    v = Value(1.0, label="v")
    v.grad = math.nan
    assert values(draw(v).source)["v0"] == "{ v | data 1 | grad nan }"


def test_negative_zero_is_shown_as_zero() -> None:
    z = Value(-0.0, label="z")
    assert values(draw(z).source) == {"v0": "{ z | data 0 | grad 0 }"}


def test_show_grad_false_leaves_the_gradient_out() -> None:
    _, _, _, out = abc()
    labels = values(draw(out, show_grad=False).source)
    assert labels["v0"] == "{ a | data 2 }"
    assert not any("grad" in text for text in labels.values())


def test_top_to_bottom_graphs_keep_fields_side_by_side() -> None:
    _, _, _, out = abc()
    source = draw(out, rankdir="TB").source
    assert "rankdir=TB" in source
    assert values(source)["v0"] == "a | data 2 | grad -3"  # no braces in TB


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("rankdir", "XY"),
        ("digits", 0),
        ("digits", 18),
        ("digits", 2.0),
        ("max_nodes", 0),
        ("max_nodes", -5),
        ("max_nodes", 1.5),
        ("max_nodes", True),
    ],
)
def test_bad_options_are_refused(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        draw(Value(1.0), **{option: value})  # type: ignore[arg-type]


def test_draw_refuses_a_non_value() -> None:
    with pytest.raises(TypeError, match="expected a Value, got float"):
        draw(1.0)  # type: ignore[arg-type]


def test_a_shared_node_is_drawn_once_with_one_edge_per_use() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    source = draw(b, legend=False).source
    assert values(source) == {"v0": "{ a | data 3 | grad 2 }", "v1": "{ data 6 | grad 1 }"}
    assert edges(source) == [("v0", "op1"), ("v0", "op1"), ("op1", "v1")]


def test_reused_intermediate_is_drawn_once() -> None:
    a = Value(3.0, label="a")
    b = a + a
    c = b * b
    source = draw(c, legend=False).source
    assert len(values(source)) == 3
    assert edges(source).count(("v1", "op2")) == 2


def test_pow_edges_name_base_and_exponent() -> None:
    x = Value(3.0, label="x")
    source = draw(x**2).source
    assert '\tv0 -> op2 [xlabel="base" fontsize=9]' in source
    assert '\tv1 -> op2 [xlabel="exponent" fontsize=9]' in source


def test_the_layout_settings_that_keep_dot_fast_are_in_the_source() -> None:
    x = Value(3.0, label="x")
    y = sum(c * x**k for k, c in enumerate([0.5, 0.25, 0.125]))
    assert isinstance(y, Value)
    source = draw(y).source
    (graph_line,) = [line for line in source.splitlines() if line.startswith("\tgraph [")]
    assert "nslimit=1" in graph_line  # caps dot's network simplex, quadratic on fan-ins
    assert "ordering=out" in graph_line  # keeps each node's out-edges in the written order
    assert "rankdir=LR" in graph_line
    # ... which is the last use first: x's edges go to the **s from x**2 down to x**0.
    order = topological_order(y)
    name = {v: f"v{i}" for i, v in enumerate(order)}
    powers = [f"op{i}" for i, v in enumerate(order) if v.op == "**"]
    assert [head for tail, head in edges(source) if tail == name[x]] == powers[::-1]
    # A "label" on any edge would double every rank: edges are named with xlabel only.
    edge_attrs = [m.group(3) or "" for m in map(EDGE.match, source.splitlines()) if m]
    assert any("xlabel=" in attrs for attrs in edge_attrs)
    assert not any(re.search(r"(?<!x)label=", attrs) for attrs in edge_attrs)


def test_the_same_graph_gives_byte_identical_source() -> None:
    def build() -> str:
        xs = [Value(float(i), label=f"x{i}") for i in range(4)]
        ws = [Value(0.1 * i, label=f"w{i}") for i in range(4)]
        for w in ws:
            w.is_parameter = True
        y = (dot(ws, xs) + 1.0).tanh() * xs[0] + autograd.sum(xs)
        y.backward()
        return draw(y, groups={"neuron": ws}).source

    first = build()
    assert build() == first
    assert build() == first


def test_the_source_is_identical_across_processes() -> None:
    program = (
        "from autograd import Value, draw\n"
        "a, b = Value(2.0, label='a'), Value(-1.0, label='b')\n"
        "y = (a * b + a.exp()).tanh() / (a + b + 3)\n"
        "y.backward()\n"
        "print(draw(y).source, end='')\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        result = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


# --- roles and legend -------------------------------------------------------------------------


def legend_rows(source: str) -> dict[str, str]:
    """Legend text -> its colour."""
    rows = re.findall(r'<TD BGCOLOR="(#\w+)"[^>]*> </TD><TD ALIGN="LEFT">([^<]*)</TD>', source)
    return {text: colour for colour, text in rows}


def fill(attrs: str) -> str:
    m = re.search(r'fillcolor="(#\w+)"', attrs)
    return m.group(1) if m else "#ffffff"


def test_leaves_are_styled_by_role_as_the_legend_explains() -> None:
    w = Value(0.5, label="w")
    w.is_parameter = True
    x = Value(2.0, label="x")
    y = (w * x + 1.0).relu()  # 1.0 becomes a constant leaf
    source = draw(y).source
    drawn = nodes(source)
    order = topological_order(y)
    name = {v: f"v{i}" for i, v in enumerate(order)}
    constant = next(v for v in order if v.is_constant)
    intermediate = order[2]
    assert intermediate.op == "*"
    legend = legend_rows(source)

    assert fill(drawn[name[w]]) == legend["parameter (trainable)"]
    assert fill(drawn[name[x]]) == legend["input"]
    assert fill(drawn[name[constant]]) == legend["constant"]
    assert fill(drawn[name[intermediate]]) == legend["intermediate value"]
    assert fill(drawn[name[y]]) == legend["output (the Value drawn)"]
    assert len(set(legend.values())) == len(legend)  # five different colours
    assert "dashed" in drawn[name[constant]]
    assert "bold" in drawn[name[y]]
    assert 'shape="ellipse"' in drawn["op4"]


def test_values_listed_in_groups_are_drawn_as_parameters_without_the_flag() -> None:
    w, b = Value(0.5, label="w"), Value(0.1, label="b")  # a module's, but not flagged
    x = Value(2.0, label="x")
    assert not (w.is_parameter or b.is_parameter)
    y = (w * x + b).tanh()
    order = topological_order(y)
    name = {v: f"v{i}" for i, v in enumerate(order)}
    parameter = legend_rows(draw(y).source)["parameter (trainable)"]

    plain = nodes(draw(y).source)
    assert fill(plain[name[w]]) != parameter  # without groups: an input
    drawn = nodes(draw(y, groups={"neuron": [w, b]}).source)
    assert fill(drawn[name[w]]) == fill(drawn[name[b]]) == parameter
    assert fill(drawn[name[x]]) == legend_rows(draw(y).source)["input"]  # not grouped
    assert fill(nodes(draw(w, groups={"n": [w]}).source)["v0"]) != parameter  # root wins


def test_a_leaf_root_is_styled_as_the_root() -> None:
    w = Value(0.5, label="w")
    w.is_parameter = True
    assert "bold" in nodes(draw(w).source)["v0"]


def test_the_legend_can_be_hidden() -> None:
    _, _, _, out = abc()
    assert "legend" in nodes(draw(out).source)
    assert "legend" not in nodes(draw(out, legend=False).source)
    assert "TABLE" not in draw(out, legend=False).source


# --- groups (clusters) ------------------------------------------------------------------------


def neuron(xs: list[Value], name: str) -> tuple[Value, list[Value]]:
    """tanh(dot(w, x) + b), with w and b marked as parameters."""
    ws = [Value(0.1 * (i + 1), label=f"{name}.w{i}") for i in range(len(xs))]
    b = Value(0.1, label=f"{name}.b")
    for p in [*ws, b]:
        p.is_parameter = True
    return (dot(ws, xs) + b).tanh(), [*ws, b]


def two_layer_net() -> tuple[Value, dict[str, list[Value]], list[Value]]:
    xs = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    h0, p0 = neuron(xs, "h0")
    h1, p1 = neuron(xs, "h1")
    out, p2 = neuron([h0, h1], "o")
    loss = (out - 1.0) ** 2
    loss.backward()
    groups = {"layer 1/neuron 1": p0, "layer 1/neuron 2": p1, "layer 2/neuron 1": p2}
    return loss, groups, xs


def test_groups_put_each_neuron_in_its_own_nested_cluster() -> None:
    loss, groups, xs = two_layer_net()
    source = draw(loss, groups=groups).source
    where = clusters(source)
    order = topological_order(loss)
    name = {v: f"v{i}" for i, v in enumerate(order)}

    for group, params in groups.items():
        path = tuple(group.split("/"))
        for p in params:
            assert where[name[p]] == path
        # dot(w, x) joins through w, + b through b, and tanh as the one-operand op after it
        pre = next(v for v in order if v.op == "+" and params[-1] in v.children)
        (dot_node,) = [c for c in pre.children if c.op == "dot"]
        (act,) = [v for v in order if v.op == "tanh" and v.children == (pre,)]
        for node in (dot_node, pre, act):
            i = order.index(node)
            assert where[f"v{i}"] == path
            assert where[f"op{i}"] == path
    for x in xs:
        assert where[name[x]] == ()
    assert where[name[loss]] == ()  # the loss's ops are no neuron's
    assert where["legend"] == ()
    assert source.count("subgraph cluster_") == 5  # two layers, three neurons
    assert re.findall(r'label="(layer \d)"', source) == ["layer 1", "layer 2"]  # group order


def test_groups_accept_an_object_with_parameter_groups() -> None:
    loss, groups, _ = two_layer_net()

    class Model:
        def parameter_groups(self) -> dict[str, list[Value]]:
            return groups

    assert draw(loss, groups=Model()).source == draw(loss, groups=groups).source


def test_only_one_hop_of_one_operand_ops_joins_a_cluster() -> None:
    xs = [Value(1.0, label="x")]
    h, params = neuron(xs, "n")
    y = h.exp()  # the op after the activation is not the neuron's
    source = draw(y, groups={"n": params}).source
    where = clusters(source)
    order = topological_order(y)
    assert where[f"v{order.index(h)}"] == ("n",)
    assert where[f"v{order.index(y)}"] == ()


def test_an_op_on_parameters_of_two_groups_joins_their_common_cluster() -> None:
    a, b, c = (Value(float(i), label=n) for i, n in enumerate("abc", 1))
    for p in (a, b, c):
        p.is_parameter = True
    ab, ac = a * b, a * c
    abc_ = ab * c
    root = abc_ + ac
    source = draw(root, groups={"L/n1": [a], "L/n2": [b], "M": [c]}).source
    where = clusters(source)
    order = topological_order(root)
    assert where[f"v{order.index(a)}"] == ("L", "n1")
    assert where[f"v{order.index(ab)}"] == ("L",)  # a and b meet in layer L
    assert where[f"v{order.index(ac)}"] == ()  # L and M have nothing in common
    assert where[f"v{order.index(abc_)}"] == ("M",)  # c is its only parameter child
    assert where[f"v{order.index(root)}"] == ()


def test_groups_ignore_parameters_outside_the_graph_and_skip_empty_clusters() -> None:
    x = Value(1.0, label="x")
    w, unused = Value(2.0, label="w"), Value(3.0, label="u")
    w.is_parameter = unused.is_parameter = True
    source = draw(w * x, groups={"used": [w], "empty": [unused]}).source
    assert source.count("subgraph cluster_") == 1
    assert "empty" not in source


def test_a_parameter_in_a_group_and_its_subgroup_goes_to_the_subgroup() -> None:
    w = Value(2.0, label="w")
    w.is_parameter = True
    for groups in ({"L": [w], "L/n": [w]}, {"L/n": [w], "L": [w]}):
        assert clusters(draw(w * 2.0, groups=groups).source)["v0"] == ("L", "n")


def test_a_parameter_in_two_unrelated_groups_is_an_error() -> None:
    w = Value(2.0, label="w")
    with pytest.raises(ValueError, match="two unrelated groups, 'a' and 'b'"):
        draw(w * 2.0, groups={"a": [w], "b": [w]})


@pytest.mark.parametrize(
    ("groups", "error", "message"),
    [
        ([1, 2], TypeError, "groups must be a mapping"),
        ({"g": [1.0]}, TypeError, "lists a float, not a Value"),
        ({1: []}, TypeError, "group names must be str"),
        ({"a//b": []}, ValueError, "empty part"),
    ],
)
def test_bad_groups_are_refused(groups: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        draw(Value(1.0), groups=groups)


def test_a_computed_value_cannot_be_grouped() -> None:
    x = Value(1.0)
    with pytest.raises(ValueError, match="only leaves"):
        draw(x * 2, groups={"g": [x * 2]})


# --- size limit ---------------------------------------------------------------------------------


def chain(n_values: int) -> Value:
    """A graph of exactly ``n_values`` Values: x, then x + x, (x + x) + x, ..."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(n_values - 1):
        y = y + x
    return y


def test_max_nodes_refuses_large_graphs_with_a_helpful_message() -> None:
    big = chain(501)
    assert len(topological_order(big)) == 501
    with pytest.raises(ValueError) as info:
        draw(big)
    message = str(info.value)
    assert "501 nodes" in message
    assert "max_nodes=500" in message
    assert "max_nodes=None" in message
    assert "sub-expression" in message
    assert len(values(draw(big, max_nodes=None).source)) == 501
    assert len(values(draw(chain(500)).source)) == 500  # the limit itself is fine
    with pytest.raises(ValueError, match="3 nodes"):
        draw(chain(3), max_nodes=2)


# --- escaping -----------------------------------------------------------------------------------

NASTY = 'a|b {c} <d> "e" \\f &amp; \\l ok'


def test_labels_are_escaped_for_records() -> None:
    x = Value(1.0, label=NASTY)
    assert values(draw(x).source)["v0"] == (
        '{ a\\|b \\{c\\} \\<d\\> \\"e\\" \\\\f &amp;amp; \\\\l ok | data 1 | grad 0 }'
    )


def svg_texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_escaped_labels_render_literally(graphviz_dot: str) -> None:
    x = Value(1.0, label=NASTY)
    w = Value(2.0, label="w")
    w.is_parameter = True
    y = x * w
    svg = draw(y, groups={'<b>"cluster" & \\n': [w]}).pipe(format="svg", encoding="utf-8")
    texts = svg_texts(svg)
    assert NASTY in texts
    assert '<b>"cluster" & \\n' in texts


def test_a_label_with_a_newline_becomes_two_lines(graphviz_dot: str) -> None:
    svg = draw(Value(1.0, label="two\nlines")).pipe(format="svg", encoding="utf-8")
    texts = svg_texts(svg)
    assert "two" in texts and "lines" in texts


# --- rendering with Graphviz ----------------------------------------------------------------------


def svg_groups(svg: str, kind: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == kind]


def test_rendered_svg_has_one_node_per_value_and_op(graphviz_dot: str) -> None:
    loss, groups, _ = two_layer_net()
    order = topological_order(loss)
    n_ops = sum(not v.is_leaf for v in order)
    n_edges = n_ops + sum(len(v.children) for v in order)
    svg = draw(loss, groups=groups).pipe(format="svg", encoding="utf-8")
    assert len(svg_groups(svg, "node")) == len(order) + n_ops + 1  # + the legend
    assert len(svg_groups(svg, "edge")) == n_edges
    assert len(svg_groups(svg, "cluster")) == 5
    svg = draw(loss, legend=False).pipe(format="svg", encoding="utf-8")
    assert len(svg_groups(svg, "node")) == len(order) + n_ops
    assert len(svg_groups(svg, "cluster")) == 0
    assert "{ o.b | data 0.1" not in svg  # records are laid out, not shown as text
    assert "o.b" in svg_texts(svg)


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".svg", b"<?xml"), (".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"), (".dot", b"digraph")],
)
def test_save_picks_the_format_by_extension(
    tmp_path: Path, suffix: str, magic: bytes, request: pytest.FixtureRequest
) -> None:
    if suffix != ".dot":
        request.getfixturevalue("graphviz_dot")
    _, _, _, out = abc()
    path = save(out, tmp_path / f"graph{suffix.upper()}")  # the extension's case is ignored
    assert path.read_bytes().startswith(magic)
    if suffix == ".svg":
        assert len(svg_groups(path.read_text(), "node")) == 8
    if suffix == ".dot":
        assert path.read_text() == draw(out).source
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left


def test_save_takes_a_digraph_or_a_value_with_draw_options(tmp_path: Path) -> None:
    _, _, _, out = abc()
    save(draw(out, digits=2), tmp_path / "a.dot")
    save(out, tmp_path / "b.dot", digits=2)
    assert (tmp_path / "a.dot").read_text() == (tmp_path / "b.dot").read_text()
    with pytest.raises(TypeError, match="draw options"):
        save(draw(out), tmp_path / "c.dot", digits=2)
    with pytest.raises(TypeError, match="expected a Value or a graphviz graph"):
        save("digraph {}", tmp_path / "c.dot")


def test_save_refuses_an_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.jpg.*\.svg, \.png, \.pdf, \.dot"):
        save(Value(1.0), tmp_path / "graph.jpg")
    assert list(tmp_path.iterdir()) == []


def test_save_creates_folders_and_replaces_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "graph.dot"
    save(Value(1.0, label="first"), target)
    save(Value(2.0, label="second"), target)
    assert "second" in target.read_text() and "first" not in target.read_text()
    assert [p.name for p in target.parent.iterdir()] == ["graph.dot"]


def test_save_leaves_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "graph.dot"
    target.write_text("old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(render.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save(Value(1.0), target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]  # the temporary is gone


# --- without the dot program ----------------------------------------------------------------------


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which Graphviz's dot program cannot be found."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def assert_says_how_to_install_graphviz(error: BaseException) -> None:
    """save()'s missing-dot error: graphviz's own exception type, with the install message."""
    assert type(error) is GraphvizNotFound
    assert isinstance(error, graphviz.ExecutableNotFound)  # callers catching it still work
    assert isinstance(error, RuntimeError)  # so does the command line, which catches these
    message = str(error)
    assert message == INSTALL_GRAPHVIZ
    for command in ("sudo apt-get install graphviz", "brew install graphviz", "conda install"):
        assert command in message
    assert "conda install -c conda-forge graphviz" in message
    assert ".source" in message
    assert isinstance(error.__cause__, FileNotFoundError)  # what running dot met


@pytest.mark.usefixtures("no_dot")
@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_missing_dot_says_how_to_install_graphviz(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(RuntimeError) as info:
        save(Value(1.0), tmp_path / f"graph{suffix}")
    assert_says_how_to_install_graphviz(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["empty-path"]


@pytest.mark.usefixtures("no_dot")
def test_save_without_dot_raises_the_same_error_for_a_value_or_a_drawing(tmp_path: Path) -> None:
    _, _, _, out = abc()
    for graph in (out, draw(out), graphviz.Source(draw(out).source)):
        with pytest.raises(RuntimeError) as info:
            save(graph, tmp_path / "graph.svg")
        assert_says_how_to_install_graphviz(info.value)
    assert [p.name for p in tmp_path.iterdir()] == ["empty-path"]


@pytest.mark.usefixtures("no_dot")
def test_the_missing_dot_error_survives_pickling(tmp_path: Path) -> None:  # e.g. from a worker
    with pytest.raises(GraphvizNotFound) as info:
        save(Value(1.0), tmp_path / "graph.svg")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is GraphvizNotFound
    assert str(again) == INSTALL_GRAPHVIZ


@pytest.mark.usefixtures("no_dot")
@pytest.mark.parametrize(
    "use",
    [
        pytest.param(lambda g, d: g.render(d / "graph", format="svg"), id="render"),
        pytest.param(lambda g, d: g.view(d / "graph"), id="view"),
        pytest.param(lambda g, d: g.pipe(format="svg"), id="pipe"),
        pytest.param(lambda g, d: g._repr_mimebundle_(), id="jupyter"),
    ],
)
def test_a_drawing_run_directly_without_dot_raises_graphviz_own_error(
    tmp_path: Path, use: Callable[[graphviz.Digraph, Path], object]
) -> None:
    _, _, _, out = abc()
    with pytest.raises(graphviz.ExecutableNotFound) as info:
        use(draw(out), tmp_path)
    assert type(info.value) is graphviz.ExecutableNotFound  # graphviz's, as the README says
    assert "failed to execute" in str(info.value)


def test_draw_returns_a_plain_digraph() -> None:
    loss, groups, _ = two_layer_net()
    drawn = draw(loss, groups=groups)
    assert type(drawn) is graphviz.Digraph
    again = pickle.loads(pickle.dumps(drawn))
    assert type(again) is graphviz.Digraph
    assert again.source == copy.deepcopy(drawn).source == drawn.source


def test_a_drawing_renders_with_dot(tmp_path: Path, graphviz_dot: str) -> None:
    _, _, _, out = abc()
    drawn = draw(out)
    path = Path(drawn.render(tmp_path / "graph", format="svg"))
    assert path == tmp_path / "graph.svg"
    assert len(svg_groups(path.read_text(), "node")) == 8
    assert drawn._repr_mimebundle_()["image/svg+xml"].startswith("<?xml")


@pytest.mark.usefixtures("no_dot")
def test_without_dot_the_source_and_dot_files_still_work(tmp_path: Path) -> None:
    _, _, _, out = abc()
    assert draw(out).source.startswith("digraph")
    assert save(out, tmp_path / "g.dot").read_text() == draw(out).source


@pytest.mark.usefixtures("no_dot")
def test_svg_or_none_is_none_without_dot() -> None:
    _, _, _, out = abc()
    assert svg_or_none(out) is None
    assert out._repr_svg_() is None


# --- the time limit on dot ------------------------------------------------------------------------


def fake_dot(folder: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """Put a ``dot`` program running the Python ``body`` first on the PATH; return its folder.

    The fake writes its process id, arguments and standard input to files in that folder,
    then runs ``body`` (``out`` is its binary standard output).
    """
    folder.mkdir()
    program = folder / "dot"
    program.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, time\n"
        f"here = {str(folder)!r}\n"
        "open(os.path.join(here, 'pid'), 'w').write(str(os.getpid()))\n"
        "open(os.path.join(here, 'argv'), 'w').write(' '.join(sys.argv[1:]))\n"
        "open(os.path.join(here, 'stdin'), 'wb').write(sys.stdin.buffer.read())\n"
        "out = sys.stdout.buffer\n" + body + "\n"
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return folder


@pytest.fixture
def slow_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``dot`` that never finishes on its own."""
    return fake_dot(tmp_path / "slow-dot", monkeypatch, "time.sleep(600)")


def assert_stopped(fake: Path) -> None:
    """The fake dot is not running any more (checked if it started in time to say its id)."""
    pid = (fake / "pid").read_text() if (fake / "pid").exists() else ""
    if pid:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


def test_save_stops_dot_after_the_timeout_and_says_what_to_do(
    tmp_path: Path, slow_dot: Path
) -> None:
    _, _, _, out = abc()
    target = tmp_path / "out" / "graph.svg"
    with pytest.raises(RenderTimeout) as info:
        save(out, target, timeout=1.0)
    message = str(info.value)
    assert message.startswith("save: Graphviz's dot did not finish within 1 s")
    # The size: 5 Values, drawn as 5 records + 2 operations + the legend, with 6 edges.
    assert "5 Values, 8 nodes and 6 edges" in message
    for way_out in ("sub-expression", "max_nodes", '".dot" path', "timeout=None"):
        assert way_out in message
    assert isinstance(info.value, RuntimeError)  # the command line reports RuntimeErrors
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert_stopped(slow_dot)
    assert not target.exists()
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_a_timeout_on_a_drawing_gives_its_nodes_and_edges(tmp_path: Path, slow_dot: Path) -> None:
    loss, groups, _ = two_layer_net()
    order = topological_order(loss)
    n_ops = sum(not v.is_leaf for v in order)
    n_edges = n_ops + sum(len(v.children) for v in order)
    with pytest.raises(RenderTimeout) as info:
        save(draw(loss, groups=groups), tmp_path / "graph.png", timeout=0.2)
    message = str(info.value)
    # A drawing no longer knows its Values: the message gives its nodes and edges only.
    assert f"a graph of {len(order) + n_ops + 1} nodes and {n_edges} edges" in message


def test_svg_or_none_gives_up_after_the_timeout(slow_dot: Path) -> None:
    _, _, _, out = abc()
    assert svg_or_none(out, timeout=0.2) is None
    assert_stopped(slow_dot)


def test_a_tiny_timeout_stops_the_real_dot(tmp_path: Path, graphviz_dot: str) -> None:
    _, _, _, out = abc()
    with pytest.raises(RenderTimeout, match="5 Values, 8 nodes and 6 edges"):
        save(out, tmp_path / "graph.svg", timeout=1e-9)
    assert svg_or_none(out, timeout=1e-9) is None
    assert list(tmp_path.iterdir()) == []


def test_save_pipes_the_source_to_dot_and_writes_what_it_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_dot(tmp_path / "fake-dot", monkeypatch, "out.write(b'%PDF- rendered')")
    _, _, _, out = abc()
    for timeout in (None, 30, 2.5):
        path = save(out, tmp_path / "graph.pdf", timeout=timeout)
        assert path.read_bytes() == b"%PDF- rendered"
        assert (fake / "argv").read_text() == "-Tpdf"
        assert (fake / "stdin").read_text(encoding="utf-8") == draw(out).source


def test_a_failing_dot_is_reported_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dot(tmp_path / "bad-dot", monkeypatch, "sys.stderr.write('Error: syntax'); sys.exit(1)")
    with pytest.raises(
        RuntimeError, match=r"^save: Graphviz's dot failed to write svg: Error: syntax$"
    ):
        save(Value(1.0), tmp_path / "graph.svg")
    assert svg_or_none(Value(1.0)) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad-dot"]


def test_the_default_timeout_is_a_few_seconds() -> None:
    assert 1 <= DEFAULT_TIMEOUT <= 30
    for function in (save, svg_or_none):
        assert function.__kwdefaults__["timeout"] == DEFAULT_TIMEOUT


@pytest.mark.parametrize(
    ("timeout", "error", "message"),
    [
        (0, ValueError, "timeout must be a finite number > 0, got 0"),
        (-1.5, ValueError, "timeout must be a finite number > 0"),
        (math.nan, ValueError, "timeout must be a finite number > 0"),
        (math.inf, ValueError, "timeout must be a finite number > 0"),
        ("10", TypeError, "timeout must be a number of seconds or None, got str"),
        (True, TypeError, "timeout must be a number of seconds or None, got bool"),
    ],
)
def test_bad_timeouts_are_refused(
    tmp_path: Path, timeout: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^save: {re.escape(message)}"):
        save(Value(1.0), tmp_path / "graph.svg", timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(error, match=f"^svg_or_none: {re.escape(message)}"):
        svg_or_none(Value(1.0), timeout=timeout)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# --- Jupyter and imports ------------------------------------------------------------------


def test_svg_or_none_returns_the_graph_as_svg(graphviz_dot: str) -> None:
    _, _, _, out = abc()
    svg = svg_or_none(out)
    assert svg is not None
    assert len(svg_groups(svg, "node")) == 8
    assert out._repr_svg_() == svg


def test_svg_or_none_is_none_for_a_graph_too_large_to_draw() -> None:
    assert svg_or_none(chain(501)) is None


def test_autograd_draw_is_render_draw() -> None:
    assert autograd.draw is render.draw


def test_importing_autograd_imports_neither_graphviz_nor_the_command_line() -> None:
    program = (
        "import sys, autograd\n"
        "names = ('graphviz', 'autograd.render', 'autograd.cli')\n"
        "print([m for m in names if m in sys.modules])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
