"""The README's Python examples run as written, and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)

# A call that renders a picture (save(graph, "graph.svg"), graph.render(...), .pipe(...),
# .view(...)) runs Graphviz's dot; writing DOT text or JSON does not.
RENDERS = re.compile(r"\b(?:save|render|pipe|view)\(.*\b(?:svg|png|pdf)\b")


def needs_dot(block: str) -> bool:
    """Whether a README example runs Graphviz's ``dot`` program."""
    return RENDERS.search(block) is not None


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 5
    assert any(map(needs_dot, BLOCKS))  # the drawing example is recognised


def test_needs_dot_tells_rendering_from_other_files() -> None:
    assert needs_dot('save(graph, "graph.svg")     # or .png')
    assert needs_dot('graph.pipe(format="png")')
    assert not needs_dot('save(graph, "graph.dot")')
    assert not needs_dot('model.save("xor.json")\nhistory.plot("xor-loss.png")')


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if needs_dot(BLOCKS[index]):
        request.getfixturevalue("graphviz_dot")  # skips without dot (fails under CI)
    monkeypatch.chdir(tmp_path)  # examples may write files
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(BLOCKS[index], f"README.md python block {index + 1}", "exec"), {})
    # A line like `print(f"{g.data:.4f}")  # 24.7041, ...` promises what it prints.
    promised = re.findall(r"^print\(.*\)\s+# (\S+?),", BLOCKS[index], re.M)
    assert printed.getvalue().split() == promised
