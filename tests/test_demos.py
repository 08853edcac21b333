"""Tests of the demos: each quick run's *numbers*, its files, and the command line."""

from __future__ import annotations

import dataclasses
import functools
import math
import multiprocessing
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("matplotlib")

import autograd
import demos
from autograd import Value
from demos import (
    _common,
    backprop,
    batches,
    datasets,
    deep,
    digits,
    error_surface,
    gradient_descent,
    losses,
    model_bias,
    scale_out,
)
from demos.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    assert path.suffix == ".png"
    assert path.read_bytes()[:8] == PNG_MAGIC, f"{path} is not a PNG"


def assert_svg(path: Path) -> None:
    """An SVG that parses as XML, and no DOT text beside it (that would mean dot failed)."""
    assert path.suffix == ".svg", path
    assert ET.parse(path).getroot().tag.endswith("svg")
    assert not path.with_suffix(".dot").exists()


def error_line(err: str, name: str) -> str:
    """The one line ``python -m demos NAME`` printed to stderr: its message after "error: "."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    prefix = f"python -m demos {name}: error: "
    assert lines[0].startswith(prefix), err
    return lines[0].removeprefix(prefix)


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
        ("spirals", {"noise": "0.1"}, TypeError, "spirals: noise must be a real number"),
        ("circles", {"noise": None}, TypeError, "circles: noise must be a real number"),
        ("two_moons", {"noise": -0.1}, ValueError, "two_moons: noise must be a finite number"),
        ("spirals", {"noise": math.inf}, ValueError, "spirals: noise must be a finite number"),
        ("circles", {"factor": "0.5"}, TypeError, "circles: factor must be a real number"),
        ("circles", {"factor": 0.0}, ValueError, "circles: factor must be a finite number > 0"),
        ("circles", {"factor": 1.5}, ValueError, r"circles: factor must be a fraction in \(0, 1\)"),
    ],
)
def test_dataset_errors_name_the_generator_and_the_argument(
    generator: str, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    # wrong types are TypeErrors, bad values ValueErrors
    with pytest.raises(error, match=message):
        getattr(datasets, generator)(**kwargs)


# --- losses -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def losses_result(tmp_path_factory: pytest.TempPathFactory) -> losses.LossesResult:
    return losses.run(tmp_path_factory.mktemp("losses"), quick=True)


def test_losses_mae_and_mse_curves_and_their_slopes(losses_result: losses.LossesResult) -> None:
    r = losses_result.regression
    assert r.target in r.predictions  # the kink of |ŷ - y| is on the grid
    for y_hat, mae, mse, mae_slope, mse_slope in zip(
        r.predictions, r.mae, r.mse, r.mae_slope, r.mse_slope
    ):
        error = y_hat - r.target
        assert mae == pytest.approx(abs(error), abs=1e-15)
        assert mse == pytest.approx(error**2, abs=1e-15)
        # the analytic derivatives: sign(ŷ - y) (0 at the kink, as PyTorch) and 2(ŷ - y)
        assert mae_slope == (error > 0) - (error < 0)
        assert mse_slope == pytest.approx(2 * error, abs=1e-14)
    # far from the target MSE's slope outgrows MAE's; near it, it is smaller
    assert abs(r.mse_slope[0]) > 4 * abs(r.mae_slope[0])
    near = r.predictions.index(r.target) + 1
    assert 0 < r.mse_slope[near] < r.mae_slope[near]


def test_losses_worked_regression_example_matches_the_hand_computation(
    losses_result: losses.LossesResult,
) -> None:
    reg = losses_result.regression_example
    assert [reg.predictions, reg.targets] == [list(v) for v in losses.DEFAULT_REGRESSION]
    errors = [2.5 - 3.0, 0.0 + 0.5, 2.0 - 2.0, 8.0 - 7.0]
    assert reg.mae == reg.mae_by_hand == sum(abs(e) for e in errors) / 4 == 0.5
    assert reg.mse == reg.mse_by_hand == sum(e * e for e in errors) / 4 == 0.375
    assert reg.mae_slopes == [-0.25, 0.25, 0.0, 0.25]  # sign(e) / N
    assert reg.mse_slopes == [2 * e / 4 for e in errors]  # 2e / N
    text = losses.report(losses_result)
    assert "MAE = (0.5 + 0.5 + 0 + 1) / 4 = 0.5;  nn.losses.mae gives 0.5" in text
    assert "MSE = (0.25 + 0.25 + 0 + 1) / 4 = 0.375;  nn.losses.mse gives 0.375" in text


def test_losses_worked_cross_entropy_matches_the_hand_computation(
    losses_result: losses.LossesResult,
) -> None:
    ce = losses_result.cross_entropy_example
    logits, target = losses.DEFAULT_CROSS_ENTROPY
    total = sum(math.exp(z) for z in logits)
    softmax = [math.exp(z) / total for z in logits]
    by_hand = -sum(y * math.log(q) for y, q in zip(target, softmax))
    assert ce.probabilities == pytest.approx(softmax, rel=1e-14)
    assert ce.loss == pytest.approx(by_hand, rel=1e-14)
    assert ce.by_hand == pytest.approx(by_hand, rel=1e-14)
    assert by_hand == pytest.approx(0.80703, abs=1e-5)
    # the slope of softmax cross-entropy in the logits is ŷ - y
    assert ce.logit_slopes == pytest.approx([q - y for q, y in zip(softmax, target)], abs=1e-14)
    text = losses.report(losses_result)
    assert f"= {by_hand:.6f};  nn.losses.cross_entropy gives {by_hand:.6f}" in text


def test_losses_other_seeds_work_other_numbers(tmp_path: Path) -> None:
    result = losses.run(tmp_path, seed=7, quick=True)
    reg, ce = result.regression_example, result.cross_entropy_example
    assert reg.predictions != list(losses.DEFAULT_REGRESSION[0])
    errors = [a - b for a, b in zip(reg.predictions, reg.targets)]
    assert reg.mae == pytest.approx(sum(abs(e) for e in errors) / 4, rel=1e-14)
    assert reg.mse == pytest.approx(sum(e * e for e in errors) / 4, rel=1e-14)
    assert sum(ce.target) == pytest.approx(1.0, abs=1e-15)
    assert ce.loss == pytest.approx(ce.by_hand, rel=1e-12)


def test_cross_entropy_is_lowest_where_the_prediction_equals_the_target(
    losses_result: losses.LossesResult,
) -> None:
    curves = losses_result.cross_entropy
    assert [c.p for c in curves] == list(losses.DISTRIBUTIONS)
    for c in curves:
        q_step = c.qs[1] - c.qs[0]
        entropy = -sum(v * math.log(v) for v in (c.p, 1 - c.p) if v > 0)
        assert c.entropy == pytest.approx(entropy, abs=1e-15)
        assert all(kl >= -1e-14 for kl in c.kl)  # KL(y ‖ ŷ) >= 0: CE >= H(y)
        for q, ce, slope in zip(c.qs, c.ce, c.logit_slope):
            assert ce == pytest.approx(-(c.p * math.log(q) + (1 - c.p) * math.log(1 - q)))
            assert slope == pytest.approx(q - c.p, abs=1e-12)  # ∂CE/∂z₁ = ŷ₁ - y₁
        if c.p < 1:
            assert c.best_q == pytest.approx(c.p, abs=q_step / 2)
            assert min(c.ce) == pytest.approx(entropy, abs=1e-12)
            below = [s for q, s in zip(c.qs, c.logit_slope) if q < c.p - 1e-9]
            above = [s for q, s in zip(c.qs, c.logit_slope) if q > c.p + 1e-9]
            assert all(s < 0 for s in below) and all(s > 0 for s in above)
        else:  # a class label: lowest at the edge, q -> 1
            assert c.best_q == max(c.qs) and c.entropy == 0.0


def test_losses_files_and_command_line(
    losses_result: losses.LossesResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [p.name for p in losses_result.files] == ["losses.png"]
    assert_png(losses_result.files[0])
    assert main(["losses", "--out", str(tmp_path), "--quick", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "lowest CE at q" in out and (tmp_path / "losses.png").exists()


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


# --- error surface ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def es_result(tmp_path_factory: pytest.TempPathFactory) -> error_surface.ErrorSurfaceResult:
    return error_surface.run(tmp_path_factory.mktemp("es"), quick=True)


def closed_form(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares by the normal equations, solved by Cramer's rule."""
    n, sx, sy = len(xs), sum(xs), sum(ys)
    sxx, sxy = sum(x * x for x in xs), sum(x * y for x, y in zip(xs, ys))
    det = n * sxx - sx * sx
    return (n * sxy - sx * sy) / det, (sxx * sy - sx * sxy) / det


def test_error_surface_paths_end_at_the_least_squares_line(
    es_result: error_surface.ErrorSurfaceResult,
) -> None:
    w, b = closed_form(es_result.xs, es_result.ys)
    assert (es_result.best_w, es_result.best_b) == pytest.approx((w, b), rel=1e-12)
    small, larger, near_limit, too_large, extra = es_result.runs
    for r in (larger, near_limit, extra):
        assert r.stop_reason == "converged", r.lesson
        assert (r.final_w, r.final_b) == pytest.approx((w, b), abs=1e-4)
        assert r.losses[-1] == pytest.approx(es_result.best_loss, abs=1e-10)
    # the small η is stopped by the cap on the valley floor, short of the minimum
    assert small.stop_reason == "max_updates" and small.updates == es_result.max_updates
    start_gap = math.hypot(small.w0 - w, small.b0 - b)
    end_gap = math.hypot(small.final_w - w, small.final_b - b)
    assert 1e-4 < end_gap < start_gap / 10
    assert near_limit.updates < larger.updates  # a larger stable η gets there sooner
    assert too_large.stop_reason == "diverged"
    for r in es_result.runs:
        assert r.path[0] == (r.w0, r.b0) and len(r.path) == r.updates + 1


def test_error_surface_first_update_is_the_hand_computation(
    es_result: error_surface.ErrorSurfaceResult,
) -> None:
    xs, ys = es_result.xs, es_result.ys
    setting = error_surface.RUNS[0]
    w, b, lr = setting.w0, setting.b0, setting.lr
    residuals = [b + w * x - y for x, y in zip(xs, ys)]
    dw = sum(2 * r * x for r, x in zip(residuals, xs)) / len(xs)  # ∂/∂w mean((b + wx - y)²)
    db = sum(2 * r for r in residuals) / len(xs)  # ∂/∂b
    u = es_result.runs[0].first_update
    assert u is not None
    assert (u.w, u.b, u.lr) == (w, b, lr)
    assert u.loss == pytest.approx(sum(r * r for r in residuals) / len(xs), rel=1e-13)
    assert (u.dw, u.db) == pytest.approx((dw, db), rel=1e-12)
    assert (u.new_w, u.new_b) == pytest.approx((w - lr * dw, b - lr * db), rel=1e-12)
    assert es_result.runs[0].path[1] == (u.new_w, u.new_b)
    text = error_surface.report(es_result)
    assert f"w ← w − η·∂L/∂w = {w:g} − {lr:g} × ({dw:.6g}) = {w - lr * dw:.6g}" in text
    assert f"b ← b − η·∂L/∂b = {b:g} − {lr:g} × ({db:.6g}) = {b - lr * db:.6g}" in text


def test_error_surface_learning_rate_limit(
    es_result: error_surface.ErrorSurfaceResult, tmp_path: Path
) -> None:
    limit = es_result.max_stable_lr
    # the limit is 2 / λmax of the Hessian 2·[[mean x², mean x], [mean x, 1]]
    xs = es_result.xs
    m1, m2 = sum(xs) / len(xs), sum(x * x for x in xs) / len(xs)
    trace, det = 2 * m2 + 2, 4 * (m2 - m1 * m1)
    assert limit == pytest.approx(2 / ((trace + math.sqrt(trace**2 - 4 * det)) / 2), rel=1e-12)
    assert error_surface.RUNS[2].lr < limit < error_surface.RUNS[3].lr
    settings = [
        error_surface.Setting(1.0, 1.0, 0.95 * limit, "just below"),
        error_surface.Setting(1.0, 1.0, 1.05 * limit, "just above"),
    ]
    below, above, _ = error_surface.run(tmp_path, quick=True, settings=settings).runs
    assert below.stop_reason == "converged" and above.stop_reason == "diverged"
    # below the limit, every update lowers the loss (L is quadratic)
    assert all(later <= earlier for earlier, later in zip(below.losses, below.losses[1:]))


def test_error_surface_huge_learning_rate_is_reported_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["error_surface", "--out", str(tmp_path), "--quick", "--quiet", "--lr", "1e300"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err == ""
    last_run = [line for line in captured.out.splitlines() if line.startswith("  5 ")]
    assert len(last_run) == 1 and "diverged" in last_run[0] and "1e+300" in last_run[0]
    assert_png(tmp_path / "error_surface.png")


def test_error_surface_custom_start(tmp_path: Path) -> None:
    result = error_surface.run(tmp_path, quick=True, settings=[], w0=0.0, b0=0.0, lr=0.1)
    (only,) = result.runs
    assert (only.w0, only.b0, only.lr) == (0.0, 0.0, 0.1)
    assert only.lesson.startswith("your start") and only.stop_reason == "converged"
    assert [p.name for p in result.files] == ["error_surface.png"]


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
    assert names[:3] == ["model.json", "decision_boundary.png", "training.png"]
    for path in deep_result.files[1:3]:
        assert_png(path)
    assert deep_result.files[3] == deep_result.graph_file == deep_result.neuron.path
    assert deep_result.graph_file.stem == "neuron" and deep_result.graph_file.exists()


def test_deep_draws_a_neuron_that_is_active_on_its_point(deep_result: deep.DeepResult) -> None:
    picture = deep_result.neuron
    assert picture.active and picture.pre_activation > 0  # a ReLU passes gradient only there
    assert "it is active there" in deep.report(deep_result)


def first_layer(weights: list[tuple[float, float, float]]) -> object:
    """An MLP(2, [len(weights), 2]) whose first-layer neuron k has (w1, w2, b) = weights[k]."""
    import nn

    model = nn.MLP(2, [len(weights), 2], seed=0)
    for neuron, (w1, w2, b) in zip(model.layers[0].neurons, weights):
        neuron.w[0].data, neuron.w[1].data, neuron.b.data = w1, w2, b
    return model


@pytest.mark.usefixtures("no_dot")
def test_deep_skips_neurons_inactive_on_the_point(tmp_path: Path) -> None:
    # neuron 1: z = x1 = -1 < 0 (inactive); neuron 2: z = x2 = 2 > 0 (active)
    model: Any = first_layer([(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (-1.0, -1.0, 0.0)])
    model.layers[0].neurons[1].w[0].grad = 5.0  # a leftover from training must not show
    picture = deep._render_neuron(tmp_path, model, [[-1.0, 2.0], [3.0, 3.0]])
    assert (picture.neuron, picture.point, picture.pre_activation) == (2, [-1.0, 2.0], 2.0)
    assert picture.active
    chosen = model.layers[0].neurons[1]
    # relu(w·x + b) with z > 0: ∂/∂w = x and ∂/∂b = 1, drawn in the picture
    assert [w.grad for w in chosen.w] + [chosen.b.grad] == [-1.0, 2.0, 1.0]
    text = picture.path.read_text()
    assert picture.path.name == "neuron.dot" and "neuron 2 of layer 1" in text
    assert "grad -1" in text and "grad 2" in text


@pytest.mark.usefixtures("no_dot")
def test_deep_says_why_when_every_neuron_is_dead(
    deep_result: deep.DeepResult, tmp_path: Path
) -> None:
    model = first_layer([(0.0, 0.0, -1.0), (0.0, 0.0, -2.0)])  # z < 0 everywhere
    picture = deep._render_neuron(tmp_path, model, [[0.5, 0.5], [1.0, -1.0]])
    assert (picture.neuron, picture.active, picture.pre_activation) == (1, False, -1.0)
    text = deep.report(dataclasses.replace(deep_result, neuron=picture))
    assert "the layer is dead" in text and "every gradient in the picture is 0" in text


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


def test_backprop_draws_svg_before_and_after_backward(tmp_path: Path, graphviz_dot: str) -> None:
    result = backprop.run(tmp_path)
    for path in result.files:
        assert_svg(path)
    # the drawing after backward shows the gradients
    assert "grad 0.4923" in result.files[1].read_text()
    assert "grad 0.4923" not in result.files[0].read_text()
    assert "Compare before_backward.svg with after_backward.svg" in backprop.report(result)


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
    assert not list(tmp_path.rglob("*.svg"))
    # the report names the files that were written
    assert "Compare before_backward.dot with after_backward.dot" in backprop.report(result)
    assert ".svg" not in backprop.report(result)
    path = _common.save_graph(Value(1.0) * 2, tmp_path / "graph")  # no suffix: SVG, else DOT
    assert path == tmp_path / "graph.dot" and path.read_text().startswith("digraph")


@pytest.mark.usefixtures("broken_dot")
def test_a_failing_dot_program_is_an_error_not_a_dot_file(tmp_path: Path) -> None:
    import nn

    with pytest.raises(RuntimeError, match="dot is broken"):
        backprop.run(tmp_path / "bp")
    with pytest.raises(RuntimeError, match="dot is broken"):
        deep._render_neuron(tmp_path, nn.MLP(2, [2], seed=0), [[0.5, -0.5]])
    with pytest.raises(RuntimeError, match="dot is broken"):
        _common.save_graph(Value(1.0) * 2, tmp_path / "graph.svg")
    assert not list(tmp_path.rglob("*.dot")) and not list(tmp_path.rglob("*.svg"))


def test_save_graph_renders_svg_and_passes_draw_options(tmp_path: Path, graphviz_dot: str) -> None:
    a = Value(2.0, label="a")
    path = _common.save_graph(a * 3, tmp_path / "graph", rankdir="TB")
    assert path == tmp_path / "graph.svg"
    assert_svg(path)
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
        from demos import batches, deep, digits, error_surface, gradient_descent, losses
        from demos import model_bias

        out = Path({str(tmp_path)!r})
        losses.run(out / "l", quick=True)
        gradient_descent.run(out / "gd", settings=[])
        error_surface.run(out / "es", quick=True, settings=[])
        model_bias.run(out / "mb", quick=True, updates=2)
        batches.run(out / "b", n=40, batch_sizes=[10], epochs=1)
        deep.run(out / "d", quick=True, epochs=1, grid=3, n=20)
        digits.run(out / "dg", quick=True, epochs=1)
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
    assert done.stdout.split() == ["10"]


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


def test_nine_lessons_in_the_lectures_order() -> None:
    assert list(demos.DEMOS) == [
        "losses",  # idea 2
        "gradient_descent",  # ideas 3-5
        "error_surface",  # idea 6
        "model_bias",  # ideas 7-8
        "batches",  # idea 9
        "deep",  # idea 10
        "digits",  # idea 10, on real data
        "backprop",  # idea 10
        "scale_out",  # beyond the notes: the batch gradient in pieces, on PyTorch
    ]


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
    tmp_path: Path, capsys: pytest.CaptureFixture[str], graphviz_dot: str
) -> None:
    out = tmp_path / "bp"
    assert main(["backprop", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "gradcheck" in printed and f"Files written to {out}" in printed
    assert_svg(out / "after_backward.svg")
    assert "Graphviz" not in printed  # no install note when dot is there


@pytest.mark.usefixtures("no_dot")
def test_cli_without_dot_says_once_how_to_install_graphviz(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bp"
    assert main(["backprop", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert (out / "after_backward.dot").read_text().startswith("digraph")
    assert not (out / "after_backward.svg").exists()
    assert printed.count("Graphviz's dot program was not found") == 1
    assert "sudo apt-get install graphviz" in printed
    assert "before_backward.dot, after_backward.dot" in printed
    assert "dot -Tsvg before_backward.dot -o before_backward.svg" in printed


# --- failing politely ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["deep", "--n", "1"], "argument --n: the value must be >= 2, got 1"),
        (["deep", "--hidden", "8", "0"], "argument --hidden: the value must be >= 1, got 0"),
        (["deep", "--lr", "0"], "argument --lr: the value must be a finite number > 0, got 0.0"),
        (["deep", "--noise", "-1"], "argument --noise: the value must be a finite number >= 0"),
        (["batches", "--n", "1"], "argument --n: the value must be >= 2, got 1"),
        (["batches", "--epochs", "two"], "argument --epochs: the value must be an int, got 'two'"),
        (["model_bias", "--units", "0"], "argument --units: the value must be >= 1, got 0"),
        (["gradient_descent", "--w0", "nan"], "argument --w0: the value must be a finite number"),
        (["gradient_descent", "--grad-tol", "-1"], "argument --grad-tol: the value must be a"),
        (["error_surface", "--lr", "inf"], "argument --lr: the value must be a finite number > 0"),
        (["error_surface", "--max-updates", "0"], "argument --max-updates: the value must be >="),
        (["losses", "--seed", "-1"], "argument --seed: the value must be >= 0, got -1"),
        (["backprop", "--seed", "1.5"], "argument --seed: the value must be an int, got '1.5'"),
    ],
)
def test_a_bad_option_is_a_usage_error(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith(f"python -m demos {argv[0]}: error: {message}")
    assert not out.exists()  # refused before anything was done


def test_a_bad_option_exits_2_without_a_traceback_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demos", "deep", "--n", "1", "--out", str(tmp_path / "d")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "python -m demos deep: error: argument --n: the value must be >= 2, got 1"
    )


def test_out_pointing_at_a_file_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    assert main(["backprop", "--out", str(taken)]) == 1
    captured = capsys.readouterr()
    assert error_line(captured.err, "backprop") == (
        f"the output folder {taken} is a file, not a folder"
    )
    assert captured.out == "" and taken.read_text() == "not a folder"
    assert main(["losses", "--out", str(taken / "sub")]) == 1
    message = error_line(capsys.readouterr().err, "losses")
    assert message.startswith(f"cannot create the output folder {taken / 'sub'}: ")


def test_out_in_a_read_only_folder_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Permissions do not stop root (CI runs as root), so where they would not, the folder
    # is Linux's /sys, which refuses new files and folders to everyone.
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            locked = Path("/sys")
        if not locked.is_dir():
            pytest.fail("no read-only folder to test with: /sys is missing")
        before = sorted(p.name for p in locked.iterdir())
        assert main(["model_bias", "--out", str(locked), "--quick"]) == 1
        message = error_line(capsys.readouterr().err, "model_bias")
        assert message.startswith(f"cannot write to the output folder {locked}: ")
        assert main(["model_bias", "--out", str(locked / "new"), "--quick"]) == 1
        message = error_line(capsys.readouterr().err, "model_bias")
        assert message.startswith(f"cannot create the output folder {locked / 'new'}")
        assert sorted(p.name for p in locked.iterdir()) == before
    finally:
        (tmp_path / "locked").chmod(0o755)


def test_output_dir_writes_a_probe_because_access_checks_can_lie(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.access says yes to root on a read-only mount; only an attempt to write tells
    def refuse(**_kwargs: object) -> None:
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(_common.tempfile, "TemporaryFile", refuse)
    with pytest.raises(_common.OutputFolderError, match="Read-only file system"):
        _common.output_dir(tmp_path)


def test_a_diverging_training_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Cross-entropy is stable for any finite logits (logsumexp), so 1e6 only thrashes;
    # 1e100 overflows the weights within a few updates.
    argv = ["deep", "--out", str(tmp_path), "--quick", "--quiet", "--lr", "1e100"]
    assert main(argv) == 1
    message = error_line(capsys.readouterr().err, "deep")
    assert message.startswith("fit: at update") and "overflow" in message
    assert main(["batches", "--out", str(tmp_path), "--quick", "--quiet", "--lr", "1e6"]) == 1
    assert "try a smaller learning rate" in error_line(capsys.readouterr().err, "batches")


@pytest.mark.usefixtures("broken_dot")
def test_a_failing_dot_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backprop", "--out", str(tmp_path)]) == 1
    assert "dot is broken" in error_line(capsys.readouterr().err, "backprop")


def test_a_dot_past_its_time_limit_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd import render

    def too_slow(*_args: object, **_kwargs: object) -> None:
        raise render.RenderTimeout("save: Graphviz's dot did not finish within 10 s\non a graph")

    monkeypatch.setattr(render, "save", too_slow)
    assert main(["backprop", "--out", str(tmp_path)]) == 1
    message = error_line(capsys.readouterr().err, "backprop")
    assert message == "save: Graphviz's dot did not finish within 10 s on a graph"


@pytest.mark.parametrize("name", list(demos.DEMOS))
def test_a_missing_optional_package_is_named_before_any_work(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes matplotlib unimportable, as after a plain `pip install .`
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / name
    module = demos.load(name)
    if "matplotlib" in module.REQUIRES:
        others = [r for r in module.REQUIRES if r != "matplotlib"]
        assert main([name, "--out", str(out), "--quick", "--quiet"]) == 1
        captured = capsys.readouterr()
        message = error_line(captured.err, name)
        if not _common.missing_requirements(others):
            assert message == "this demo needs matplotlib: pip install 'lecturegrad[demos]'"
        else:  # locally without, say, torch: both are named (install_hint's test has the words)
            assert message.startswith("this demo needs ") and "matplotlib" in message
        assert captured.out == "" and not out.exists()
    else:  # a demo that says it needs nothing must run without it
        assert module.REQUIRES == ()
        assert main([name, "--out", str(out), "--quick", "--quiet"]) == 0


# --- digits -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sklearn() -> ModuleType:
    """scikit-learn, where the digits come from (in the demos and dev extras)."""
    if os.environ.get("CI"):  # CI installs every extra: missing, it must fail, not skip
        import sklearn

        return sklearn
    return pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def digits_result(
    sklearn: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> digits.DigitsResult:
    return digits.run(tmp_path_factory.mktemp("digits"), quick=True)


def test_digits_confusion_matrix_counts_the_held_out_predictions(
    digits_result: digits.DigitsResult,
) -> None:
    r = digits_result
    assert len(r.held_out_labels) == len(r.predictions) == r.held_out_size
    assert r.held_out_size == round(0.25 * 1797) and r.train_size == 1797 - r.held_out_size
    assert sum(map(sum, r.confusion)) == r.held_out_size
    correct = sum(y == p for y, p in zip(r.held_out_labels, r.predictions))
    assert sum(r.confusion[k][k] for k in range(10)) == r.correct == correct
    assert r.held_out_accuracy == correct / r.held_out_size
    for true in range(10):  # row k counts the held-out k's, by what they were read as
        assert sum(r.confusion[true]) == r.held_out_labels.count(true)
        for predicted in range(10):
            pairs = zip(r.held_out_labels, r.predictions)
            count = sum(y == true and p == predicted for y, p in pairs)
            assert r.confusion[true][predicted] == count


def test_digits_misclassified_listing_matches_the_predictions(
    digits_result: digits.DigitsResult,
) -> None:
    r = digits_result
    listed = [(m.position, m.true, m.predicted) for m in r.misclassified]
    expected = [
        (i, y, p) for i, (y, p) in enumerate(zip(r.held_out_labels, r.predictions)) if y != p
    ]
    assert listed == expected
    assert len(listed) == r.held_out_size - r.correct
    text = digits.report(r)
    accuracy = f"{r.held_out_accuracy:.1%} ({r.correct} of {r.held_out_size})"
    assert f"held-out accuracy: {accuracy}" in text
    assert f"Misclassified: {len(listed)} held-out digits" in text
    for m in r.misclassified:
        assert f"{m.true} → {m.predicted} (#{m.position})" in text


def test_digits_quick_run_learns(digits_result: digits.DigitsResult) -> None:
    # --quick (MLP(64, [32, 10]), 10 epochs) scored 96.4% to 98.2% held out on seeds 0..9;
    # 93% leaves room for float rounding to move a few borderline digits either way, and
    # is far above chance (10%) and above a network that learned little (about 80%).
    assert digits_result.held_out_accuracy >= 0.93
    assert digits_result.train_accuracy >= 0.97
    assert digits_result.final_loss < 0.15
    assert digits_result.architecture == "MLP(64, [32, 10])"
    assert digits_result.updates == 10 * math.ceil(digits_result.train_size / 16)


def test_digits_predictions_are_the_saved_models_read_eagerly(
    digits_result: digits.DigitsResult,
) -> None:
    import nn

    model_path, confusion_png, misclassified_png = digits_result.files
    assert (model_path.name, confusion_png.name) == ("model.json", "confusion.png")
    assert_png(confusion_png)
    assert_png(misclassified_png)
    # The same split from the same seed, and the saved network run by the eager engine:
    # the compiled replay's predictions must be the eager ones, digit for digit.
    _, _, test_x, test_y = digits.load_digits(seed=0)
    assert test_y == digits_result.held_out_labels
    assert all(0.0 <= v <= 1.0 for x in test_x for v in x) and max(map(max, test_x)) == 1.0
    model = nn.load(model_path)
    assert nn.predict(model, test_x) == digits_result.predictions


def test_digits_split_follows_the_seed(sklearn: ModuleType) -> None:
    train_x, train_y, test_x, test_y = digits.load_digits(seed=0)
    again = digits.load_digits(seed=0)
    other = digits.load_digits(seed=1)
    assert (test_x, test_y) == (again[2], again[3]) and test_x != other[2]
    assert len(train_x) + len(test_x) == 1797 and len(train_y) == len(train_x)
    assert sorted(set(test_y)) == list(range(10))


def test_digits_helpers_on_a_worked_example() -> None:
    labels, predictions = [0, 1, 2, 2, 1], [0, 2, 2, 1, 1]
    matrix = digits.confusion_matrix(labels, predictions, classes=3)
    assert matrix == [[1, 0, 0], [0, 1, 1], [0, 1, 1]]
    wrong = digits.misclassified(labels, predictions)
    assert [(m.position, m.true, m.predicted) for m in wrong] == [(1, 1, 2), (3, 2, 1)]
    with pytest.raises(ValueError, match="confusion_matrix: labels has 5 entries"):
        digits.confusion_matrix(labels, predictions[:4])


def test_digits_rejects_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(TypeError, match="digits: hidden must be a sequence"):
        digits.run(tmp_path, hidden=32)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"digits: hidden\[0\] must be >= 1"):
        digits.run(tmp_path, hidden=[0])
    with pytest.raises(ValueError, match="digits: lr must be a finite number > 0"):
        digits.run(tmp_path, lr=0.0)
    with pytest.raises(SystemExit) as exit_info:
        main(["digits", "--epochs", "0", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert "argument --epochs: the value must be >= 1, got 0" in capsys.readouterr().err


def test_digits_without_scikit_learn_names_the_package_and_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    out = tmp_path / "digits"
    assert main(["digits", "--out", str(out), "--quick", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert error_line(captured.err, "digits") == (
        "this demo needs scikit-learn: pip install 'lecturegrad[demos]'"
    )
    assert captured.out == "" and not out.exists()


# --- scale_out ----------------------------------------------------------------------------


def alive(pid: int) -> bool:
    """Whether a process with this id still exists (a zombie counts as gone)."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return False
    return "State:\tZ" not in status.read_text()


@pytest.fixture(scope="module")
def scale_out_result(
    torch: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> scale_out.ScaleOutResult:
    return scale_out.run(tmp_path_factory.mktemp("scale_out"), quick=True)


def test_ddp_trajectory_equals_our_fit(scale_out_result: scale_out.ScaleOutResult) -> None:
    import nn
    from nn.losses import cross_entropy

    r, c = scale_out_result, scale_out_result.comparison
    assert (r.workers, r.train_size, r.batch_size, r.epochs) == (2, 100, 15, 5)
    assert r.updates == len(c.ours) == len(c.theirs) == 5 * math.ceil(100 / 15)
    assert c.agree and c.loss_difference <= 1e-9 and c.parameter_difference <= 1e-9
    assert r.replicas_identical
    # Independently of the demo's own bookkeeping: our fit, run here, gives DDP's curve.
    # 1e-9 is the lesson's bound; float64 rounding alone differs by about 1e-16 per update.
    xs, ys = datasets.two_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 2], seed=0)
    history = nn.fit(
        model, xs, ys, loss=cross_entropy, lr=0.1, batch_size=15, epochs=5, seed=0
    )
    assert history.losses == pytest.approx(c.theirs, abs=1e-9, rel=0)
    assert c.theirs[-1] < c.theirs[0] / 2  # and the network did learn


def test_ddp_workers_are_gone_after_the_run(scale_out_result: scale_out.ScaleOutResult) -> None:
    assert len(scale_out_result.worker_pids) == 2
    assert scale_out_result.exit_codes == [0, 0]  # each one ended by itself, cleanly
    assert not any(alive(pid) for pid in scale_out_result.worker_pids)
    assert multiprocessing.active_children() == []
    assert os.getpid() not in scale_out_result.worker_pids


def test_ddp_first_batch_weighting_is_exact_and_the_naive_one_is_not(
    scale_out_result: scale_out.ScaleOutResult,
) -> None:
    first = scale_out_result.first_batch
    assert first.sizes == [7, 8] and first.weights == pytest.approx([14 / 15, 16 / 15])
    # float rounding: a few ulps of gradients of order 1
    assert first.weighted_error <= 1e-14
    assert first.naive_error > 1e-4  # averaging the parts' own means is another gradient
    text = scale_out.report(scale_out_result)
    assert "split 7 (weight 0.9333) and 8 (weight 1.067);" in text
    assert "they agree" in text and "exit codes 0, 0" in text
    assert_png(scale_out_result.files[0])


@pytest.mark.parametrize(("size", "world_size"), [(15, 2), (16, 2), (5, 3), (1, 2), (7, 1)])
def test_split_batch_parts_make_up_the_batch(size: int, world_size: int) -> None:
    batch = [10 * i + 3 for i in range(size)]  # any indices, in the batch's order
    shares = scale_out.split_batch(batch, world_size)
    assert [s.rank for s in shares] == list(range(world_size))
    assert [i for s in shares for i in s.indices] == batch  # every example once, in order
    sizes = [len(s.indices) for s in shares]
    assert max(sizes) - min(sizes) <= 1
    assert all(s.loss_scale == world_size / size for s in shares)
    # The parts' weights average to 1 (DDP divides their sum by W): to float rounding.
    assert sum(s.weight for s in shares) / world_size == pytest.approx(1.0, abs=1e-15)


def test_split_batch_weights_give_the_batch_gradient_with_our_engine() -> None:
    import autograd
    import nn
    from nn.losses import cross_entropy

    xs, ys = datasets.two_moons(40, seed=3)
    model = nn.MLP(2, [4, 2], seed=3)
    params = model.parameters()
    batch = list(range(5, 20))  # 15 examples: parts of 7 and 8

    def gradient(indices: list[int]) -> list[float]:
        loss = cross_entropy([model(xs[i]) for i in indices], [ys[i] for i in indices])
        return autograd.grad(loss, params)

    full = gradient(batch)
    shares = scale_out.split_batch(batch, 2)
    # What DDP computes: the mean over workers of each worker's weighted gradient.
    combined = [
        sum(s.weight * g for s, g in zip(shares, column)) / 2
        for column in zip(*(gradient(s.indices) for s in shares))
    ]
    assert combined == pytest.approx(full, abs=1e-14)  # a few ulps of order-1 gradients


def test_split_batch_weights_give_the_batch_gradient_in_torch(torch: ModuleType) -> None:
    import torch.nn.functional as F

    import nn

    xs, ys = datasets.two_moons(40, seed=4)
    net = nn.MLP(2, [4, 2], seed=4).to_torch()
    inputs = torch.tensor(xs, dtype=torch.float64)
    targets = torch.tensor(ys)

    def gradient(indices: list[int], scale: float | None) -> list[Any]:
        net.zero_grad()
        part = torch.tensor(indices, dtype=torch.long)
        logits = net(inputs[part])
        if scale is None:
            loss = F.cross_entropy(logits, targets[part])  # the batch's mean
        else:
            loss = F.cross_entropy(logits, targets[part], reduction="sum") * scale
        loss.backward()
        return [p.grad.clone() for p in net.parameters()]

    for batch in ([3, 9, 1, 30, 22, 17, 8, 5, 11], [7]):  # 9 = 4 + 5; 1 = 0 + 1
        full = gradient(batch, None)
        shares = scale_out.split_batch(batch, 2)
        parts = [gradient(s.indices, s.loss_scale) for s in shares]
        for k, expected in enumerate(full):
            averaged = sum(part[k] for part in parts) / 2  # DDP's allreduce, then / W
            # the same sums in another order: a few ulps of order-1 gradients
            assert torch.allclose(averaged, expected, rtol=0, atol=1e-14)


def test_split_batch_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="split_batch: the batch is empty"):
        scale_out.split_batch([], 2)
    with pytest.raises(ValueError, match="split_batch: world_size must be >= 1, got 0"):
        scale_out.split_batch([1, 2], 0)
    with pytest.raises(TypeError, match="split_batch: world_size must be an int"):
        scale_out.split_batch([1, 2], 2.0)  # type: ignore[arg-type]


def worker(rank: int, losses: list[float], parameters: list[float]) -> scale_out.WorkerResult:
    """A worker's result, made up, for the comparison's tests."""
    return scale_out.WorkerResult(rank=rank, pid=0, losses=losses, parameters=parameters)


def test_compare_says_where_the_curves_part() -> None:
    same = scale_out.compare([1.0, 0.5], [worker(0, [1.0, 0.5 + 1e-12], [2.0])], [2.0])
    assert same.agree and same.loss_difference == pytest.approx(1e-12, rel=1e-3)
    apart = scale_out.compare(
        [1.0, 0.5, 0.25], [worker(0, [1.0, 0.5, 0.3], [2.0]), worker(1, [9, 9, 9], [2.0])], [2.0]
    )
    assert not apart.agree
    assert apart.disagreement().startswith(
        "the loss curves part at update 3 (ours 0.25, DDP's 0.3); the largest difference is 0.05"
    )
    # rank 1's weights have drifted, though rank 0's losses match
    drifted = scale_out.compare([1.0], [worker(0, [1.0], [2.0]), worker(1, [1.0], [2.5])], [2.0])
    assert not drifted.agree and drifted.parameter_difference == 0.5
    assert drifted.disagreement() == "the final weights differ by up to 0.5, tolerance 1e-09"
    nan = scale_out.compare([1.0], [worker(0, [math.nan], [2.0])], [2.0])
    assert not nan.agree and nan.loss_difference == math.inf  # NaN never passes
    short = scale_out.compare([1.0, 0.5], [worker(0, [1.0], [2.0])], [2.0])
    assert not short.agree and short.disagreement() == "our fit made 2 updates but DDP 1"


def test_a_drifting_worker_makes_the_demo_exit_1_with_one_line(
    torch: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The test hook: the last worker steps with another rate, so its replica drifts.
    drifting = functools.partial(scale_out.run, lr_of_last_worker=0.2)
    monkeypatch.setattr(scale_out, "run", drifting)
    out = tmp_path / "so"
    assert main(["scale_out", "--out", str(out), "--quick", "--quiet"]) == 1
    message = error_line(capsys.readouterr().err, "scale_out")
    assert message.startswith(
        "scale_out: DDP and our fit disagree: the loss curves part at update 2 (ours "
    )
    assert message.endswith(f"(see {out / 'trajectories.png'})")
    assert_png(out / "trajectories.png")  # the plot shows where they part
    assert multiprocessing.active_children() == []


def test_workers_past_the_time_limit_are_stopped(torch: ModuleType, tmp_path: Path) -> None:
    # 0.2 s is far too short to start two Python processes that import torch.
    with pytest.raises(scale_out.WorkersFailed, match=r"did not finish within 0.2 s"):
        scale_out.run(tmp_path, quick=True, timeout=0.2)
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_is_reported_and_the_others_stopped(torch: ModuleType) -> None:
    plan = scale_out._make_plan(0, True, None, None, None, 15, 0.1, 60.0, None)
    with pytest.raises(scale_out.WorkersFailed, match=r"worker 1 ended \(exit code -9\)"):
        with scale_out._Workers(plan, 2, plan.timeout) as started:
            started.processes[1].kill()
            started.results()
    assert started.exit_codes[1] == -9 and started.exit_codes[0] is not None
    assert multiprocessing.active_children() == []


def test_scale_out_runs_under_torchrun(torch: ModuleType, tmp_path: Path) -> None:
    # What the README shows for one machine; on several, torchrun's rendezvous options
    # change, not the script.
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not beside this Python")
    done = subprocess.run(
        [
            str(torchrun),
            "--standalone",
            "--nproc-per-node=2",
            "-m",
            "demos.scale_out",
            "--quick",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "DDP, 2 workers" in done.stdout and "they agree" in done.stdout
    assert_png(tmp_path / "trajectories.png")


def test_scale_out_without_torch_names_the_torch_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    out = tmp_path / "so"
    assert main(["scale_out", "--out", str(out), "--quick", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert error_line(captured.err, "scale_out") == (
        "this demo needs torch: pip install 'lecturegrad[torch]'"
    )
    assert captured.out == "" and not out.exists()


def test_install_hint_names_each_missing_package_and_its_extra() -> None:
    assert _common.install_hint(["matplotlib"]) == (
        "this demo needs matplotlib: pip install 'lecturegrad[demos]'"
    )
    assert _common.install_hint(["torch", "matplotlib", "sklearn"]) == (
        "this demo needs torch, matplotlib and scikit-learn: "
        "pip install 'lecturegrad[torch,demos]'"
    )
    for name in demos.DEMOS:  # every requirement a demo names has its package and extra
        assert set(demos.load(name).REQUIRES) <= set(_common.OPTIONAL_PACKAGES), name


def test_a_failing_worker_sends_one_line_instead_of_dying(
    torch: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MASTER_ADDR", "MASTER_PORT", "GLOO_SOCKET_IFNAME"):
        monkeypatch.setenv(name, "")  # the worker sets them: restored after the test
    plan = scale_out._make_plan(0, True, None, None, None, 15, 0.1, 1.0, None)
    receive, send = multiprocessing.Pipe(duplex=False)
    # Worker 0 of 2, alone: its partner never comes, and the rendezvous times out (1 s).
    scale_out._spawned_worker(0, 2, plan, scale_out._free_port(), send)
    failure = receive.recv()
    assert isinstance(failure, scale_out._WorkerFailure) and failure.rank == 0
    assert failure.message.split(":")[0].endswith("Error")  # the exception's type, first
    assert os.environ["MASTER_ADDR"] == "127.0.0.1"  # it met on the loopback
