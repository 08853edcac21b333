"""What every demo shares: command-line options, output folders, plotting setup, saving files."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from autograd.files import write_atomically

__all__ = [
    "add_common_arguments",
    "positive_int",
    "positive_float",
    "non_negative_float",
    "output_dir",
    "pyplot",
    "save_figure",
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


def pyplot() -> Any:
    """Import matplotlib.pyplot with the non-interactive Agg backend (no display needed)."""
    import matplotlib

    # The backend must be chosen before pyplot is first imported; leave it alone if an
    # application (a notebook, say) already imported pyplot with its own backend.
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG (atomically) and close it."""
    plt = pyplot()
    try:
        write_atomically(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))
    finally:
        plt.close(fig)
    return path


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
