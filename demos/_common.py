"""What every demo shares: command-line options, output folders, figures, saving files."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd import Value
from autograd.checks import option, parse_integer
from autograd.files import write_atomically

if TYPE_CHECKING:
    import graphviz
    from matplotlib.figure import Figure

__all__ = [
    "add_common_arguments",
    "add_network_arguments",
    "OutputFolderError",
    "missing_requirements",
    "install_hint",
    "OPTIONAL_PACKAGES",
    "dot_fallback_note",
    "output_dir",
    "plot_extent",
    "grid_axes",
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

OPTIONAL_PACKAGES: dict[str, tuple[str, str]] = {
    "matplotlib": ("matplotlib", "demos"),
    "sklearn": ("scikit-learn", "demos"),
    "torch": ("torch", "torch"),
}
"""Each module a demo may list in ``REQUIRES``: the name pip knows it by, and our extra that
installs it (setup.cfg's ``[options.extras_require]``)."""

def add_common_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Add the options every demo takes: --out, --seed, --quick, --quiet."""
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out") / name,
        metavar="DIR",
        help=f"folder for the pictures and files (default: out/{name})",
    )
    parser.add_argument(
        "--seed",
        type=option(parse_integer, minimum=0),
        default=0,
        help="random seed, an int >= 0 (default: 0)",
    )
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


def add_network_arguments(parser: argparse.ArgumentParser, *, hidden: str, epochs: str) -> None:
    """Add --hidden WIDTH... and --epochs N, for the lessons that train an MLP.

    ``hidden`` and ``epochs`` are their help texts (each lesson has its own defaults).
    """
    parser.add_argument(
        "--hidden",
        type=option(parse_integer, minimum=1),
        nargs="+",
        default=None,
        metavar="WIDTH",
        help=hidden,
    )
    parser.add_argument(
        "--epochs", type=option(parse_integer, minimum=1), default=None, help=epochs
    )


def show_progress(quiet: bool) -> bool:
    """Progress bars only for a person watching: not with --quiet, not into a file or pipe."""
    return not quiet and sys.stderr.isatty()


class OutputFolderError(OSError):
    """The output folder cannot be created or written to; the message says which and why."""


def output_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder (and its parents) if needed, check it is writable, return it.

    Raises ``OutputFolderError`` (an ``OSError``) before any work is done when ``path`` is a
    file, or cannot be created, or refuses a new file.  Writing a throwaway file is the only
    reliable test: ``os.access`` says yes to root on a read-only mount such as ``/sys``.
    """
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputFolderError(f"the output folder {out} is a file, not a folder") from None
    except OSError as error:
        raise OutputFolderError(
            f"cannot create the output folder {out}: {error.strerror or error}"
        ) from None
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise OutputFolderError(
            f"cannot write to the output folder {out}: {error.strerror or error}"
        ) from None
    return out


def missing_requirements(requires: Iterable[str]) -> list[str]:
    """The modules among ``requires`` (a demo's ``REQUIRES``) that cannot be imported."""
    return [name for name in requires if importlib.util.find_spec(name) is None]


def install_hint(missing: Sequence[str]) -> str:
    """What a demo says when modules are missing: their pip names and the extras to install.

    E.g. "this demo needs torch: pip install 'lecturegrad[torch]'"; several packages read
    "a, b and c", several extras "lecturegrad[demos,torch]".  Every name must be a key of
    ``OPTIONAL_PACKAGES``.
    """
    packages = [OPTIONAL_PACKAGES[name][0] for name in missing]
    needs = " and ".join([", ".join(packages[:-1]), packages[-1]] if packages[:-1] else packages)
    extras = ",".join(dict.fromkeys(OPTIONAL_PACKAGES[name][1] for name in missing))
    return f"this demo needs {needs}: pip install 'lecturegrad[{extras}]'"


def dot_fallback_note(files: Iterable[Path]) -> str | None:
    """What to say when graphs were written as DOT text (no Graphviz), or None if none were."""
    dots = [path.name for path in files if path.suffix == ".dot"]
    if not dots:
        return None
    from autograd.render import INSTALL_COMMANDS

    example = Path(dots[0])
    return "\n".join(
        [
            "Graphviz's dot program was not found, so the graphs are DOT text, not SVG pictures:",
            f"{', '.join(dots)}.  To get the pictures, install Graphviz",
            INSTALL_COMMANDS,
            "and run the demo again, or turn a file into a picture:",
            f"  dot -Tsvg {example} -o {example.with_suffix('.svg')}",
        ]
    )


def plot_extent(
    points: Sequence[Sequence[float]], pad: float = 0.3
) -> tuple[float, float, float, float]:
    """(x_lo, x_hi, y_lo, y_hi): the points' bounding box with ``pad`` around it, for plots."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad


def grid_axes(extent: Sequence[float], resolution: int) -> tuple[list[float], list[float]]:
    """A plot grid's x and y coordinates over ``extent``: ``resolution`` of each, corners
    included."""
    x_lo, x_hi, y_lo, y_hi = extent
    gx = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    gy = [y_lo + (y_hi - y_lo) * j / (resolution - 1) for j in range(resolution)]
    return gx, gy


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
    (``graphviz.ExecutableNotFound``, which ``autograd.render.GraphvizNotFound`` subclasses)
    falls back to writing the DOT source, to ``path`` with the extension ``.dot``;
    ``dot_fallback_note`` then tells the user.  Any other failure of ``dot`` is raised, a
    time-out included: the demos' graphs have a few dozen nodes, so a ``dot`` that runs out
    of time is broken or starved, and ``python -m demos`` reports it as one line, exit 1.
    ``draw_options`` are passed to ``autograd.render.draw`` when ``graph`` is a Value.
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
