"""Command line: ``python -m demos`` lists the demos, ``python -m demos NAME`` runs one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import DEMOS, load
from ._common import add_common_arguments, intro, show_progress

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
    """Parse one demo's options, run it, print its report and where its files are."""
    module = load(name)
    args = build_parser(name, module).parse_args(list(argv))
    options = vars(args)
    out, seed, quick = options.pop("out"), options.pop("seed"), options.pop("quick")
    progress = show_progress(options.pop("quiet"))
    print(intro(module.__doc__))
    print()
    result = module.run(out, seed=seed, quick=quick, progress=progress, **options)
    print(module.report(result))
    print()
    files = getattr(result, "files", [])
    print(f"Files written to {Path(out)}/:")
    for path in files:
        print(f"  {path}")
    return 0


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
