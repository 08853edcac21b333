"""Smoke tests of the demos: each quick run's *results*, its files, and the command line."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

import autograd
import demos
from autograd import Value
from demos import _common, backprop, batches, datasets, deep, gradient_descent, model_bias
from demos.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HAVE_DOT = shutil.which("dot") is not None


def assert_png(path: Path) -> None:
    assert path.suffix == ".png"
    assert path.read_bytes()[:8] == PNG_MAGIC, f"{path} is not a PNG"


def assert_graph_file(path: Path) -> None:
    """With Graphviz's dot: an SVG that parses as XML.  Without it: the DOT source."""
    if HAVE_DOT:  # a .dot file here would mean rendering failed, not that dot is missing
        assert path.suffix == ".svg", path
        assert ET.parse(path).getroot().tag.endswith("svg")
        assert not path.with_suffix(".dot").exists()
    else:
        assert path.suffix == ".dot", path
        assert path.read_text().startswith("digraph")


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH on which Graphviz's dot program cannot be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def broken_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH whose dot program exists but fails (as a real dot does on bad input)."""
    bin_dir = tmp_path / "broken-bin"
    bin_dir.mkdir()
    dot = bin_dir / "dot"
    dot.write_text("#!/bin/sh\necho 'Error: dot is broken' >&2\nexit 1\n")
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


# --- data sets ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(datasets.DATASETS))
def test_datasets_are_seeded_balanced_and_centred(name: str) -> None:
    make = datasets.DATASETS[name]
    xs, ys = make(101, seed=3)
    assert (xs, ys) == make(101, seed=3)
    assert (xs, ys) != make(101, seed=4)
    assert len(xs) == len(ys) == 101
    assert all(len(p) == 2 and all(math.isfinite(v) for v in p) for p in xs)
    assert sorted(set(ys)) == [0, 1] and abs(ys.count(0) - ys.count(1)) <= 1
    assert all(abs(v) < 2.5 for p in xs for v in p)


def test_split_is_a_seeded_partition() -> None:
    xs, ys = datasets.two_moons(100, seed=0)
    train_x, train_y, test_x, test_y = datasets.split(xs, ys, held_out=0.3, seed=1)
    assert len(test_x) == 30 and len(train_x) == 70
    assert sorted(map(tuple, train_x + test_x)) == sorted(map(tuple, xs))
    assert len(train_y) == 70 and len(test_y) == 30
    assert (train_x, test_x) == datasets.split(xs, ys, held_out=0.3, seed=1)[::2]
    with pytest.raises(ValueError, match="split: held_out"):
        datasets.split(xs, ys, held_out=1.5)


@pytest.mark.parametrize(
    ("generator", "kwargs", "error", "message"),
    [
        ("two_moons", {"n": 10.0}, TypeError, "two_moons: n must be an int"),
        ("spirals", {"n": "100"}, TypeError, "spirals: n must be an int"),
        ("circles", {"n": True}, TypeError, "circles: n must be an int"),
        ("two_moons", {"n": 1}, ValueError, "two_moons: n must be >= 2"),
        ("spirals", {"noise": "0.1"}, TypeError, "spirals: noise must be a number"),
        ("circles", {"noise": None}, TypeError, "circles: noise must be a number"),
        ("two_moons", {"noise": -0.1}, ValueError, "two_moons: noise must be a finite number"),
        ("spirals", {"noise": math.inf}, ValueError, "spirals: noise must be a finite number"),
        ("circles", {"factor": "0.5"}, TypeError, "circles: factor must be a number"),
        ("circles", {"factor": 1.5}, ValueError, r"circles: factor must be in \(0, 1\)"),
    ],
)
def test_dataset_errors_name_the_generator_and_the_argument(
    generator: str, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    # wrong types are TypeErrors, bad values ValueErrors
    with pytest.raises(error, match=message):
        getattr(datasets, generator)(**kwargs)


# --- gradient descent ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def gd_result(tmp_path_factory: pytest.TempPathFactory) -> gradient_descent.GradientDescentResult:
    return gradient_descent.run(tmp_path_factory.mktemp("gd"), quick=True)


def test_gradient_descent_stopping_rules_and_minima(
    gd_result: gradient_descent.GradientDescentResult,
) -> None:
    capped, to_global, exact_zero_smooth, to_local, shelf, jump, diverged, extra = gd_result.runs
    assert capped.stop_reason == "max_updates" and capped.updates == 100
    assert capped.minimum == "between"
    assert to_global.stop_reason == "converged" and to_global.minimum == "global"
    assert abs(to_global.final_grad) <= 1e-6 and to_global.final_w == pytest.approx(-2, abs=1e-5)
    # grad_tol=0 at a smooth minimum: w gets there, but the slope is never exactly 0.0
    assert exact_zero_smooth.stop_reason == "max_updates" and exact_zero_smooth.updates == 1000
    assert exact_zero_smooth.minimum == "global" and exact_zero_smooth.final_grad != 0.0
    assert to_local.stop_reason == "converged" and to_local.minimum == "local"
    assert to_local.final_loss > to_global.final_loss + 5  # the local minimum is worse
    # the flat shelf: exactly zero slope with grad_tol=0, and not a minimum
    assert shelf.stop_reason == "converged" and shelf.minimum == "shelf"
    assert shelf.final_grad == 0.0 and shelf.updates > 0
    assert jump.w0 < gradient_descent.HUMP and jump.minimum == "local"
    assert diverged.stop_reason == "diverged" and abs(diverged.path[-1]) > 1e6
    assert extra.lesson.startswith("a random start")
    for r in gd_result.runs:  # the path holds w0 and then one w per counted update
        assert r.path[0] == r.w0
        if r.stop_reason != "diverged":
            assert len(r.path) == r.updates + 1 and r.path[-1] == r.final_w


def test_gradient_descent_files_and_report(
    gd_result: gradient_descent.GradientDescentResult,
) -> None:
    assert [p.name for p in gd_result.files] == ["gradient_descent.png"]
    assert_png(gd_result.files[0])
    text = gradient_descent.report(gd_result)
    assert "max_updates" in text and "converged" in text and "diverged" in text


def test_gradient_descent_custom_start(tmp_path: Path) -> None:
    result = gradient_descent.run(tmp_path, settings=[], w0=-1.0, lr=0.05)
    (only,) = result.runs
    assert only.w0 == -1.0 and only.minimum == "global"


# --- model bias ---------------------------------------------------------------------------


def test_red_curve_is_a_constant_plus_hard_sigmoids() -> None:
    constant, terms = model_bias.hard_sigmoid_decomposition()
    sloped = sum(
        1
        for a, b in zip(model_bias.RED_CURVE_CORNERS, model_bias.RED_CURVE_CORNERS[1:])
        if a[1] != b[1]
    )
    assert len(terms) == sloped
    for i in range(-20, 121):
        x = i / 20
        rebuilt = constant + sum(t(x) for t in terms)
        assert rebuilt == pytest.approx(model_bias.red_curve(x), abs=1e-12)


def test_model_bias_linear_fails_flexible_models_fit(tmp_path: Path) -> None:
    result = model_bias.run(tmp_path, quick=True)
    assert result.decomposition_max_error < 1e-12
    fits = result.fits
    linear = fits["linear b + w·x"]
    assert linear.mse > 0.2 and linear.mae > 0.3  # model bias: no line does better
    flexible = [f for name, f in fits.items() if f is not linear]
    assert len(flexible) == 3
    for fit in flexible:
        assert fit.mse < 0.03, fit.name
        assert fit.mse < linear.mse / 10, fit.name
    assert [p.name for p in result.files] == ["fits.png", "hard_sigmoids.png"]
    for path in result.files:
        assert_png(path)


def test_model_bias_errors_are_nn_losses_and_record_no_graph() -> None:
    from nn.losses import mae, mse

    w = Value(0.5)
    xs, ys = [0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 2.5, 1.0]
    errors = model_bias._errors(lambda x: w * x, xs, ys)
    predictions = [Value(0.5 * x) for x in xs]
    assert errors == (mae(predictions, ys).data, mse(predictions, ys).data)
    assert errors == (0.875, 0.9375)  # every number here is exact in binary


# --- batches ------------------------------------------------------------------------------


def test_batches_updates_per_epoch(tmp_path: Path) -> None:
    result = batches.run(tmp_path, quick=True)
    n = result.n
    assert [r.batch_size for r in result.runs] == [1, 10, 100, n]
    for r in result.runs:
        assert r.updates_per_epoch == math.ceil(n / r.batch_size)
        assert r.updates == result.epochs * r.updates_per_epoch == len(r.losses)
        assert len(r.epoch_losses) == r.epochs == result.epochs
    small, full = result.runs[1], result.runs[-1]
    # same epochs: many small-batch updates get close to the best line, one per epoch does not
    assert small.losses[-1] < 1.2 * result.best_loss
    assert full.losses[-1] > 2 * result.best_loss
    assert_png(result.files[0])


def test_batches_remainder_makes_one_more_update(tmp_path: Path) -> None:
    result = batches.run(tmp_path, n=1005, batch_sizes=[10, 400], epochs=1)
    assert [r.updates_per_epoch for r in result.runs] == [101, 3]
    assert [r.updates for r in result.runs] == [101, 3]


def test_ten_thousand_examples_in_batches_of_ten_make_a_thousand_updates() -> None:
    from nn import batches as make_batches

    epoch = list(make_batches(10000, 10, seed=0))
    assert len(epoch) == 1000
    assert sorted(i for batch in epoch for i in batch) == list(range(10000))


# --- deep ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deep_result(tmp_path_factory: pytest.TempPathFactory) -> deep.DeepResult:
    return deep.run(tmp_path_factory.mktemp("deep"), quick=True)


def test_deep_learns_and_generalises(deep_result: deep.DeepResult) -> None:
    assert deep_result.train_accuracy >= 0.9
    assert deep_result.held_out_accuracy >= 0.8
    first = deep_result.accuracy_curve[0]
    assert first[0] == 0 and first[1] < deep_result.train_accuracy  # it learned something
    assert deep_result.final_loss < 0.3
    assert deep_result.train_size + deep_result.held_out_size == 120
    assert deep_result.updates == deep_result.epochs * math.ceil(deep_result.train_size / 16)


def test_deep_saves_a_model_that_reloads_identically(deep_result: deep.DeepResult) -> None:
    import nn

    assert deep_result.reload_agrees and deep_result.reload_max_difference == 0.0
    (path,) = [p for p in deep_result.files if p.name == "model.json"]
    model = nn.load(path)
    assert len(model.parameters()) == deep_result.parameters


def test_deep_files(deep_result: deep.DeepResult) -> None:
    names = [p.name for p in deep_result.files]
    assert "decision_boundary.png" in names and "training.png" in names
    for path in deep_result.files:
        if path.suffix == ".png":
            assert_png(path)
    assert deep_result.graph_file is not None
    assert_graph_file(deep_result.graph_file)


def test_deep_trains_compiled_by_default_and_eager_on_request(
    deep_result: deep.DeepResult, tmp_path: Path
) -> None:
    assert deep_result.engine == "compiled"
    small = {"quick": True, "epochs": 3, "grid": 4, "n": 40}
    compiled = deep.run(tmp_path / "c", **small)
    eager = deep.run(tmp_path / "e", eager=True, **small)
    assert (compiled.engine, eager.engine) == ("compiled", "eager")
    assert compiled.updates == eager.updates
    # The same training up to float rounding (see tests/test_nn_train.py): the accuracies
    # after each epoch are equal, the losses agree far below any visible difference.
    assert compiled.accuracy_curve == eager.accuracy_curve
    assert compiled.final_loss == pytest.approx(eager.final_loss, rel=1e-9)


def test_deep_eager_flag_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deep"
    argv = ["deep", "--out", str(out), "--quick", "--quiet", "--epochs", "1", "--n", "20"]
    assert main([*argv, "--eager"]) == 0
    assert "(eager)" in capsys.readouterr().out
    assert main(argv) == 0
    assert "(compiled)" in capsys.readouterr().out


def test_deep_rejects_a_non_bool_eager(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^deep: eager must be True or False"):
        deep.run(tmp_path / "d", quick=True, eager="yes")  # type: ignore[arg-type]


def test_deep_decision_boundary_is_the_same_compiled_or_eager(tmp_path: Path) -> None:
    import nn

    model = nn.MLP(2, [4, 2], seed=3)
    points = [[0.1 * i - 1.0, 0.05 * i] for i in range(25)]
    compiled = deep._Evaluator(model, points[0], eager=False)
    eager = deep._Evaluator(model, points[0], eager=True)
    assert compiled.probabilities(points) == pytest.approx(eager.probabilities(points), rel=1e-12)
    labels = [i % 2 for i in range(25)]
    assert compiled.accuracy(points, labels) == eager.accuracy(points, labels)


@pytest.mark.parametrize(
    ("logits", "expected"),
    [((800.0, 0.0), 0.0), ((0.0, 800.0), 1.0), ((0.0, -1000.0), 0.0), ((3.0, 3.0), 0.5)],
)
def test_deep_probability_of_class_1_does_not_overflow(
    logits: tuple[float, float], expected: float
) -> None:
    seen: list[bool] = []

    def model(_x: object) -> list[Value]:
        seen.append(autograd.is_grad_enabled())
        return [Value(v) for v in logits]

    assert deep._probability_of_class_1(model, [0.0, 0.0]) == expected
    assert seen == [False]  # the grid of probabilities records no graph


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("epochs", 0, ValueError),
        ("lr", 0.0, ValueError),
        ("lr", -0.1, ValueError),
        ("lr", math.nan, ValueError),
        ("grid", 0, ValueError),
        ("grid", 1, ValueError),
        ("n", 0, ValueError),
        ("batch_size", 0, ValueError),
        ("noise", -0.5, ValueError),
        ("hidden", [8, 0], ValueError),
        ("epochs", 2.0, TypeError),
        ("lr", "0.1", TypeError),
        ("grid", True, TypeError),
        ("hidden", 8, TypeError),
        ("hidden", [8, 2.5], TypeError),
    ],
)
def test_deep_rejects_bad_options_instead_of_using_the_default(
    tmp_path: Path, option: str, value: object, error: type[Exception]
) -> None:
    out = tmp_path / "deep"
    with pytest.raises(error, match=f"^deep: {option}"):
        deep.run(out, quick=True, **{option: value})
    assert not out.exists()  # checked before anything is written


def test_deep_honours_falsy_options(tmp_path: Path) -> None:
    # hidden=[] (no hidden layer) and noise=0 are the caller's choice, not "use the default"
    result = deep.run(tmp_path, quick=True, hidden=[], noise=0, epochs=1, grid=2, n=20)
    assert result.architecture == "MLP(2, [2], activation='relu')"
    assert result.parameters == 2 * 2 + 2
    assert result.epochs == 1 and result.train_size + result.held_out_size == 20
    assert result.files[-1] == result.graph_file


@pytest.mark.parametrize("dataset", ["spirals", "circles"])
def test_deep_other_datasets_and_sigmoid_run(tmp_path: Path, dataset: str) -> None:
    result = deep.run(
        tmp_path, quick=True, dataset=dataset, activation="sigmoid", epochs=2, grid=10
    )
    assert result.dataset == dataset and result.activation == "sigmoid"
    assert result.epochs == 2 and 0.0 <= result.train_accuracy <= 1.0
    assert result.reload_agrees


# --- backprop -----------------------------------------------------------------------------


def test_backprop_gradients_agree_three_ways(tmp_path: Path) -> None:
    result = backprop.run(tmp_path)
    assert result.grads_before == [0.0] * 5
    assert result.gradcheck_passed
    assert [r.name for r in result.rows] == ["x1", "x2", "w1", "w2", "b"]
    for r in result.rows:
        assert r.difference < 1e-8
        assert r.backprop == pytest.approx(r.by_hand, rel=1e-12, abs=1e-15)
    # z = -0.25 exactly; the engine's sigmoid evaluates it in another order: rounding only
    assert result.output == pytest.approx(1 / (1 + math.exp(0.25)), rel=1e-15, abs=0)
    assert [p.stem for p in result.files] == ["before_backward", "after_backward"]
    for path in result.files:
        assert_graph_file(path)
    if HAVE_DOT:  # the drawing after backward shows the gradients
        assert "grad 0.4923" in result.files[1].read_text()
        assert "grad 0.4923" not in result.files[0].read_text()


def test_backprop_other_seed(tmp_path: Path) -> None:
    result = backprop.run(tmp_path, seed=5)
    assert result.gradcheck_passed
    assert [r.value for r in result.rows] != list(backprop.DEFAULT_POINT)


# --- saving graphs and figures ------------------------------------------------------------


@pytest.mark.usefixtures("no_dot")
def test_without_dot_the_graphs_are_written_as_dot_source(tmp_path: Path) -> None:
    result = backprop.run(tmp_path / "bp")
    assert [p.name for p in result.files] == ["before_backward.dot", "after_backward.dot"]
    assert "grad 0.4923" in result.files[1].read_text()
    path = _common.save_graph(Value(1.0) * 2, tmp_path / "graph")  # no suffix: SVG, else DOT
    assert path == tmp_path / "graph.dot" and path.read_text().startswith("digraph")


@pytest.mark.usefixtures("broken_dot")
def test_a_failing_dot_program_is_an_error_not_a_dot_file(tmp_path: Path) -> None:
    import nn

    with pytest.raises(RuntimeError, match="dot is broken"):
        backprop.run(tmp_path / "bp")
    with pytest.raises(RuntimeError, match="dot is broken"):
        deep._render_neuron(tmp_path, nn.MLP(2, [2], seed=0), [0.5, -0.5])
    with pytest.raises(RuntimeError, match="dot is broken"):
        _common.save_graph(Value(1.0) * 2, tmp_path / "graph.svg")
    assert not list(tmp_path.rglob("*.dot")) and not list(tmp_path.rglob("*.svg"))


@pytest.mark.skipif(not HAVE_DOT, reason="needs Graphviz's dot program")
def test_save_graph_renders_svg_and_passes_draw_options(tmp_path: Path) -> None:
    a = Value(2.0, label="a")
    path = _common.save_graph(a * 3, tmp_path / "graph", rankdir="TB")
    assert path == tmp_path / "graph.svg"
    assert ET.parse(path).getroot().tag.endswith("svg")
    with pytest.raises(TypeError, match="draw options"):
        from autograd.render import draw

        _common.save_graph(draw(a), tmp_path / "other.svg", rankdir="TB")


def test_demos_leave_global_matplotlib_state_alone(tmp_path: Path) -> None:
    # Every plotting demo, in a fresh interpreter: none may import pyplot or pick a backend.
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import matplotlib

        def refuse(*args, **kwargs):
            raise AssertionError("a demo called matplotlib.use")

        matplotlib.use = refuse
        from demos import batches, deep, gradient_descent, model_bias

        out = Path({str(tmp_path)!r})
        gradient_descent.run(out / "gd", settings=[])
        model_bias.run(out / "mb", quick=True, updates=2)
        batches.run(out / "b", n=40, batch_sizes=[10], epochs=1)
        deep.run(out / "d", quick=True, epochs=1, grid=3, n=20)
        assert "matplotlib.pyplot" not in sys.modules, "a demo imported pyplot"
        print(len(list(out.rglob("*.png"))))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MPLBACKEND", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["6"]


def test_new_figure_is_drawn_by_agg_and_saved_as_png(tmp_path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _common.new_figure((2, 1.5))
    ax = fig.subplots()
    ax.plot([0, 1], [1, 0])
    assert isinstance(fig.canvas, FigureCanvasAgg)
    path = _common.save_figure(fig, tmp_path / "f.png", dpi=50)
    assert_png(path)
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]  # no temporary file left behind


# --- command line -------------------------------------------------------------------------


def test_listing_via_subprocess() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demos"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for name in demos.DEMOS:
        assert sum(line.split()[:1] == [name] for line in lines) == 1, name


def test_unknown_demo_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no_such_demo"]) == 2
    assert "unknown demo" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown demo"):
        demos.load("no_such_demo")


@pytest.mark.parametrize("name", list(demos.DEMOS))
def test_each_demo_has_help_and_the_interface(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--out" in out and "--seed" in out and "--quick" in out
    module = demos.load(name)
    assert callable(module.run) and callable(module.report)


def test_cli_runs_a_demo_and_says_where_its_files_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bp"
    assert main(["backprop", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "gradcheck" in printed and f"Files written to {out}" in printed
    if HAVE_DOT:
        assert ET.parse(out / "after_backward.svg").getroot().tag.endswith("svg")
        assert not (out / "after_backward.dot").exists()
    else:
        assert (out / "after_backward.dot").read_text().startswith("digraph")
        assert not (out / "after_backward.svg").exists()
