"""``python -m autograd``: the command line of ``autograd.cli``."""

import os
import sys

from autograd.cli import main


def run() -> int:
    """Run the command line as a program: unprintable text is escaped, a closed pipe is quiet."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:  # e.g. a formula with π on an ASCII terminal
            reconfigure(errors="backslashreplace")
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # python -m autograd ... | head -1
        # Python flushes stdout again at exit; point it at devnull so that flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1
    return code


if __name__ == "__main__":
    raise SystemExit(run())
