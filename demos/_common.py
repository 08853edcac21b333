"""What every demo shares: command-line options, output folders, figures, saving files."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd import Value
from autograd.files import write_atomically

if TYPE_CHECKING:
    import graphviz
    from matplotlib.figure import Figure

__all__ = [
    "add_common_arguments",
    "positive_int",
    "positive_float",
    "non_negative_float",
    "output_dir",
    "new_figure",
    "save_figure",
    "save_graph",
    "save_text",
    "table",
    "intro",
    "show_progress",
]

# Colours reused across demos so that "class 0", "class 1", "fit" mean the same everywhere.
CLASS_COLOURS = ("#1f77b4", "#d62728")


def add_common_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Add the options every demo takes: --out, --seed, --quick, --quiet."""
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out") / name,
        metavar="DIR",
        help=f"folder for the pictures and files (default: out/{name})",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller, faster run (what the test suite uses)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bars (they are also off when stderr is not a terminal)",
    )


def positive_int(text: str) -> int:
    """argparse type: an int >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0."""
    value = float(text)
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """argparse type: a finite float >= 0."""
    value = float(text)
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def show_progress(quiet: bool) -> bool:
    """Progress bars only for a person watching: not with --quiet, not into a file or pipe."""
    return not quiet and sys.stderr.isatty()


def output_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder (and its parents) if needed and return it."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def new_figure(figsize: tuple[float, float], **kwargs: Any) -> Figure:
    """A matplotlib Figure drawn by the Agg canvas: no pyplot, no backend chosen globally.

    Like ``nn.History.plot``: the figure is not registered with pyplot, so nothing needs
    closing and an application's (a notebook's, say) matplotlib setup is left alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, **kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG, atomically."""
    return write_atomically(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def save_graph(
    graph: Value | graphviz.Graph | graphviz.Digraph | graphviz.Source,
    path: str | os.PathLike[str],
    **draw_options: Any,
) -> Path:
    """Render a graph (a Value or a ``draw`` result) to ``path``; DOT text if ``dot`` is missing.

    ``path`` without an extension means SVG.  Only a missing Graphviz ``dot`` program
    (``graphviz.ExecutableNotFound``) falls back to writing the DOT source, to ``path`` with
    the extension ``.dot``; any other failure of ``dot`` is raised.  ``draw_options`` are
    passed to ``autograd.render.draw`` when ``graph`` is a Value.
    """
    import graphviz

    from autograd.render import draw, save

    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(".svg")
    if isinstance(graph, Value):
        graph = draw(graph, **draw_options)
    elif draw_options:
        raise TypeError("save_graph: draw options can only be given with a Value, not a graph")
    try:
        return save(graph, target)
    except graphviz.ExecutableNotFound:  # no Graphviz `dot` program: keep the text form
        return save_text(graph.source, target.with_suffix(".dot"))


def save_text(text: str, path: Path) -> Path:
    """Write a text file atomically."""
    return write_atomically(path, text)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table with right-aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def intro(doc: str | None) -> str:
    """A demo's module docstring, as printed before it runs (it explains the lecture idea)."""
    return textwrap.dedent(doc or "").strip()
