"""The interactive page: one HTML file to step through training and backpropagation.

A demo run with ``--html`` records the model's parameters at a few updates while ``nn.fit``
trains it (``Recorder``, fit's callback).  After training, ``follow`` loads each recorded
set of parameters into a copy of the model, rebuilds the graph of each followed example,
runs forward and ``backward()`` on it, and keeps every node's data and grad, and the local
derivative of every edge.  ``write_page`` puts it all into one self-contained HTML file: the
graph SVGs drawn by Graphviz (one per example: its shape is the same at every update, only
the numbers change), the numbers as JSON, and the small vanilla script and stylesheet kept
beside this module in ``page_files/``.  Nothing is loaded from the network: the file opens
from disk.

The page's size is capped (``max_bytes``, 5 MB by default): if the recorded snapshots do not
fit, fewer of them are kept, evenly spaced, first and last included; if not even those two
fit, ``write_page`` raises ``ValueError``.

On the page, ``page_files/page.js`` writes a snapshot's numbers into the node labels, and
steps a backward pass node by node in reverse topological order, computing each grad as the
sum over the node's uses of local derivative × upstream grad, in the order ``backward()``
adds them, so that its final grads are ``backward()``'s to the last bit.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from autograd import Value, topological_order
from autograd.checks import option, parse_integer, parse_real
from autograd.files import write_atomically

__all__ = [
    "DEFAULT_SNAPSHOTS",
    "DEFAULT_MAX_MB",
    "BYTES_PER_MB",
    "FILE_NAME",
    "CAPTIONS",
    "Recorder",
    "GraphNumbers",
    "Snapshot",
    "Followed",
    "Example",
    "Boundary",
    "PageResult",
    "add_page_arguments",
    "chosen_updates",
    "graph_numbers",
    "graph_structure",
    "graph_svg",
    "follow",
    "build_page",
    "write_page",
    "read_page_data",
    "describe",
]

DEFAULT_SNAPSHOTS = 40
"""How many updates a page records by default (update 0 and the last included)."""

DEFAULT_MAX_MB = 5.0
"""The page's default size cap in megabytes (10**6 bytes)."""

FILE_NAME = "interactive.html"
"""The page's name in the demo's output folder."""

BYTES_PER_MB = 1_000_000
"""A megabyte, as ``--max-html-mb`` counts it."""

# Drawn into every number field before Graphviz lays the graph out, so that each record is
# wide enough for the numbers the script writes there later: page.js shows 4 significant
# digits, so 9 characters for most numbers (a sign, "0.00", 4 digits); smaller ones spill
# over by a character or two, which is easier to read than a graph wider still.
_PLACEHOLDER = -0.001234

_FILES = "page_files"

CAPTIONS: dict[str, dict[str, str]] = {
    "start": {
        "en": "Update 0: the parameters are where training starts, picked at random (w0).",
        "zh": "首先要随机选取一个初始的点 w0",
    },
    "update": {
        "en": "Each update takes one batch, computes its loss, and moves every parameter "
        "against its gradient: w ← w − η · ∂L/∂w.  η, the learning rate, is a "
        "hyperparameter: we set it, the machine does not learn it.",
        "zh": "学习率是自己设定的 … 称为超参数(hyperparameter)",
    },
    "end": {
        "en": "The last update: training stops when the number of updates set beforehand "
        "(a hyperparameter) is reached.",
        "zh": "设定更新次数的超参数:上限可能会设为 100 万次,参数更新 100 万次后,就不再更新了",
    },
    "loss": {
        "en": "The loss of each batch (L1, L2, L3, …: pale) and of all training examples "
        "at each recorded update (dark).  Seeing every batch once is an epoch.",
        "zh": "用该批量来算 L1,根据 L1 来算梯度,再用梯度来更新参数 … "
        "把所有的批量都看过一次,称为一个回合(epoch)",
    },
    "boundary": {
        "en": "Each sigmoid or ReLU is a neuron; each row of neurons is a hidden layer; many "
        "hidden layers make the network deep.  Shading: the network's probability of "
        "class 1; the line: where it is 50%.",
        "zh": "Sigmoid 或 ReLU 称为神经元(neuron) … 每一排称为一层,称为隐藏层(hidden layer),"
        "很多的隐藏层就“深”",
    },
    "graph": {
        "en": "Training uses backpropagation, an efficient way to compute the gradient: one "
        "backward pass, from the loss back to every node, gives every grad at once.",
        "zh": "深度学习的训练会用到反向传播(BackPropagation,BP),其实它就是比较有效率、算梯度的方法",
    },
    "zero": {
        "en": "Its gradient from this example is 0, and η · 0 = 0: this example does not "
        "move it.",
        "zh": "0 乘上学习率 η 还是 0,所以参数就不会再移动位置",
    },
}
"""The lecture's words for what the page shows: English (SUMMARY.md) and the notes' Chinese."""


def add_page_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --html, --snapshots N and --max-html-mb MB, the options of the interactive page."""
    parser.add_argument(
        "--html",
        action="store_true",
        help=f"also write the interactive page, {FILE_NAME} (open it in a browser)",
    )
    parser.add_argument(
        "--snapshots",
        type=option(parse_integer, minimum=2),
        default=DEFAULT_SNAPSHOTS,
        metavar="N",
        help=f"updates the page records, first and last included (default: {DEFAULT_SNAPSHOTS})",
    )
    parser.add_argument(
        "--max-html-mb",
        type=option(parse_real, positive=True),
        default=DEFAULT_MAX_MB,
        metavar="MB",
        help="the page's size cap; past it, fewer snapshots are kept "
        f"(default: {DEFAULT_MAX_MB:g})",
    )


# --- recording ----------------------------------------------------------------------------


def chosen_updates(total: int, count: int) -> list[int]:
    """``count`` updates from 0 to ``total``, evenly spaced (all of them if there are fewer)."""
    if count >= total + 1:
        return list(range(total + 1))
    # floor keeps them distinct: the spacing total / (count - 1) is at least 1
    return [i * total // (count - 1) for i in range(count)]


class Recorder:
    """``fit``'s callback: the parameters' values at the chosen updates (update 0 at once)."""

    def __init__(self, parameters: Sequence[Value], updates: Sequence[int]) -> None:
        self.parameters = list(parameters)
        self.wanted = set(updates)
        self.updates: list[int] = []
        self.values: list[list[float]] = []
        if 0 in self.wanted:
            self._keep(0)

    def __call__(self, history: Any) -> None:
        """Keep the parameters if ``history.updates`` is one of the chosen updates."""
        if history.updates in self.wanted:
            self._keep(history.updates)

    def _keep(self, update: int) -> None:
        self.updates.append(update)
        self.values.append([p.data for p in self.parameters])


@dataclass
class GraphNumbers:
    """One graph's numbers, node by node in topological order (as ``draw`` names them)."""

    data: list[float | None]
    grad: list[float | None]
    partials: list[list[float | None]]  # d node / d child for each child, [] for a leaf


@dataclass
class Snapshot:
    """The page's numbers at one recorded update."""

    update: int
    loss: float  # the training loss with the parameters of that update
    graphs: list[GraphNumbers]  # one per followed example
    boundary: list[int] | None = None  # P(class 1) in percent on the grid, or None


@dataclass
class Followed:
    """What ``follow`` found: a snapshot per recorded update, and each example's graph."""

    snapshots: list[Snapshot]
    structures: list[list[dict[str, Any]]]  # per example: graph_structure of its graph


def _number(x: Any) -> float | None:
    """A finite float for the JSON, else None (JSON has no NaN, inf or Undefined)."""
    if isinstance(x, (int, float)) and math.isfinite(x):
        return float(x)
    return None


def graph_numbers(root: Value) -> GraphNumbers:
    """Every node's data and grad, and every edge's local derivative, under ``root``."""
    order = topological_order(root)
    partials: list[list[float | None]] = []
    for node in order:
        primitive = node.primitive
        if primitive is None:
            partials.append([])
            continue
        # the very partials the engine stored when it made the node: same rule, same floats
        local = primitive.partials(node.data, *(child.data for child in node.children))
        partials.append([_number(d) for d in local])
    return GraphNumbers(
        data=[_number(node.data) for node in order],
        grad=[_number(node.grad) for node in order],
        partials=partials,
    )


def graph_structure(root: Value) -> list[dict[str, Any]]:
    """Each node's label, operation and children (as indices), in topological order."""
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    return [
        {
            "label": node.label,
            "op": node.op,
            "children": [index[child] for child in node.children],
            "parameter": node.is_parameter,
            "constant": node.is_constant,
        }
        for node in order
    ]


def follow(
    recorder: Recorder,
    parameters: Sequence[Value],
    examples: Sequence[Callable[[], Value]],
    loss: Callable[[], float],
    boundary: Callable[[], list[float]] | None = None,
) -> Followed:
    """Load each recorded update into ``parameters`` and record the examples' graphs there.

    ``parameters`` belong to a copy of the trained model (so training is not disturbed);
    ``examples[k]()`` builds example k's graph from them and ``loss()`` gives the training
    loss; ``boundary()`` gives P(class 1) on the decision-boundary grid.  Each graph is
    backpropagated once, on its own, from a fresh forward pass (the parameters' grads are
    set to 0 before each).
    """
    parameters = list(parameters)
    snapshots: list[Snapshot] = []
    structures: list[list[dict[str, Any]]] = []
    for update, values in zip(recorder.updates, recorder.values):
        for p, v in zip(parameters, values):
            p.data = v
        graphs = []
        for k, build in enumerate(examples):
            for p in parameters:
                p.grad = 0.0  # backward() adds: each graph's grads are its own
            root = build()
            root.backward()
            structure = graph_structure(root)
            if len(structures) == k:
                structures.append(structure)
            elif structures[k] != structure:
                raise ValueError(
                    f"page: the graph of example {k + 1} changed its shape at update {update}; "
                    "the page draws each example's graph once, so its shape must not depend "
                    "on the parameters"
                )
            graphs.append(graph_numbers(root))
        shades = None
        if boundary is not None:
            shades = [round(100 * p) for p in boundary()]
        snapshots.append(Snapshot(update, loss(), graphs, shades))
    return Followed(snapshots, structures)


# --- the graph pictures -------------------------------------------------------------------

_NODE = re.compile(r'<g id="(node\d+)" class="node">\s*<title>(v\d+|op\d+)</title>')
_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)


def graph_svg(root: Value, groups: object = None) -> str:
    """The graph under ``root`` drawn by Graphviz, as SVG to put inline in the page.

    The graph is drawn with a placeholder in every number field, so that each record is
    wide enough for the numbers the script writes there later; the nodes' numbers are put
    back afterwards.  Without Graphviz's ``dot`` program it is a RuntimeError saying how to
    install it; its other errors (a time-out, a failure) are raised as they are.
    """
    import graphviz

    from autograd.render import INSTALL_COMMANDS, draw, save

    nodes = topological_order(root)
    numbers = [(node.data, node.grad) for node in nodes]
    for node in nodes:
        node.data = node.grad = _PLACEHOLDER
    graph = draw(root, groups=groups)
    for node, (data, grad) in zip(nodes, numbers):
        node.data, node.grad = data, grad
    with tempfile.TemporaryDirectory() as folder:
        # No dot program (render's GraphvizNotFound is an ExecutableNotFound): say what needs
        # it, since the page, unlike the demos' SVG files, has no DOT-text fallback.
        try:
            svg = save(graph, Path(folder) / "graph.svg").read_text(encoding="utf-8")
        except graphviz.ExecutableNotFound:
            raise RuntimeError(
                "page: the interactive page draws its graphs with Graphviz's dot program, "
                f"which was not found on the PATH; install Graphviz:\n{INSTALL_COMMANDS}"
            ) from None
    svg = _COMMENT.sub("", _PROLOGUE.sub("", svg))
    # data-node="v3" (and data-op="op3") let the script find each node by its draw() name
    return _NODE.sub(
        lambda m: (
            f'<g id="{m[1]}" class="node" data-{"node" if m[2][0] == "v" else "op"}="{m[2]}">'
            f"<title>{m[2]}</title>"
        ),
        svg,
    )


# --- the page -----------------------------------------------------------------------------


@dataclass
class Example:
    """One followed example: its name in the selector, its point on the plot, its picture."""

    name: str
    svg: str
    point: list[float] | None = None


@dataclass
class Boundary:
    """The decision-boundary plot: extent (x0, x1, y0, y1), grid size, the data points."""

    extent: tuple[float, float, float, float]
    size: int
    points: list[tuple[float, float, int, bool]]  # x, y, class, held out


@dataclass
class PageResult:
    """The written page: where, how large, and how many snapshots it kept of those recorded."""

    path: Path
    bytes: int
    snapshots: int
    recorded: int
    updates: list[int] = field(default_factory=list)


def _asset(name: str) -> str:
    return resources.files(__package__ or "demos").joinpath(_FILES, name).read_text("utf-8")


def _json(value: object) -> str:
    # "<" only occurs inside strings, where \u003c is the same character: the data can then
    # never close its <script> element or open a comment
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _snapshot_json(snapshot: Snapshot) -> str:
    return _json(
        {
            "update": snapshot.update,
            "loss": _number(snapshot.loss),
            "graphs": [
                {"data": g.data, "grad": g.grad, "partials": g.partials} for g in snapshot.graphs
            ],
            "boundary": snapshot.boundary,
        }
    )


def build_page(
    *,
    title: str,
    lesson: Sequence[str],
    examples: Sequence[Example],
    followed: Followed,
    total_updates: int,
    batch_losses: Sequence[float],
    loss_name: str,
    boundary: Boundary | None = None,
    captions: Mapping[str, dict[str, str]] | None = None,
    snapshot_texts: Sequence[str] | None = None,
) -> str:
    """The page's HTML: template, stylesheet, script, graph pictures and numbers, inline.

    ``captions`` replace some of ``CAPTIONS`` for this page.  ``snapshot_texts`` are the
    snapshots' JSON texts to use (a subset, to fit a size cap); by default every snapshot
    of ``followed``.
    """
    if snapshot_texts is None:
        snapshot_texts = [_snapshot_json(s) for s in followed.snapshots]
    meta = {
        "title": title,
        "totalUpdates": total_updates,
        "lossName": loss_name,
        # a picture: 4 significant digits are plenty, and keep the file small
        "batchLosses": [_number(float(f"{x:.4g}")) for x in batch_losses],
        "examples": [
            {"name": e.name, "point": e.point, "nodes": nodes}
            for e, nodes in zip(examples, followed.structures)
        ],
        "boundary": None
        if boundary is None
        else {"extent": boundary.extent, "size": boundary.size, "points": boundary.points},
        "captions": {**CAPTIONS, **(captions or {})},
    }
    data = _json(meta)[:-1] + ',"snapshots":[' + ",".join(snapshot_texts) + "]}"
    # inert until the script puts the followed example's copy in the page: the document
    # then holds one graph, and its ids and data-node names are unique
    graphs = "\n".join(
        f'<template class="example-graph" data-example="{k}">{e.svg}</template>'
        for k, e in enumerate(examples)
    )
    options = "\n".join(
        f'<option value="{k}">{html.escape(e.name)}</option>' for k, e in enumerate(examples)
    )
    return Template(_asset("page.html")).substitute(
        title=html.escape(title),
        lesson="\n".join(f"<p>{html.escape(text)}</p>" for text in lesson),
        options=options,
        graphs=graphs,
        boundary_hidden="" if boundary is not None else " hidden",
        css=_asset("page.css"),
        data=data,
        script=_asset("page.js"),
    )


def write_page(
    path: Path, *, max_bytes: int, followed: Followed, **contents: Any
) -> PageResult:
    """Write the page (``build_page``'s arguments) to ``path``, at most ``max_bytes`` long.

    If every snapshot does not fit, the largest evenly spaced selection that does is kept
    (the first and the last update always among them); if not even those two fit, it is a
    ValueError that says how large the page would be.
    """
    texts = [_snapshot_json(s) for s in followed.snapshots]
    text = build_page(followed=followed, snapshot_texts=texts, **contents)
    size = len(text.encode("utf-8"))
    kept = list(range(len(texts)))
    if size > max_bytes:
        sizes = [len(t.encode("utf-8")) + 1 for t in texts]  # + 1: the comma between them
        fixed = size - sum(sizes)
        count = min(len(texts), (max_bytes - fixed) // max(sizes))
        if count < 2:
            smallest = fixed + sum(sorted(sizes)[:2])
            raise ValueError(
                f"page: the interactive page would be {smallest / BYTES_PER_MB:.2f} MB even "
                f"with 2 snapshots, over its cap of {max_bytes / BYTES_PER_MB:g} MB; "
                "raise the cap (--max-html-mb)"
            )
        kept = chosen_updates(len(texts) - 1, count)
        text = build_page(
            followed=followed, snapshot_texts=[texts[i] for i in kept], **contents
        )
        size = len(text.encode("utf-8"))
    write_atomically(path, text)
    return PageResult(
        path=path,
        bytes=size,
        snapshots=len(kept),
        recorded=len(texts),
        updates=[followed.snapshots[i].update for i in kept],
    )


_DATA = re.compile(r'<script type="application/json" id="page-data">(.*?)</script>', re.DOTALL)


def read_page_data(text: str) -> dict[str, Any]:
    """The numbers a page holds (its JSON), from the page's HTML text."""
    match = _DATA.search(text)
    if match is None:
        raise ValueError("read_page_data: the text has no page data; is it an interactive page?")
    data: dict[str, Any] = json.loads(match[1])
    return data


def describe(result: PageResult) -> str:
    """One line for a demo's report: the page, its size and its snapshots."""
    kept = f"{result.snapshots} snapshots"
    if result.snapshots < result.recorded:
        kept += f" of the {result.recorded} recorded (the rest did not fit the size cap)"
    return (
        f"Interactive page: {result.path.name} ({result.bytes / BYTES_PER_MB:.2f} MB, {kept}); "
        "open it in a browser."
    )
