"""Writing files atomically: every file this project writes goes through ``write_atomically``."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(
    path: str | os.PathLike[str],
    content: bytes | bytearray | memoryview | str | Callable[[Path], object],
) -> Path:
    """Write ``content`` to ``path`` so that readers see the old file or the new, never half.

    ``content`` is bytes, text (UTF-8), or a function that writes a given temporary path
    (e.g. ``lambda tmp: fig.savefig(tmp, format="png")``).  The data goes to a temporary file
    beside ``path``, is flushed to disk, then renamed over ``path`` (``os.replace`` is atomic
    on one file system).  Missing parent folders are created.
    """
    if isinstance(content, str):
        content = content.encode("utf-8")
    elif not isinstance(content, (bytes, bytearray, memoryview)) and not callable(content):
        raise TypeError(
            "write_atomically: content must be bytes, str or a function that writes a path, "
            f"got {type(content).__name__}"
        )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkstemp: its files are private (0600); this one gets the umask's mode,
    # like any file the user creates.  The suffix stays last so writers that look at it
    # (matplotlib) still work.
    # The stem is cut so that a name near the file system's 255-byte limit still fits.
    temporary = target.with_name(
        f".{target.stem[:64]}.{secrets.token_hex(4)}.tmp{target.suffix[:16]}"
    )
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
        with os.fdopen(fd, "wb") as file:
            if not callable(content):
                file.write(content)
        if callable(content):  # it writes the temporary file itself
            content(temporary)
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):  # keep the original error, not the cleanup's
            temporary.unlink(missing_ok=True)
        raise
    return target
