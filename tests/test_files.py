"""write_atomically: the one place where the project writes files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from autograd.files import write_atomically


def test_writes_bytes_text_and_callables(tmp_path: Path) -> None:
    assert write_atomically(tmp_path / "a.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert write_atomically(tmp_path / "b.txt", "héllo").read_text(encoding="utf-8") == "héllo"
    target = write_atomically(tmp_path / "c.txt", lambda tmp: tmp.write_text("via callable"))
    assert target.read_text() == "via callable"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt", "c.txt"]


def test_creates_parent_folders_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "file.txt"
    write_atomically(path, "one")
    write_atomically(path, "two")
    assert path.read_text() == "two"


def test_mode_follows_the_umask_not_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_atomically(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = write_atomically(tmp_path / "model.json", "old")

    def crash(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, crash)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_a_name_near_the_length_limit_still_works(tmp_path: Path) -> None:
    name = "n" * 250 + ".json"  # 255 bytes: the longest name most file systems allow
    assert write_atomically(tmp_path / name, "ok").read_text() == "ok"


def test_other_content_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    assert write_atomically(tmp_path / "b.bin", bytearray(b"hi")).read_bytes() == b"hi"
    with pytest.raises(TypeError, match="write_atomically: content must be"):
        write_atomically(tmp_path / "n.txt", 123)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin"]
