"""Command line: ``python -m demos`` lists the demos, ``python -m demos NAME`` runs one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import DEMOS, load
from ._common import (
    add_common_arguments,
    dot_fallback_note,
    install_hint,
    intro,
    missing_requirements,
    output_dir,
    show_progress,
)

PROG = "python -m demos"


def listing() -> str:
    """One line per demo, then how to run one."""
    width = max(len(name) for name in DEMOS)
    lines = ["Demos (run one with: python -m demos NAME [--quick] [--out DIR] [--seed N]):", ""]
    lines += [f"  {name:<{width}}  {text}" for name, text in DEMOS.items()]
    lines += ["", "Options of one demo: python -m demos NAME --help"]
    return "\n".join(lines)


def build_parser(name: str, module: Any) -> argparse.ArgumentParser:
    """The argument parser of one demo: the common options plus the demo's own."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} {name}",
        description=intro(module.__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_arguments(parser, name)
    add_arguments = getattr(module, "add_arguments", None)
    if add_arguments is not None:
        add_arguments(parser)
    return parser


def run_demo(name: str, argv: Sequence[str]) -> int:
    """Parse one demo's options, run it, print its report and where its files are.

    Bad options are argparse errors (exit 2).  A missing optional package, an output folder
    that cannot be written, and a failed training or rendering (a diverging loss, ``dot``
    failing) print one line, ``python -m demos NAME: error: ...``, to stderr and return 1.
    The first two are checked before the demo starts, so nothing is computed in vain.
    """
    module = load(name)
    args = build_parser(name, module).parse_args(list(argv))
    options = vars(args)
    out, seed, quick = options.pop("out"), options.pop("seed"), options.pop("quick")
    progress = show_progress(options.pop("quiet"))
    missing = missing_requirements(module.REQUIRES)
    if missing:
        return _fail(name, install_hint(missing))
    try:
        output_dir(out)
        print(intro(module.__doc__))
        print()
        result = module.run(out, seed=seed, quick=quick, progress=progress, **options)
    except (OSError, ValueError, ArithmeticError, RuntimeError) as error:
        return _fail(name, _one_line(error))
    print(module.report(result))
    print()
    files = getattr(result, "files", [])
    print(f"Files written to {Path(out)}/:")
    for path in files:
        print(f"  {path}")
    note = dot_fallback_note(files)
    if note is not None:
        print()
        print(note)
    return 0


def _fail(name: str, message: str) -> int:
    print(f"{PROG} {name}: error: {message}", file=sys.stderr)
    return 1


def _one_line(error: BaseException) -> str:
    """The error's message on one line: an OSError as "path: reason", others as they read."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m demos`` and of the ``lecturegrad-demo`` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("list", "--list", "-l"):
        print(listing())
        return 0
    if args[0] in ("-h", "--help"):
        print(f"usage: {PROG} [NAME [options]]\n")
        print(listing())
        return 0
    name = args[0]
    if name not in DEMOS:
        print(f"{PROG}: unknown demo {name!r}\n", file=sys.stderr)
        print(listing(), file=sys.stderr)
        return 2
    return run_demo(name, args[1:])


if __name__ == "__main__":
    sys.exit(main())
