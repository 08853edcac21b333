"""The command line: python -m autograd "formula" name=value ... [-o graph.svg]."""

from __future__ import annotations

import errno
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from autograd import PRIMITIVES, Value, grad
from autograd.cli import FUNCTIONS, main

REPO = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """main(argv) in-process: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def gradients(stdout: str) -> dict[str, tuple[float, float]]:
    """name -> (value, gradient) from the printed input lines."""
    found = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\w+) = (\S+)\s+grad = (\S+)", line)
        if m:
            found[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return found


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in an empty folder, so stray files would be noticed."""
    monkeypatch.chdir(tmp_path)


# --- results and gradients ----------------------------------------------------------------------


def test_prints_the_result_and_each_inputs_value_and_gradient(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "tanh(a*b + c)", "a=2", "b=-3", "c=10")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    t = math.tanh(2 * -3 + 10)
    assert lines[0] == f"tanh(a*b + c) = {t!r}"
    found = gradients(out)
    assert list(found) == ["a", "b", "c"]
    assert found["a"] == (2.0, pytest.approx((1 - t * t) * -3, rel=1e-12))
    assert found["b"] == (-3.0, pytest.approx((1 - t * t) * 2, rel=1e-12))
    assert found["c"] == (10.0, pytest.approx(1 - t * t, rel=1e-12))


def test_gradients_agree_with_autograd_grad(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "x**y / sqrt(x) + sin(x*y) - 3*relu(-y)", "x=1.7", "y=-0.4")
    assert code == 0
    x, y = Value(1.7), Value(-0.4)
    f = x**y / x.sqrt() + (x * y).sin() - 3 * (-y).relu()
    dx, dy = grad(f, [x, y])
    found = gradients(out)
    assert found["x"][1] == dx  # printed with repr: exact
    assert found["y"][1] == dy
    assert out.splitlines()[0].endswith(f" = {f.data!r}")


def test_the_function_whitelist_is_every_one_operand_primitive() -> None:
    unary = {name for name, p in PRIMITIVES.items() if p.arity == 1}
    assert set(FUNCTIONS) == unary
    assert set(FUNCTIONS) >= {"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu"}
    assert set(FUNCTIONS) >= {"hard_sigmoid", "abs"}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_can_be_called(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, err = run(capsys, f"{name}(x)", "x=0.7")
    assert (code, err) == (0, "")
    x = Value(0.7)
    y = getattr(x, name)()
    assert out.splitlines()[0] == f"{name}(x) = {y.data!r}"
    assert gradients(out)["x"][1] == grad(y, [x])[0]


def test_numbers_alone_are_computed_by_the_engines_rules(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "2**0.5 * 3 + exp(0)")
    assert code == 0
    assert out.splitlines() == [f"2**0.5 * 3 + exp(0) = {2**0.5 * 3 + 1.0!r}"]


def test_unused_inputs_get_a_zero_gradient_and_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "a*2", "a=1", "unused=5")
    assert code == 0
    assert gradients(out)["unused"] == (5.0, 0.0)
    assert "not in the formula" in out


def test_a_formula_starting_with_minus_goes_after_double_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--", "-x * log(y)", "x=2", "y=3")
    assert code == 0
    assert gradients(out)["x"] == (2.0, pytest.approx(-math.log(3)))


@pytest.mark.parametrize(
    "argv",
    [
        ["--", "-x**2", "x=3"],
        ["-o", "g.dot", "--", "-x**2", "x=3"],
        ["--output=g.dot", "--", "-x**2", "x=3"],
        ["-og.dot", "--", "-x**2", "x=3"],
        ["--digits", "3", "--no-legend", "--", "-x**2", "x=3"],
        ["--max", "none", "--", "-x**2", "x=3"],  # argparse's abbreviations still work
        ["--", "-x**2", "--", "x=3"],  # only the first -- ends the options
    ],
)
def test_a_formula_may_start_with_minus_after_double_dash(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "-x**2 = -9.0"
    assert gradients(out) == {"x": (3.0, -6.0)}


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["--", "-3*x", "x=2"], "-3*x = -6.0"),
        (["-3"], "-3 = -3.0"),  # argparse reads a negative number as an argument
        (["-x * 2", "x=1"], "-x * 2 = -2.0"),  # and so is anything with a space
        (["--", "-omega", "omega=2"], "-omega = -2.0"),  # not -o with the file "mega"
        (["--", "-o*1.e5", "o=1"], "-o*1.e5 = -100000.0"),
        (["--", "-hx", "hx=2"], "-hx = -2.0"),
        (["--rankdir", "TB", "--", "-tanh(x)", "x=0"], "-tanh(x) = -0.0"),
    ],
)
def test_formulas_starting_with_minus_that_look_like_options(
    capsys: pytest.CaptureFixture[str], argv: list[str], first_line: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == first_line
    assert list(Path().iterdir()) == []


HINT = 'a formula that starts with "-" goes after "--", as in: -- "-x**2" x=3'


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["-x**2", "x=3"], "unrecognized arguments: -x**2"),
        (["-x**2", "--", "x=3"], "unrecognized arguments: -x**2"),
        (["-o", "g.dot", "-x", "x=1"], "unrecognized arguments: -x"),
        (["-3*x", "x=2", "--rankdir", "TB"], "unrecognized arguments: -3*x"),
        (["-x"], "the following arguments are required: formula"),
    ],
)
def test_a_minus_formula_without_double_dash_is_a_usage_error_with_a_hint(
    capsys: pytest.CaptureFixture[str], argv: list[str], error: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    last = err.splitlines()[-1]
    assert last.startswith(f"python -m autograd: error: {error}")
    assert last.endswith(f"; {HINT}")  # one line: argparse's error, then the hint
    assert list(Path().iterdir()) == []


@pytest.mark.parametrize("argv", [[], ["--bogus", "x", "x=1"], ["x", "x=1", "-o"]])
def test_other_usage_errors_have_no_minus_hint(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "error: " in err and HINT not in err


def test_options_after_double_dash_are_inputs_and_are_refused_with_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--", "-x", "x=1", "-o", "g.dot")
    assert (code, out) == (2, "")
    assert err == (
        "python -m autograd: error: expected an input as NAME=NUMBER, got '-o'; "
        "options go before --\n"
    )
    assert list(Path().iterdir()) == []


def test_a_formula_starting_with_minus_can_be_drawn(
    capsys: pytest.CaptureFixture[str], graphviz_dot: str
) -> None:
    code, out, err = run(capsys, "-o", "out.svg", "--", "-x", "x=1")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["-x = -1.0", "x = 1.0   grad = -1.0", "wrote out.svg"]
    assert Path("out.svg").read_bytes().startswith(b"<?xml")


def test_minus_formula_with_a_dot_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-o", "out.dot", "--", "-x", "x=1")
    assert code == 0
    assert out.splitlines()[-1] == "wrote out.dot"
    assert "{ -x | data -1 | grad 1 }" in Path("out.dot").read_text()


def test_help_still_works_around_a_minus_formula(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["-h"], ["-x", "--help"], ["--help", "-x"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0
        assert out.startswith("usage: python -m autograd")


def test_options_and_inputs_may_be_mixed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "x*y", "x=2", "-o", "g.dot", "y=3")
    assert code == 0
    assert gradients(out) == {"x": (2.0, 3.0), "y": (3.0, 2.0)}
    assert Path("g.dot").exists()


def test_a_long_formula_is_evaluated_without_recursion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "+".join(["a"] * 1000), "a=1")  # a graph 1000 deep
    assert code == 0
    assert gradients(out)["a"] == (1.0, 1000.0)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "usage: python -m autograd" in out
    for word in ("NAME=NUMBER", "--output", "exit codes", "hard_sigmoid", ".png", '-- "-x'):
        assert word in out


# --- output files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".svg", b"<?xml"), (".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"), (".dot", b"digraph")],
)
def test_writes_the_graph_in_the_format_of_the_extension(
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest, suffix: str, magic: bytes
) -> None:
    if suffix != ".dot":
        request.getfixturevalue("graphviz_dot")
    code, out, err = run(capsys, "tanh(a*b + c)", "a=2", "b=-3", "c=10", "-o", f"out/g{suffix}")
    assert (code, err) == (0, "")
    path = Path("out") / f"g{suffix}"
    assert out.splitlines()[-1] == f"wrote {path}"
    data = path.read_bytes()
    assert data.startswith(magic)
    if suffix == ".svg":
        nodes = [g for g in ET.fromstring(data).iter(f"{SVG}g") if g.get("class") == "node"]
        assert len(nodes) == 6 + 3 + 1  # Values, operations, legend
    if suffix == ".dot":
        text = data.decode()
        for name, value in (("a", "2"), ("b", "-3"), ("c", "10")):  # input names are labels
            assert f"{{ {name} | data {value} | grad " in text
        assert "{ tanh(a*b + c) | data 0.9993 | grad 1 }" in text  # the root shows the formula


def test_drawing_options_reach_the_graph(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["a/3", "a=1", "-o", "g.dot", "--digits", "2", "--rankdir", "TB", "--no-legend"]
    code, _, _ = run(capsys, *argv)
    assert code == 0
    text = Path("g.dot").read_text()
    assert "rankdir=TB" in text
    assert "a | data 1 | grad 0.33" in text
    assert "legend" not in text


def test_too_many_nodes_for_max_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "a+a+a+a", "a=1", "-o", "g.dot", "--max-nodes", "3")
    assert code == 2
    assert "4 nodes" in err and "--max-nodes none" in err
    assert not Path("g.dot").exists()
    assert run(capsys, "a+a+a+a", "a=1", "-o", "g.dot", "--max-nodes", "none")[0] == 0


def test_unknown_extension_is_refused_before_computing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "a", "a=1", "-o", "graph.jpg")
    assert code == 2
    assert out == ""
    assert ".svg, .png, .pdf, .dot" in err


def test_missing_dot_exits_1_with_install_instructions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = run(capsys, "a*2", "a=1", "-o", "g.svg")
    assert code == 1
    assert "sudo apt-get install graphviz" in err and "brew install graphviz" in err
    assert not Path("g.svg").exists()
    assert run(capsys, "a*2", "a=1", "-o", "g.dot")[0] == 0  # .dot needs no Graphviz


def test_a_render_timeout_exits_1_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd import render

    def too_slow(*args: object, **kwargs: object) -> None:
        raise render.RenderTimeout("save: Graphviz's dot ran for more than 60 seconds")

    monkeypatch.setattr(render, "save", too_slow)
    code, out, err = run(capsys, "a*2", "a=1", "-o", "g.svg")
    assert code == 1
    assert "grad" in out  # the results were printed before the drawing failed
    assert err == (
        "python -m autograd: error: cannot write 'g.svg': save: Graphviz's dot ran for more "
        "than 60 seconds\n"
    )


def test_timeout_reaches_save_and_is_checked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd import render

    seen: list[object] = []

    def recording_save(*args: object, timeout: object = None, **kwargs: object) -> None:
        seen.append(timeout)

    monkeypatch.setattr(render, "save", recording_save)
    assert run(capsys, "a*2", "a=1", "-o", "g.svg")[0] == 0
    assert run(capsys, "a*2", "a=1", "-o", "g.svg", "--timeout", "2.5")[0] == 0
    assert run(capsys, "a*2", "a=1", "-o", "g.svg", "--timeout", "none")[0] == 0
    assert seen == [render.DEFAULT_TIMEOUT, 2.5, None]
    for bad in ("0", "-1", "soon", "inf"):
        code, _, err = run(capsys, "a*2", "a=1", "-o", "g.svg", "--timeout", bad)
        assert code == 2 and "argument --timeout: the value must be a" in err
    assert len(seen) == 3  # nothing was drawn for the bad ones


def test_a_file_in_the_way_exits_1_with_a_clear_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path("blocker").write_text("a file")
    for target in ("blocker/g.dot", "blocker/sub/g.dot"):
        code, _, err = run(capsys, "a*2", "a=1", "-o", target)
        assert code == 1
        assert err == (
            f"python -m autograd: error: cannot write {target!r}: 'blocker' is a file, "
            "not a folder\n"
        )
    Path("folder.dot").mkdir()
    code, _, err = run(capsys, "a*2", "a=1", "-o", "folder.dot")
    assert code == 1
    assert "cannot write 'folder.dot': it is a folder" in err
    assert "tmp" not in err  # the temporary file's name is not shown
    assert sorted(p.name for p in Path().iterdir()) == ["blocker", "folder.dot"]


def test_a_folder_that_cannot_be_made_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a user who is not root gets for -o /nonexistent/g.svg.
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "/nonexistent")

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, out, err = run(capsys, "a*2", "a=1", "-o", "/nonexistent/g.dot")
    assert code == 1
    assert "grad" in out  # the results were printed before the drawing failed
    assert err == (
        "python -m autograd: error: cannot write '/nonexistent/g.dot': Permission denied "
        "('/nonexistent')\n"
    )


def test_a_read_only_folder_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated, because root (as in CI) may write into a read-only folder.
    Path("locked").mkdir()
    real_open = os.open

    def deny_in_locked(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent.name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny_in_locked)
    code, _, err = run(capsys, "a*2", "a=1", "-o", "locked/g.dot")
    assert code == 1
    assert "cannot write 'locked/g.dot': Permission denied (in the folder 'locked')" in err


def test_long_formulas_and_input_lists_are_shortened_in_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    many = [f"x{i}=1" for i in range(1000)]
    code, _, err = run(capsys, "y", *many)
    assert code == 2
    assert "the name 'y' has no value" in err and "x1, x2" in err and "..." in err
    assert len(err) < 400
    code, _, err = run(capsys, "a + " * 1000 + ")", "a=1")
    assert code == 2
    assert "invalid formula" in err and len(err) < 200


# --- refused formulas and inputs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("__import__('os').system('echo hi')", "calling anything but the functions listed"),
        ("__import__('os')", "unknown function __import__"),
        ("a.__class__", "attribute access"),
        ("[x for x in ()]", "comprehensions"),
        ("lambda: 1", "lambda"),
        ("open('f', 'w')", "unknown function open"),
        ("a[0]", "indexing"),
        ("foo + a", "'foo' has no value"),
        ("exp", "exp is a function"),
        ("exp(a, a)", "exactly one argument"),
        ("exp(x=a)", "one plain argument"),
        ("exp(*a)", "one plain argument"),
        ("'text' + a", "str constants"),
        ("True + a", "bool constants"),
        ("1j * a", "complex constants"),
        ("a % 2", "operator %"),
        ("a // 2", "operator //"),
        ("not a", "operator not"),
        ("a < 2", "comparisons"),
        ("a if a else 2", "conditional"),
        ("(b := a)", "assignments"),
        ("f'{a}'", "f-strings"),
        ("(a, a)", "tuples"),
        ("a +", "invalid formula"),
        ("import os", "invalid formula"),
        ("", "empty"),
        ("1e999 * a", "too large"),
        ("(" * 300 + "a" + ")" * 300, "invalid formula"),
        ("-" * 100_000 + "a", "too long or too deeply nested"),
        ("log(-1) + a.__class__", "attribute access"),  # refused before anything is computed
    ],
)
def test_hostile_or_malformed_formulas_exit_2(
    capsys: pytest.CaptureFixture[str], formula: str, message: str
) -> None:
    code, out, err = run(capsys, "--", formula, "a=1")
    assert code == 2
    assert out == ""
    assert err.startswith("python -m autograd: error: ")
    assert message in err
    assert list(Path().iterdir()) == []  # nothing was written


def test_refusal_names_what_is_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "a.__class__", "a=1")
    assert "'a.__class__'" in err
    assert "+ - * / **" in err and "tanh" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["a", "a=foo"], "'a=foo': a must be a real number, got 'foo'"),
        (["a", "a="], "'a=': a must be a real number, got ''"),
        (["a + b", "a=1"], "the name 'b' has no value: add b=NUMBER"),
        (["a", "a=1", "a=2"], "input 'a' is given twice (a=1 and a=2)"),
        (["a", "a"], "expected an input as NAME=NUMBER"),
        (["a", "1a=2"], "not a valid input name"),
        (["a", "lambda=2"], "not a valid input name"),
        (["a", "exp=2"], "name of a function"),
        (["a", "a=nan"], "'a=nan': a must be a finite number, got nan"),
        (["a", "a=-inf"], "'a=-inf': a must be a finite number, got -inf"),
        (["a", "a=1", "--max-nodes", "0"], "argument --max-nodes: the value must be >= 1, got 0"),
        (["a", "a=1", "--max-nodes", "all"], "--max-nodes: the value must be an int, got 'all'"),
        (["a", "a=1", "--digits", "0"], "argument --digits: invalid choice: 0"),
        (["a", "a=1", "--digits", "18"], "argument --digits: invalid choice: 18"),
        (["a", "a=1", "--digits", "2.5"], "argument --digits: the value must be an int, got '2.5'"),
        (["a", "a=1", "--rankdir", "XY"], "invalid choice"),
        ([], "required"),
        (["--rankdir", "XY", "--", "-x", "x=1"], "invalid choice"),
        (["--bogus", "x", "x=1"], "unrecognized arguments: --bogus"),
        (["-o", "-x", "x=1"], "expected one argument"),
        (["-ograph.jpg", "--", "-x", "x=1"], "cannot tell the format of 'graph.jpg'"),
        (["--", "-x.__class__", "x=1"], "attribute access"),
        (["--", "-__import__('os').system('echo hi')"], "calling anything but the functions"),
        (["-"], "invalid formula"),
    ],
)
def test_bad_inputs_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert list(Path().iterdir()) == []  # nothing was written


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["log(a)", "a=-1"], "log: the operand must be > 0"),
        (["1/a", "a=0"], "division by zero"),
        (["1/0"], "division by zero"),
        (["exp(a)", "a=1000"], "exp: the result overflows"),
        (["a**0.5", "a=-4"], "pow: a negative base"),
        (["(-8)**(1/3)"], "pow: a negative base"),
        (["10.0**400"], "overflows"),
        (["1e308 * 10"], "overflows"),
        (["sqrt(x)", "x=0"], "sqrt: the derivative"),
    ],
)
def test_domain_errors_exit_1(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert out == ""
    assert err.startswith("python -m autograd: error: ")
    assert message in err
    assert "Traceback" not in err


# --- as a program -------------------------------------------------------------------------------


def test_python_dash_m_autograd(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "autograd", "tanh(a*b + c)", "a=2", "b=-3", "c=10"]
    result = subprocess.run(
        [*argv, "-o", "graph.dot"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    t = math.tanh(4.0)
    assert gradients(result.stdout)["c"] == (10.0, pytest.approx(1 - t * t))
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")

    refused = subprocess.run(
        [sys.executable, "-m", "autograd", "__import__('os').system('echo hi')"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "hi" not in refused.stdout
    assert "error" in refused.stderr


def program(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """python -m autograd ARGV in ``tmp_path``."""
    return subprocess.run(
        [sys.executable, "-m", "autograd", *argv],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        errors="replace",
    )


def test_the_program_takes_a_minus_formula_after_double_dash(tmp_path: Path) -> None:
    result = program(tmp_path, "--", "-x**2", "x=3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "-x**2 = -9.0"
    assert gradients(result.stdout) == {"x": (3.0, -6.0)}
    refused = program(tmp_path, "-x**2", "x=3")
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.splitlines()[-1] == (
        f"python -m autograd: error: unrecognized arguments: -x**2; {HINT}"
    )


def test_the_program_reports_unwritable_output_without_a_traceback(
    tmp_path: Path, graphviz_dot: str
) -> None:
    (tmp_path / "blocker").write_text("a file")
    result = program(tmp_path, "a*2", "a=1", "-o", "blocker/g.svg")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "'blocker' is a file, not a folder" in result.stderr


def test_the_program_escapes_what_the_terminal_cannot_show(tmp_path: Path) -> None:
    result = program(tmp_path, "π*2", "π=1", PYTHONIOENCODING="ascii")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "\\u03c0*2 = 2.0"


def test_the_program_is_quiet_when_the_reader_stops_early(tmp_path: Path) -> None:
    many = [f"x{i}=1" for i in range(20000)]  # more output than a pipe holds
    with subprocess.Popen(
        [sys.executable, "-m", "autograd", "x0", *many],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # like | head -1
        err = process.stderr.read().decode()
        code = process.wait()
    assert code in (0, 1)
    assert "Traceback" not in err and "BrokenPipeError" not in err
