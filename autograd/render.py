"""Drawing a Value's computation graph with Graphviz: ``draw``, ``save`` and the Jupyter hook.

The picture follows micrograd's: every Value is a record ``label | data | grad`` and every
operation is a small ellipse between its operands and its result.  Leaves are coloured by
role (parameter, input, constant) and the root is highlighted; a legend explains the colours.

The DOT text is deterministic: node names come from the traversal order
(``topological_order``), never from ``id()``, so the same graph gives byte-identical source
on every run and the source can be diffed and tested.

``autograd`` imports this module only when drawing, so ``import autograd`` does not import
graphviz.  *Rendering* (SVG, PNG, PDF) also needs Graphviz's ``dot`` program, while
``draw(...).source`` and ``.dot`` files do not.  ``save`` and ``svg_or_none`` run ``dot``
themselves, with a time limit: its layout algorithms are superlinear, and a graph that is
small for ``max_nodes`` can still keep it busy for minutes.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import graphviz

from .checks import real
from .engine import Value, topological_order
from .files import write_atomically
from .primitives import PRIMITIVES

__all__ = [
    "draw",
    "save",
    "svg_or_none",
    "FORMATS",
    "INSTALL_GRAPHVIZ",
    "INSTALL_COMMANDS",
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "GraphvizNotFound",
    "RenderTimeout",
]

DEFAULT_MAX_NODES = 500
"""``draw`` refuses graphs with more Values than this unless ``max_nodes`` says otherwise."""

DEFAULT_TIMEOUT = 10.0
"""Seconds ``save`` and ``svg_or_none`` give Graphviz's ``dot`` before giving up."""

FORMATS: dict[str, str] = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}
"""File extensions ``save`` understands, and the Graphviz format each one is written in."""

INSTALL_COMMANDS = """\
  Debian/Ubuntu: sudo apt-get install graphviz
  macOS:         brew install graphviz
  conda:         conda install -c conda-forge graphviz"""
"""How to install Graphviz, one line per system (the demos print it too)."""

INSTALL_GRAPHVIZ = f"""\
Rendering needs Graphviz's `dot` program, which was not found on the PATH. Install Graphviz:
{INSTALL_COMMANDS}
Without it, draw(...).source still gives the DOT text, and save(..., "graph.dot") still works."""
"""The message of ``GraphvizNotFound``, raised by ``save`` when the ``dot`` program is missing."""


class GraphvizNotFound(graphviz.ExecutableNotFound):  # type: ignore[misc]  # untyped base
    """``save`` could not find Graphviz's ``dot`` program; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_GRAPHVIZ)  # graphviz's __init__ wants a command

    def __reduce__(self) -> tuple[type[GraphvizNotFound], tuple[()]]:
        return type(self), ()


class RenderTimeout(RuntimeError):
    """Graphviz's ``dot`` took longer than the time limit; the message gives the graph's size
    and the ways out."""


_RANKDIRS = ("LR", "RL", "TB", "BT")
_FONT = "Helvetica,Arial,sans-serif"

# Graph attributes, chosen for dot's running time as much as for looks.  dot lays out in
# ranks; an edge spanning k ranks becomes a chain of k virtual nodes, so a Value used all
# along a chain (a + a + ... + a, sum(c * x**k)) gives a quadratic number of them, and the
# network simplex that places them ran for minutes.  nslimit=1 caps its iterations at one
# per node: graphs of a few hundred Values come out identical.  ordering=out keeps each
# node's out-edges in the order the DOT text gives them, and draw() writes the operations
# last to first: a Value's edge to its last use comes first, so the long edges of a Value
# used along a chain keep their places, outermost first, on every rank they cross, and
# the network simplex starts close to its answer (3 times faster on fan-ins, about as
# many crossings elsewhere).  Together: a 100-term fan-in in about a second instead of
# over five minutes.  Edge labels are xlabels: a "label" on any edge makes dot double
# every rank, hence every chain (5 to 10 times slower).  mclimit, nslimit1, searchsize,
# newrank, remincross and splines=line/polyline were measured too, on the graphs of
# benchmarks/bench_render.py and larger fan-ins, and gained nothing.
_LAYOUT = {
    "fontname": _FONT,
    "nodesep": "0.2",
    "ranksep": "0.3",
    "nslimit": "1",
    "ordering": "out",
}

# Each kind of node: its text in the legend, and how it looks.
_ROLES: dict[str, tuple[str, dict[str, str]]] = {
    "input": ("input", {"style": "filled", "fillcolor": "#d9ead3"}),
    "parameter": ("parameter (trainable)", {"style": "filled", "fillcolor": "#cfe2f3"}),
    "constant": ("constant", {"style": "filled,dashed", "fillcolor": "#eeeeee"}),
    "intermediate": ("intermediate value", {}),
    "root": (
        "output (the Value drawn)",
        {"style": "filled,bold", "fillcolor": "#fce5cd", "penwidth": "2"},
    ),
}
_OP_STYLE = {
    "shape": "ellipse",
    "fontsize": "11",
    "margin": "0.04,0.02",
    "width": "0.3",
    "height": "0.25",
}


# --- labels -----------------------------------------------------------------------------

# str.translate tables that escape text for DOT labels, so it is shown literally: one field
# of a record label, and a plain (non-record) label.
_RECORD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "{": "\\{",
        "}": "\\}",
        "<": "\\<",
        ">": "\\>",
        '"': '\\"',
        "&": "&amp;",  # Graphviz decodes HTML entities in labels
        "\n": "\\n",
        "\r": " ",
        "\t": " ",
    }
)

_PLAIN_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "&": "&amp;", "\n": "\\n"})


def _number(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits, or more where fewer would pass it off as a
    rounder number: tanh(-6) = -0.9999877 shows as -0.99999, not -1."""
    x += 0.0  # shows -0.0 as 0
    text = f"{x:.{digits}g}"
    # "g" drops trailing zeros, so a label with fewer significant digits than asked for reads
    # as exact: it must be, or get the digits that show it is not.  Up to 15: a difference
    # beyond that is floating-point round-off (0.1 + 0.2 shows as 0.3).  NaN equals nothing.
    while digits < 15 and _significant(text) < digits and float(text) != x and not math.isnan(x):
        digits += 1
        text = f"{x:.{digits}g}"
    return text


def _significant(text: str) -> int:
    """How many significant digits a number formatted with "g" shows."""
    return len(text.partition("e")[0].lstrip("-0.").replace(".", ""))


def _value_label(value: Value, digits: int, show_grad: bool, horizontal: bool) -> str:
    fields = [value.label.translate(_RECORD_ESCAPES)] if value.label else []
    fields.append(f"data {_number(value.data, digits)}")
    if show_grad:
        fields.append(f"grad {_number(value.grad, digits)}")
    body = " | ".join(fields)
    # A record's fields stack across the rank direction; braces turn them around, so the
    # fields read left to right whichever way the graph flows.
    return "{ " + body + " }" if horizontal else body


def _role(value: Value, root: Value, grouped: Collection[Value]) -> str:
    if value is root:
        return "root"
    if value.is_parameter or value in grouped:  # a module's Value is a parameter
        return "parameter"
    if value.is_constant:
        return "constant"
    return "input" if value.is_leaf else "intermediate"


def _legend_label() -> str:
    rows = ['<TR><TD COLSPAN="2"><B>legend</B></TD></TR>']
    for text, style in _ROLES.values():
        colour = style.get("fillcolor", "#ffffff")
        rows.append(
            f'<TR><TD BGCOLOR="{colour}" WIDTH="18"> </TD><TD ALIGN="LEFT">{text}</TD></TR>'
        )
    rows.append(
        '<TR><TD>( )</TD><TD ALIGN="LEFT">operation, e.g. + * ** tanh</TD></TR>'
        '<TR><TD>[ | ]</TD><TD ALIGN="LEFT">a Value: label | data | grad</TD></TR>'
    )
    return (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        + "".join(rows)
        + "</TABLE>>"
    )


# --- groups (clusters) --------------------------------------------------------------------

Groups = Mapping[str, Iterable[Value]]


def _group_mapping(groups: object) -> Groups:
    """Accept a mapping or an object with ``parameter_groups()`` and return the mapping."""
    if groups is None:
        return {}
    method = getattr(groups, "parameter_groups", None)
    if callable(method):
        groups = method()
    if not isinstance(groups, Mapping):
        raise TypeError(
            "draw: groups must be a mapping {name: list of parameter Values} or an object "
            f"with a parameter_groups() method, got {type(groups).__name__}"
        )
    return groups


def _group_paths(groups: Groups) -> tuple[dict[Value, tuple[str, ...]], list[tuple[str, ...]]]:
    """The cluster path (``"layer 1/neuron 2"`` -> ``("layer 1", "neuron 2")``) of each
    grouped leaf, and every group's path in the mapping's order."""
    where: dict[Value, tuple[str, ...]] = {}
    paths: list[tuple[str, ...]] = []
    for name, members in groups.items():
        if not isinstance(name, str):
            raise TypeError(f"draw: group names must be str, got {type(name).__name__}")
        path = tuple(part.strip() for part in name.split("/"))
        if not all(path):
            raise ValueError(f"draw: group name {name!r} has an empty part")
        paths.append(path)
        for member in members:
            if not isinstance(member, Value):
                raise TypeError(
                    f"draw: group {name!r} lists a {type(member).__name__}, not a Value"
                )
            if not member.is_leaf:
                raise ValueError(
                    f"draw: group {name!r} lists a Value made by {member.op!r}; only leaves "
                    "(parameters) can be grouped"
                )
            previous = where.get(member)
            if previous is None or previous == path[: len(previous)]:
                where[member] = path  # new, or a subgroup of where it already was
            elif path != previous[: len(path)]:
                raise ValueError(
                    f"draw: {member!r} is in two unrelated groups, "
                    f"{'/'.join(previous)!r} and {name!r}"
                )
    return where, paths


def _common_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    prefix = paths[0]
    for path in paths[1:]:
        while path[: len(prefix)] != prefix:
            prefix = prefix[:-1]
    return prefix


def _assign_clusters(
    order: list[Value], groups: Groups
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], Collection[Value]]:
    """The cluster path of each node in ``order`` (``()`` for outside every cluster), the
    group paths in the mapping's order, and every Value the groups list.

    * a grouped parameter goes to its group's cluster;
    * an operation with grouped parameters among its direct children joins their cluster
      (for children in different groups, the innermost cluster containing all of them);
    * a one-operand operation whose child joined a cluster by the rule above joins it too
      (the activation after ``dot(w, x) + b``);
    * everything else stays outside.
    """
    where, group_order = _group_paths(groups)
    clusters: list[tuple[str, ...]] = []
    via_parameter: set[Value] = set()
    index = {node: i for i, node in enumerate(order)}
    for node in order:
        path: tuple[str, ...] = ()
        if node.is_leaf:
            path = where.get(node, ())
        else:
            grouped = [where[c] for c in node.children if c in where]
            if grouped:
                path = _common_prefix(grouped)
                if path:
                    via_parameter.add(node)
            elif len(node.children) == 1 and node.children[0] in via_parameter:
                path = clusters[index[node.children[0]]]
        clusters.append(path)
    return clusters, group_order, where.keys()


# --- draw ---------------------------------------------------------------------------------


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    digits: int = 4,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    groups: object = None,
    legend: bool = True,
) -> graphviz.Digraph:
    """The computation graph behind ``root`` as a ``graphviz.Digraph`` (nothing is rendered).

    ``max_nodes`` counts Values (operation ellipses are not counted); a larger graph raises
    ``ValueError`` (pass ``max_nodes=None`` to draw it anyway).  ``groups`` is a mapping
    ``{name: parameter Values}`` or an object with ``parameter_groups()`` (an ``nn`` model);
    each group becomes a cluster, ``"/"`` in a name nests clusters, and every Value listed
    is drawn as a parameter (even without ``is_parameter``).  Numbers show ``digits``
    significant digits, or more where fewer would make them look like a rounder number.

    The result is graphviz's own ``Digraph``: its ``render()`` and ``pipe()`` run ``dot``
    without the time limit ``save`` and ``svg_or_none`` set.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: expected a Value, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if type(digits) is not int or not 1 <= digits <= 17:
        raise ValueError(f"draw: digits must be an int from 1 to 17, got {digits!r}")
    if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
        raise ValueError(f"draw: max_nodes must be a positive int or None, got {max_nodes!r}")
    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"draw: the graph has {len(order)} nodes (Values), more than max_nodes="
            f"{max_nodes}. Pass max_nodes=None to draw it anyway (Graphviz gets slow and "
            "the picture unreadable), or draw a sub-expression, e.g. one neuron's output."
        )
    clusters, group_order, grouped = _assign_clusters(order, _group_mapping(groups))

    horizontal = rankdir in ("LR", "RL")
    graph = graphviz.Digraph(
        name="autograd",
        graph_attr={"rankdir": rankdir, **_LAYOUT},
        node_attr={"shape": "record", "fontname": _FONT, "fontsize": "12", "height": "0.3"},
        edge_attr={"arrowsize": "0.6", "fontname": _FONT},
    )
    index = {node: i for i, node in enumerate(order)}
    # Value.op is the primitive's display symbol ("**" for pow); pow's edges are labelled,
    # with xlabel (see _LAYOUT).
    operand_names = {p.display: p.operand_names for p in PRIMITIVES.values()}
    role_attrs = {role: _attributes(style) for role, (_, style) in _ROLES.items()}
    op_attrs = _attributes(_OP_STYLE)

    # DOT statements are written as lines (graphviz's per-call quoting would dominate the
    # time on large graphs); every label is escaped, so quoting it is just adding quotes.
    # Node lines go to one list for the top level and one per cluster; edges come last,
    # one string per operation: its operands' edges, then its edge to its result.
    members: dict[tuple[str, ...], list[str]] = {(): []}
    edges: list[str] = []
    for i, node in enumerate(order):
        lines = members.setdefault(clusters[i], [])
        label = _value_label(node, digits, show_grad, horizontal)
        lines.append(f'\tv{i} [label="{label}"{role_attrs[_role(node, root, grouped)]}]\n')
        if node.is_leaf:
            continue
        lines.append(f'\top{i} [label="{node.op.translate(_PLAIN_ESCAPES)}"{op_attrs}]\n')
        names = operand_names.get(node.op, ())
        operands = "".join(
            f"\tv{index[child]} -> op{i}"
            + (f' [xlabel="{names[k]}" fontsize=9]\n' if k < len(names) else "\n")
            for k, child in enumerate(node.children)
        )
        edges.append(f"{operands}\top{i} -> v{i}\n")

    graph.body.extend(members.pop(()))
    _add_clusters(graph, members, group_order)
    if legend:
        graph.body.append(f"\tlegend [label={_legend_label()} fontsize=9 shape=plaintext]\n")
    graph.body.extend(reversed(edges))  # the last operation first: see _LAYOUT
    return graph


def _attributes(style: Mapping[str, str]) -> str:
    """DOT attributes ``' key="value" ...'`` for a fixed style (no quotes in the values)."""
    return "".join(f' {key}="{value}"' for key, value in style.items())


def _add_clusters(
    graph: graphviz.Digraph,
    members: dict[tuple[str, ...], list[str]],
    group_order: list[tuple[str, ...]],
) -> None:
    """Add one (nested) cluster subgraph per group path that has nodes, in group order."""
    # A cluster is used if it or a cluster inside it has nodes.  Every path in ``members``
    # is a group's path or a prefix of one (an operation between two groups).
    used = {path[:depth] for path in members for depth in range(1, len(path) + 1)}
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    for path in group_order:  # register used clusters, parents first, in group order
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix in used and prefix not in children:
                children[prefix] = []
                children[prefix[:-1]].append(prefix)
    numbers = {path: k for k, path in enumerate(path for path in children if path)}

    def build(path: tuple[str, ...]) -> graphviz.Digraph:
        cluster = graphviz.Digraph(
            name=f"cluster_{numbers[path]}",
            graph_attr={
                "label": graphviz.nohtml(path[-1].translate(_PLAIN_ESCAPES)),
                "style": "rounded,dashed",
                "color": "#888888",
                "fontsize": "11",
                "labeljust": "l",
            },
        )
        cluster.body.extend(members.get(path, ()))
        for child in children[path]:
            cluster.subgraph(build(child))
        return cluster

    for top in children[()]:
        graph.subgraph(build(top))


# --- rendering ----------------------------------------------------------------------------


def save(
    graph: Value | graphviz.Graph | graphviz.Digraph | graphviz.Source,
    path: str | os.PathLike[str],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    **draw_options: Any,
) -> Path:
    """Write a Value's graph (or a ``draw`` result) to ``path``; the extension picks the format.

    ``.svg``, ``.png`` and ``.pdf`` run Graphviz's ``dot`` program: without it,
    ``GraphvizNotFound`` (a ``graphviz.ExecutableNotFound``) says how to install it; if it
    takes more than ``timeout`` seconds (None: no limit), it is stopped and
    ``RenderTimeout`` says how large the graph is and what to do.  ``.dot`` writes the DOT
    source.  The file is written atomically (a temporary file renamed over ``path``), and
    missing parent folders are created.  ``draw_options`` are passed to ``draw`` when
    ``graph`` is a Value.
    """
    target = Path(path)
    fmt = FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"save: cannot tell the format of {str(target)!r} from its extension; "
            f"use one of {', '.join(FORMATS)}"
        )
    seconds = _seconds(timeout, "save")
    value = None  # what was drawn, if known: the timeout message counts its Values
    if isinstance(graph, Value):
        value, graph = graph, draw(graph, **draw_options)
    elif draw_options:
        raise TypeError("save: draw options can only be given with a Value, not a graph")
    if not isinstance(graph, (graphviz.Graph, graphviz.Digraph, graphviz.Source)):
        raise TypeError(f"save: expected a Value or a graphviz graph, got {type(graph).__name__}")
    source = graph.source
    if fmt == "dot":
        return write_atomically(target, source)
    try:
        data = _run_dot(source, fmt, seconds)
    except subprocess.TimeoutExpired as exc:
        raise RenderTimeout(_too_slow(source, value, exc.timeout)) from None
    return write_atomically(target, data)


def svg_or_none(value: Value, *, timeout: float | None = DEFAULT_TIMEOUT) -> str | None:
    """The graph behind ``value`` as SVG text, or None if it cannot be drawn in time.

    None means: more than ``max_nodes`` Values, no Graphviz, ``dot`` failing, or ``dot``
    taking more than ``timeout`` seconds (None: no limit).  ``Value._repr_svg_`` calls this,
    so in Jupyter a Value displays as its graph, or else as its ``repr``, and a cell never
    hangs on a slow layout.
    """
    seconds = _seconds(timeout, "svg_or_none")
    try:
        return _run_dot(draw(value).source, "svg", seconds).decode("utf-8")
    except (ValueError, RuntimeError, subprocess.TimeoutExpired):  # ValueError: too many nodes
        return None


def _seconds(timeout: object, operation: str) -> float | None:
    """``timeout`` checked: None (no limit) or a positive, finite number of seconds."""
    if timeout is None:
        return None
    return real(
        timeout, operation, "timeout", positive=True, expected="a number of seconds or None"
    )


def _run_dot(source: str, fmt: str, timeout: float | None) -> bytes:
    """``source`` rendered to ``fmt`` by Graphviz's ``dot``, which is killed after ``timeout``
    seconds (``subprocess.TimeoutExpired``)."""
    # Not graphviz's pipe(): it has no time limit.
    try:
        done = subprocess.run(
            ["dot", f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except FileNotFoundError as exc:
        raise GraphvizNotFound() from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"save: Graphviz's dot failed to write {fmt}: {detail}")
    return done.stdout


def _too_slow(source: str, value: Value | None, timeout: float) -> str:
    """The message of ``RenderTimeout``: the graph's size and the ways out."""
    nodes, edges = _size(source)
    values = "" if value is None else f"{len(topological_order(value)):,} Values, "
    return (
        f"save: Graphviz's dot did not finish within {timeout:g} s on a graph of {values}"
        f"{nodes:,} nodes and {edges:,} edges, and was stopped. Draw a smaller graph (a "
        "sub-expression, e.g. one neuron's output; draw(..., max_nodes=N) refuses graphs of "
        'more than N Values), write the DOT text instead (a ".dot" path), or give dot more '
        "time (e.g. timeout=60; timeout=None for no limit)."
    )


# One DOT statement per line, as draw() and the graphviz package write them; quoted strings
# and HTML labels are blanked first, since their text may contain anything.
_LABEL_TEXT = re.compile(r'"(?:[^"\\]|\\.)*"|<.*>')
_NODE_STATEMENT = re.compile(r"\s*(?!(?:graph|node|edge|subgraph)\b)\w+\s*(?:\[|;|$)")


def _size(source: str) -> tuple[int, int]:
    """How many node and edge statements the DOT text has (an edge chain a -> b -> c is two)."""
    nodes = edges = 0
    for line in source.splitlines():
        line = _LABEL_TEXT.sub("x", line)
        arrows = line.count("->") + line.count("--")
        edges += arrows
        nodes += not arrows and _NODE_STATEMENT.match(line) is not None
    return nodes, edges
