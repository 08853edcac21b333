"""nn.fit: the lecture's gradient descent, its stopping rules, History, and real training."""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import Value
from nn import MLP, SGD, Adam, AdamW, History, batches, fit, losses
from nn.losses import hinge, mae, mse

# --- the lecture's one-parameter and two-parameter models -----------------------------------


def test_one_parameter_gradient_descent_reaches_the_analytic_minimum() -> None:
    # L(w) = mean (w x - y)^2 is minimised by w* = sum(x y) / sum(x^2).
    xs = [0.5, 1.0, 1.5, 2.0, 3.0]
    ys = [1.2, 1.9, 3.2, 3.9, 6.1]
    w = Value(-1.0, label="w")
    history = fit(
        lambda x: w * x,
        xs,
        ys,
        parameters=[w],
        loss=mse,
        lr=0.05,
        batch_size=len(xs),
        max_updates=200,
    )
    w_star = math.fsum(x * y for x, y in zip(xs, ys)) / math.fsum(x * x for x in xs)
    assert w.data == pytest.approx(w_star, rel=1e-12)
    assert history.losses[-1] < history.losses[0]


def test_line_b_plus_w_x_reaches_least_squares() -> None:
    xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    ys = [1.1, 2.9, 5.2, 7.1, 8.8, 11.2]
    w, b = Value(0.0, label="w"), Value(0.0, label="b")
    fit(
        lambda x: b + w * x,
        xs,
        ys,
        parameters=[w, b],
        loss=mse,
        lr=0.05,
        batch_size=len(xs),
        max_updates=2000,
    )
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    assert w.data == pytest.approx(slope, rel=1e-9)
    assert b.data == pytest.approx(my - slope * mx, rel=1e-9)


@pytest.mark.parametrize("compiled", [False, True])
def test_zero_gradient_stops_training_and_that_batch_is_not_an_update(compiled: bool) -> None:
    # L(w) = |w - 3| with lr 0.5 walks 0, 0.5, ..., 3 exactly; at 3 the derivative is 0,
    # so eta * 0 = 0: w no longer moves (the lecture's second stopping rule).  Every number
    # is exact, so the compiled replay must agree to the bit.
    w = Value(0.0)
    history = fit(
        lambda x: w * x,
        [1.0],
        [3.0],
        parameters=[w],
        loss=mae,
        lr=0.5,
        batch_size=1,
        grad_tol=0.0,
        max_updates=1000,
        compiled=compiled,
    )
    assert w.data == 3.0
    assert history.stop_reason == "converged"
    assert history.updates == 6 == len(history.losses)
    assert history.losses == [3.0, 2.5, 2.0, 1.5, 1.0, 0.5]
    assert w.grad == 0.0


def test_grad_tol_stops_once_every_component_is_small() -> None:
    w = Value(0.0)
    seen: list[float] = []

    def record(h: History) -> None:
        seen.append(abs(w.grad))

    history = fit(
        lambda x: w * x,
        [1.0],
        [3.0],
        parameters=[w],
        loss=mse,
        lr=0.1,
        batch_size=1,
        grad_tol=1e-3,
        epochs=10_000,
        callback=record,
    )
    assert history.stop_reason == "converged"
    assert abs(w.grad) <= 1e-3  # the batch that stopped it
    assert all(g > 1e-3 for g in seen)  # every counted update had a larger gradient
    assert w.data == pytest.approx(3.0, abs=1e-3)


def test_update_cap_stops_exactly() -> None:
    w = Value(0.0)
    history = fit(
        lambda x: w * x,
        list(range(10)),
        list(range(10)),
        parameters=[w],
        loss=mse,
        lr=0.001,
        batch_size=3,
        max_updates=7,
    )
    assert history.stop_reason == "max_updates"
    assert history.updates == 7 == len(history.losses)
    assert history.epochs == 1  # 4 updates per epoch: one complete epoch
    assert history.epoch_losses == [pytest.approx(sum(history.losses[:4]) / 4, rel=1e-15)]
    assert history.epoch_ends == [4]


def test_epochs_stop_with_ceil_n_over_b_updates_each() -> None:
    w = Value(0.0)
    history = fit(
        lambda x: w * x,
        list(range(10)),
        list(range(10)),
        parameters=[w],
        loss=mse,
        lr=0.001,
        batch_size=3,
        epochs=2,
    )
    assert history.stop_reason == "epochs"
    assert history.updates == 8 and history.epochs == 2
    assert history.epoch_ends == [4, 8]
    assert len(history.epoch_losses) == 2


def test_lecture_epoch_of_10000_examples_in_batches_of_10_is_1000_updates() -> None:
    w = Value(0.0)
    xs = [i / 10000 for i in range(10000)]
    history = fit(
        lambda x: w * x,
        xs,
        [2 * x for x in xs],
        parameters=[w],
        loss=mse,
        lr=0.1,
        batch_size=10,
        epochs=1,
    )
    assert history.updates == 1000 == len(history.losses)
    assert history.epochs == 1


def test_epochs_win_when_both_limits_are_met_at_once() -> None:
    w = Value(0.0)
    history = fit(
        lambda x: w * x,
        [1.0, 2.0],
        [1.0, 2.0],
        parameters=[w],
        loss=mse,
        lr=0.01,
        batch_size=1,
        epochs=2,
        max_updates=4,
    )
    assert (history.stop_reason, history.updates, history.epochs) == ("epochs", 4, 2)


def test_zero_limits_make_no_updates() -> None:
    w = Value(0.0)
    history = fit(
        lambda x: w * x, [1.0], [1.0], parameters=[w], loss=mse, lr=0.1, batch_size=1, max_updates=0
    )
    assert (history.stop_reason, history.updates, history.losses) == ("max_updates", 0, [])


def test_learning_rate_schedule_in_fit() -> None:
    w = Value(0.0)
    rates: list[int] = []

    def schedule(k: int) -> float:
        rates.append(k)
        return 0.1

    fit(
        lambda x: w * x,
        [1.0],
        [1.0],
        parameters=[w],
        loss=mse,
        lr=schedule,
        batch_size=1,
        max_updates=5,
    )
    assert rates == [0, 1, 2, 3, 4]


def test_callback_gets_the_history_after_each_update() -> None:
    w = Value(0.0)
    calls: list[tuple[int, float, int]] = []
    history = fit(
        lambda x: w * x,
        [1.0, 2.0, 3.0],
        [2.0, 4.0, 6.0],
        parameters=[w],
        loss=mse,
        lr=0.01,
        batch_size=2,
        epochs=2,
        callback=lambda h: calls.append((h.updates, h.losses[-1], h.epochs)),
    )
    assert [c[0] for c in calls] == [1, 2, 3, 4]
    assert [c[1] for c in calls] == history.losses
    assert [c[2] for c in calls] == [0, 0, 1, 1]  # completed epochs so far


def test_parameters_override_trains_only_those() -> None:
    model = MLP(2, [3, 1], seed=0)
    frozen = model.layers[0].parameters()
    before = [p.data for p in frozen]
    fit(
        model,
        [[1.0, 2.0], [0.0, 1.0]],
        [1.0, 0.0],
        parameters=model.layers[1].parameters(),
        loss=mse,
        lr=0.1,
        batch_size=2,
        max_updates=5,
    )
    assert [p.data for p in frozen] == before


# --- History ---------------------------------------------------------------------------------


def test_history_fields_and_repr() -> None:
    w = Value(0.0)
    history = fit(
        lambda x: w * x,
        [1.0, 2.0, 3.0, 4.0],
        [2.0, 4.0, 6.0, 8.0],
        parameters=[w],
        loss=mse,
        lr=0.01,
        batch_size=2,
        epochs=3,
    )
    assert isinstance(history, History)
    assert len(history.losses) == history.updates == 6
    assert history.epochs == 3 and len(history.epoch_losses) == 3
    for e in range(3):
        assert history.epoch_losses[e] == pytest.approx(
            sum(history.losses[2 * e : 2 * e + 2]) / 2, rel=1e-15
        )
    assert history.epoch_losses[0] > history.epoch_losses[-1]
    assert repr(history).startswith("History(6 updates, 3 epochs, last loss ")
    assert "stop_reason='epochs'" in repr(history)


def test_history_plot_saves_a_png(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    w = Value(0.0)
    history = fit(
        lambda x: w * x,
        [1.0, 2.0, 3.0],
        [2.0, 4.0, 6.0],
        parameters=[w],
        loss=mse,
        lr=0.01,
        batch_size=1,
        epochs=3,
    )
    path = tmp_path / "loss.png"
    fig = history.plot(path)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 2


def test_history_plot_without_path_returns_a_pyplot_figure() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = History(losses=[3.0, 2.0, 1.0], updates=3).plot()
    try:
        assert fig.axes[0].get_xlabel() == "update"
    finally:
        plt.close(fig)


def test_progress_bar_shows_the_loss(capsys: Any) -> None:
    pytest.importorskip("tqdm")
    w = Value(0.0)
    fit(
        lambda x: w * x,
        [1.0, 2.0],
        [2.0, 4.0],
        parameters=[w],
        loss=mse,
        lr=0.01,
        batch_size=1,
        epochs=3,
        progress=True,
    )
    err = capsys.readouterr().err
    assert "fit" in err and "6/6" in err and "loss=" in err


@pytest.mark.parametrize(
    ("limits", "total"),
    [({"max_updates": 4}, "4/4"), ({"max_updates": 4, "epochs": 1}, "2/2"), ({"epochs": 3}, "6/6")],
)
def test_progress_bar_total_is_the_nearest_limit(
    capsys: Any, limits: dict[str, int], total: str
) -> None:
    pytest.importorskip("tqdm")
    w = Value(0.0)
    fit(
        lambda x: w * x,
        [1.0, 2.0],
        [2.0, 4.0],
        parameters=[w],
        loss=mse,
        lr=0.01,
        batch_size=1,
        progress=True,
        **limits,
    )
    assert total in capsys.readouterr().err


# --- errors ------------------------------------------------------------------------------------


def _fit_one_weight(loss: Any, **kwargs: Any) -> None:
    w = Value(1.0)
    arguments: dict[str, Any] = {"lr": 0.1, "batch_size": 1, "max_updates": 10}
    arguments.update(kwargs)
    fit(lambda x: w * x, [1.0], [2.0], parameters=[w], loss=loss, **arguments)


def test_non_finite_loss_names_the_update_and_the_loss() -> None:
    calls = 0

    def exploding(preds: list[Value], ys: list[float]) -> Value:
        nonlocal calls
        calls += 1
        return mse(preds, ys) * (math.inf if calls > 3 else 1.0)

    # The 4th update fails after 3 completed ones: both counts are in the message.
    with pytest.raises(
        FloatingPointError,
        match=r"^fit: at update 4 \(1-based; history.updates = 3\), epoch 4: "
        r"the loss is inf \(not finite\); try a smaller learning rate$",
    ):
        _fit_one_weight(exploding)


def test_nan_loss_is_named() -> None:
    def nan_loss(preds: list[Value], ys: list[float]) -> Value:
        value = mse(preds, ys)
        value.data = math.nan  # a NaN that reached the loss without the engine noticing
        return value

    with pytest.raises(FloatingPointError, match=r"at update 1 \(1-based.*: the loss is nan"):
        _fit_one_weight(nan_loss)


def test_divergence_names_the_loss_and_the_update_both_ways() -> None:
    # Before: "fit: overflow at update 67 (counted from 0) ...: pow: ... overflows a float".
    w = Value(1.0)
    completed: list[int] = []
    with pytest.raises(FloatingPointError) as info:
        fit(
            lambda x: w * x,
            [10.0],
            [1.0],
            parameters=[w],
            loss=mse,
            lr=1.0,
            batch_size=1,
            max_updates=10_000,
            callback=lambda h: completed.append(h.updates),
        )
    message = str(info.value)
    n = completed[-1]
    assert message.startswith(
        f"fit: at update {n + 1} (1-based; history.updates = {n}), epoch {n + 1}, "
        "computing the loss: a float overflowed: pow: the result overflows a float"
    )
    assert message.endswith("; try a smaller learning rate")
    assert isinstance(info.value.__cause__, OverflowError)


def test_overflow_while_backpropagating_is_named() -> None:
    w = Value(1e-10)

    def loss(preds: list[Value], ys: list[float]) -> Value:
        # (1e-10) ** -30 * 1e-300 is about 1, but the slope -30 * (1e-10) ** -31 overflows.
        return preds[0] ** -30.0 * 1e-300

    with pytest.raises(
        FloatingPointError,
        match=r"^fit: at update 1 \(1-based; history.updates = 0\), epoch 1, backpropagating "
        r"the loss: a float overflowed: backward: the gradient of .* overflowed a float",
    ) as info:
        fit(lambda x: w, [1.0], [0.0], parameters=[w], loss=loss, lr=0.1, batch_size=1, epochs=1)
    assert isinstance(info.value.__cause__, OverflowError)


def test_engine_value_error_keeps_its_type_and_gets_the_update() -> None:
    # Before: a bare "ValueError: *: the number is NaN", with no word of fit or the update.
    with pytest.raises(ValueError) as info:
        _fit_one_weight(lambda p, y: mse(p, y) * float("nan"))
    assert type(info.value) is ValueError
    assert str(info.value) == (
        "fit: at update 1 (1-based; history.updates = 0), epoch 1, computing the loss: "
        "*: the operand must not be NaN"
    )
    assert isinstance(info.value.__cause__, ValueError)
    assert str(info.value.__cause__) == "*: the operand must not be NaN"


def test_zero_division_keeps_its_type_and_gets_the_update() -> None:
    calls = 0

    def loss(preds: list[Value], ys: list[float]) -> Value:
        nonlocal calls
        calls += 1
        return mse(preds, ys) / (0.0 if calls == 3 else 1.0)

    with pytest.raises(
        ZeroDivisionError,
        match=r"^fit: at update 3 \(1-based; history.updates = 2\), epoch 3, computing the "
        r"loss: /: division by zero",
    ) as info:
        _fit_one_weight(loss)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_value_error_while_backpropagating_is_named() -> None:
    w = Value(2.0)
    with pytest.raises(
        ValueError,
        match=r"^fit: at update 1 \(1-based; history.updates = 0\), epoch 1, backpropagating "
        r"the loss: pow: the derivative with respect to the base is undefined",
    ):
        fit(
            lambda x: w * x,
            [1.0],
            [2.0],
            parameters=[w],
            loss=lambda p, y: ((p[0] - y[0]) ** 2) ** 0.5,
            lr=0.1,
            batch_size=1,
            max_updates=1,
        )


def test_value_error_subclass_with_another_constructor_becomes_a_value_error() -> None:
    import json

    def loss(preds: list[Value], ys: list[float]) -> Value:
        raise json.JSONDecodeError("bad", "doc", 0)

    with pytest.raises(ValueError, match=r"^fit: at update 1 .*computing the loss: bad") as info:
        _fit_one_weight(loss)
    assert isinstance(info.value.__cause__, json.JSONDecodeError)


@pytest.mark.parametrize("compiled", [False, True])
def test_loss_target_errors_get_the_update_too(compiled: bool) -> None:
    with pytest.raises(
        ValueError, match=r"^fit: at update 1 .*cross_entropy: target\[0\] must be .*, got 0.5"
    ):
        fit(
            MLP(2, [2], seed=0),
            [[0.0, 1.0]],
            [0.5],
            loss=losses.cross_entropy,
            lr=0.1,
            batch_size=1,
            max_updates=1,
            compiled=compiled,
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "at least one stopping rule"),
        ({"max_updates": 1, "batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"max_updates": -1}, ValueError, "max_updates must be >= 0"),
        ({"epochs": 1.5}, TypeError, "epochs must be an int"),
        ({"grad_tol": -1.0}, ValueError, "grad_tol must be a finite number >= 0"),
        ({"grad_tol": 10**400}, ValueError, "^fit: grad_tol is too large for a float: 1000"),
        ({"grad_tol": True}, TypeError, "^fit: grad_tol must be a real number, got bool True$"),
        ({"max_updates": 1, "seed": -(2**64)}, ValueError, "^fit: seed must be >= -"),
        ({"max_updates": 1, "seed": 1.0}, TypeError, "^fit: seed must be an int, got float"),
        ({"max_updates": 1, "batch_size": 2.0}, TypeError, "^fit: batch_size must be an int"),
        ({"max_updates": 1, "lr": 10**400}, ValueError, "^SGD: lr is too large for a float"),
        (
            {"max_updates": -(10**5000)},
            ValueError,
            "^fit: max_updates must be >= 0, got <int of about 5001 digits>$",
        ),
        ({"max_updates": 1, "ys": [1.0]}, ValueError, "xs has 2 examples but ys has 1"),
        ({"max_updates": 1, "xs": [], "ys": []}, ValueError, "no training examples"),
        ({"max_updates": 1, "parameters": None}, TypeError, "pass parameters="),
        ({"max_updates": 1, "parameters": []}, ValueError, "no parameters to train"),
        ({"max_updates": 1, "loss": "mse"}, TypeError, "loss must be callable"),
        ({"max_updates": 1, "loss": lambda p, y: 1.0}, TypeError, "loss must return a Value"),
        ({"max_updates": 1, "lr": -1.0}, ValueError, "SGD: lr must be"),
        ({"max_updates": 1, "callback": 3}, TypeError, "callback must be callable"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    w = Value(0.0)
    arguments: dict[str, Any] = {
        "xs": [1.0, 2.0],
        "ys": [1.0, 2.0],
        "parameters": [w],
        "loss": mse,
        "lr": 0.1,
        "batch_size": 1,
    }
    arguments.update(kwargs)
    xs, ys = arguments.pop("xs"), arguments.pop("ys")
    with pytest.raises(error, match=message):
        fit(lambda x: w * x, xs, ys, **arguments)


def test_model_must_be_callable() -> None:
    with pytest.raises(TypeError, match="model must be callable"):
        fit(
            3,
            [1.0],
            [1.0],
            parameters=[Value(0.0)],
            loss=mse,
            lr=0.1,
            batch_size=1,  # type: ignore[arg-type]
            epochs=1,
        )


# --- real training: XOR, two moons, determinism ----------------------------------------------

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def test_xor_is_learned() -> None:
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    history = fit(model, XOR_X, XOR_Y, loss=mse, lr=0.2, batch_size=4, epochs=500)
    assert history.losses[-1] < 1e-3
    for x, y in zip(XOR_X, XOR_Y):
        out = model(x)
        assert isinstance(out, Value)
        assert out.data == pytest.approx(y, abs=0.05)


def test_xor_with_cross_entropy_and_two_outputs() -> None:
    model = MLP(2, [8, 2], activation="relu", seed=1)
    fit(model, XOR_X, [0, 1, 1, 0], loss=losses.cross_entropy, lr=0.1, batch_size=4, epochs=300)
    for x, label in zip(XOR_X, [0, 1, 1, 0]):
        logits = model(x)
        assert isinstance(logits, list)
        assert max(range(2), key=lambda k: logits[k].data) == label


def make_moons(
    n: int = 100, noise: float = 0.1, seed: int = 0
) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles as in sklearn.datasets.make_moons; labels -1 and +1."""
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    xs: list[list[float]] = []
    ys: list[float] = []
    for i in range(n_outer):
        t = math.pi * i / (n_outer - 1)
        xs.append([math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)])
        ys.append(-1.0)
    for i in range(n_inner):
        t = math.pi * i / (n_inner - 1)
        xs.append([1 - math.cos(t) + rng.gauss(0, noise), 0.5 - math.sin(t) + rng.gauss(0, noise)])
        ys.append(1.0)
    return xs, ys


def _moons_run(updates: int, batch_size: int, seed: int = 0) -> tuple[MLP, History, Any]:
    xs, ys = make_moons()
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=seed)
    params = model.parameters()
    alpha = 1e-4

    def loss(scores: list[Value], targets: list[float]) -> Value:
        # micrograd's demo: SVM max-margin loss plus L2 regularisation.
        return hinge(scores, targets) + alpha * autograd.sum([p * p for p in params])

    history = fit(
        model,
        xs,
        ys,
        loss=loss,
        lr=lambda k: 1.0 - 0.9 * k / 100,
        batch_size=batch_size,
        max_updates=updates,
        seed=seed,
    )
    return model, history, (xs, ys)


@pytest.mark.slow
def test_micrograd_two_moons_demo_reaches_full_training_accuracy() -> None:
    model, history, (xs, ys) = _moons_run(updates=100, batch_size=100)
    correct = 0
    for x, y in zip(xs, ys):
        score = model(x)
        assert isinstance(score, Value)
        correct += (score.data > 0) == (y > 0)
    assert correct == len(xs)
    assert history.losses[-1] < 0.05


def test_same_seed_same_run_bit_identical() -> None:
    _, first, _ = _moons_run(updates=8, batch_size=10)
    _, second, _ = _moons_run(updates=8, batch_size=10)
    assert first.losses == second.losses  # exact equality: every bit
    _, other, _ = _moons_run(updates=8, batch_size=10, seed=1)
    assert other.losses != first.losses


def test_fit_passes_momentum_and_weight_decay_to_sgd() -> None:
    # The same updates by hand with nn.SGD: fit must give bit-identical parameters.
    def run_fit() -> float:
        w = Value(3.0)
        fit(
            lambda x: w * x,
            [1.0, 2.0],
            [2.0, 4.0],
            parameters=[w],
            loss=mse,
            lr=0.05,
            momentum=0.9,
            weight_decay=0.01,
            batch_size=2,
            max_updates=20,
        )
        return w.data

    w = Value(3.0)
    optimizer = SGD([w], 0.05, momentum=0.9, weight_decay=0.01)
    for _ in range(20):
        optimizer.zero_grad()
        mse([w * 1.0, w * 2.0], [2.0, 4.0]).backward()
        optimizer.step()
    assert run_fit() == w.data
    assert w.data != 3.0


@pytest.mark.parametrize("compiled", [False, True])
def test_a_diverging_fit_raises_an_error_both_float_and_value_handlers_catch(
    compiled: bool,
) -> None:
    from nn import NonFiniteLossError

    w = Value(1.0)
    with pytest.raises(NonFiniteLossError, match=r"^fit: at update \d+ \(1-based") as caught:
        fit(
            lambda x: w * x,
            [1e3, 2e3],
            [0.0, 0.0],
            parameters=[w],
            loss=mse,
            lr=1e3,
            batch_size=1,
            epochs=100,
            compiled=compiled,
        )
    assert isinstance(caught.value, FloatingPointError)
    assert isinstance(caught.value, ValueError)


# --- compiled=True: the same training, replayed by autograd.compile ---------------------------

# Compiled and eager training differ by float rounding only (gradients are summed in another
# order, numpy's exp/log/tanh may differ from math's in the last bit): ~1e-16 of the scale
# per update.  SGD carries differences forward, so over these short runs (<= 300 updates)
# they grew to 1.5e-15 at most (measured); 1e-9 of max(1, |value|) still catches any real
# difference (a wrong gradient changes the losses at the first update).
TRAIN_RTOL = 1e-9


def _close(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(
        abs(x - y) <= TRAIN_RTOL * max(1.0, abs(y)) for x, y in zip(a, b)
    )


def _probability_targets(n: int) -> list[list[float]]:
    return [[0.25, 0.75] if i % 2 else [1.0, 0.0] for i in range(n)]


def _xor_mse() -> dict[str, Any]:
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    return {"model": model, "xs": XOR_X, "ys": XOR_Y, "loss": mse, "lr": 0.2, "batch_size": 3}


def _xor_vector_mae() -> dict[str, Any]:
    model = MLP(2, [5, 2], activation="sigmoid", seed=2)
    ys = [[y, 1.0 - y] for y in XOR_Y]
    return {"model": model, "xs": XOR_X, "ys": ys, "loss": mae, "lr": 0.5, "batch_size": 2}


def _xor_cross_entropy() -> dict[str, Any]:
    model = MLP(2, [8, 2], activation="relu", seed=1)
    return {
        "model": model,
        "xs": XOR_X,
        "ys": [0, 1, 1, 0],
        "loss": losses.cross_entropy,
        "lr": 0.1,
        "batch_size": 4,
    }


def _soft_cross_entropy() -> dict[str, Any]:
    model = MLP(2, [6, 2], activation="hard_sigmoid", seed=4)
    xs = [[0.1 * i, 1.0 - 0.2 * i] for i in range(10)]
    return {
        "model": model,
        "xs": xs,
        "ys": _probability_targets(10),
        "loss": losses.cross_entropy,
        "lr": 0.3,
        "batch_size": 4,
        "momentum": 0.9,
    }


def _moons_hinge_l2() -> dict[str, Any]:
    xs, ys = make_moons(40)
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()

    def loss(scores: list[Value], targets: list[float]) -> Value:
        return hinge(scores, targets) + 1e-4 * autograd.sum([p * p for p in params])

    return {
        "model": model,
        "xs": xs,
        "ys": ys,
        "loss": loss,
        "lr": lambda k: 1.0 - 0.9 * k / 100,
        "batch_size": 16,
        "weight_decay": 1e-3,
    }


def _bce_with_logits() -> dict[str, Any]:
    model = MLP(1, [3, 1], activation="tanh", seed=5)
    xs = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]
    return {
        "model": model,
        "xs": xs,
        "ys": [0.0, 0.0, 1.0, 0.0, 1.0, 1.0],
        "loss": losses.binary_cross_entropy_with_logits,
        "lr": 0.5,
        "batch_size": 6,
    }


def _line_mse() -> dict[str, Any]:
    w, b = Value(0.0), Value(0.0)
    return {
        "model": lambda x: b + w * x,
        "parameters": [w, b],
        "xs": [0.0, 1.0, 2.0, 3.0, 4.0],
        "ys": [1.0, 3.1, 4.9, 7.2, 9.0],
        "loss": mse,
        "lr": 0.05,
        "batch_size": 2,
    }


@pytest.mark.parametrize(
    "setup",
    [
        _xor_mse,
        _xor_vector_mae,
        _xor_cross_entropy,
        _soft_cross_entropy,
        _moons_hinge_l2,
        _bce_with_logits,
        _line_mse,
    ],
)
def test_compiled_fit_trains_as_the_eager_fit(setup: Callable[[], dict[str, Any]]) -> None:
    runs = []
    for compiled in (False, True):
        arguments = setup()
        model, xs, ys = arguments.pop("model"), arguments.pop("xs"), arguments.pop("ys")
        params = arguments.get("parameters") or model.parameters()
        history = fit(model, xs, ys, epochs=30, compiled=compiled, **arguments)
        runs.append((history, [p.data for p in params]))
    (eager, eager_params), (compiled_run, compiled_params) = runs
    assert compiled_run.updates == eager.updates and compiled_run.epochs == eager.epochs
    assert compiled_run.stop_reason == eager.stop_reason == "epochs"
    assert compiled_run.epoch_ends == eager.epoch_ends
    assert _close(compiled_run.losses, eager.losses)
    assert _close(compiled_run.epoch_losses, eager.epoch_losses)
    assert _close(compiled_params, eager_params)
    assert eager.losses[-1] < eager.losses[0]  # it trained


@pytest.mark.slow
def test_compiled_micrograd_moons_reach_full_training_accuracy() -> None:
    xs, ys = make_moons()
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()

    def loss(scores: list[Value], targets: list[float]) -> Value:
        return hinge(scores, targets) + 1e-4 * autograd.sum([p * p for p in params])

    fit(
        model,
        xs,
        ys,
        loss=loss,
        lr=lambda k: 1.0 - 0.9 * k / 100,
        batch_size=100,
        max_updates=100,
        compiled=True,
    )
    assert all((model(x).data > 0) == (y > 0) for x, y in zip(xs, ys))  # type: ignore[union-attr]


def test_compiled_fit_is_bit_identical_run_to_run() -> None:
    first = fit(**{**_xor_cross_entropy(), "epochs": 20, "compiled": True})
    second = fit(**{**_xor_cross_entropy(), "epochs": 20, "compiled": True})
    assert first.losses == second.losses


def test_compiled_engine_errors_keep_their_type_and_name_the_update() -> None:
    w = Value(1.0)
    with pytest.raises(
        ValueError,
        match=r"^fit: at update 3 \(1-based; history.updates = 2\), epoch 3, compiled loss: "
        r"compile: at example 0 of the batch: log: the operand must be > 0",
    ) as info:
        fit(
            lambda x: w * x,
            [1.0],
            [0.0],
            parameters=[w],
            loss=lambda p, y: mse([p[0].log()], y),
            lr=0.0,  # w stays 1: log(w) is fine until the callback moves it
            batch_size=1,
            max_updates=5,
            callback=lambda h: setattr(w, "data", -1.0) if h.updates == 2 else None,
            compiled=True,
        )
    assert type(info.value) is ValueError
    assert isinstance(info.value.__cause__, ValueError)


def test_compiled_fit_refuses_a_loss_that_is_not_a_mean() -> None:
    w = Value(1.0)

    def summed(preds: list[Value], ys: list[float]) -> Value:
        return autograd.sum([(p - y) ** 2 for p, y in zip(preds, ys)])

    with pytest.raises(ValueError, match=r"the compiled loss is .* but the eager engine's is"):
        fit(
            lambda x: w * x,
            [1.0, 2.0],
            [0.0, 0.0],
            parameters=[w],
            loss=summed,
            lr=0.1,
            batch_size=2,
            max_updates=1,
            compiled=True,
        )


def test_compiled_fit_refuses_a_branch_the_trace_froze() -> None:
    w = Value(1.0)

    def branchy(x: Value) -> Value:
        return w * x if float(x) > 0 else w * x * 10

    with pytest.raises(ValueError, match="without branches on the data"):
        fit(
            branchy,
            [1.0, -1.0],
            [0.0, 0.0],
            parameters=[w],
            loss=mse,
            lr=0.1,
            batch_size=2,
            max_updates=1,
            compiled=True,
        )


def _three_classes() -> dict[str, Any]:
    rng = random.Random(4)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(30)]
    ys = [0 if x[0] > 0.3 else 1 if x[1] > 0 else 2 for x in xs]
    model = MLP(2, [6, 3], activation="tanh", seed=3)
    return {"model": model, "xs": xs, "ys": ys, "loss": losses.cross_entropy, "lr": 0.5,
            "batch_size": 8}


def test_compiled_fit_traces_once_for_every_class(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd.compiled

    traces: list[Any] = []
    real_compile = autograd.compiled.compile

    def counting(fn: Any, *, example: tuple[Any, ...]) -> Any:
        traces.append(example)
        return real_compile(fn, example=example)

    monkeypatch.setattr(autograd.compiled, "compile", counting)
    arguments = _three_classes()
    assert set(arguments["ys"]) == {0, 1, 2}
    history = fit(**arguments, epochs=3, compiled=True)
    assert len(traces) == 1  # one trace, its class index an input, serves every class
    assert history.updates == 12


def test_compile_traces_a_class_index_target() -> None:
    # The first thing a user writes: the class index is a traced input, data like x.
    model = MLP(2, [5, 3], seed=1)
    params = model.parameters()
    xs = [[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5], [0.0, 0.0]]
    ys = [2, 0, 1, 2]
    step = autograd.compile(
        lambda x, y: losses.cross_entropy(model(x), y), example=(xs[0], 3 % 3)
    )
    compiled = step(xs, ys)
    mean = step.backward(xs, ys)
    grads = [p.grad for p in params]
    model.zero_grad()
    eager = [losses.cross_entropy(model(x), y) for x, y in zip(xs, ys)]
    eager_mean = autograd.sum(eager) / len(eager)
    eager_mean.backward()
    # Relative 1e-12, as in test_compile.py (numpy's exp and log against math's, sums in
    # another order): measured differences are a few ulps.
    for got, expected in [*zip(compiled, eager), (mean, eager_mean)]:
        assert got == pytest.approx(expected.data, rel=1e-12)
    assert grads == pytest.approx([p.grad for p in params], rel=1e-12, abs=1e-15)
    with pytest.raises(ValueError, match=r"^compile: at example 1 of the batch: select: the index"):
        step(xs[:2], [0, 3])  # a class index out of range, found by select at run time


def test_compiled_fit_needs_a_loss_that_takes_value_targets() -> None:
    w = Value(1.0)

    def strict(preds: list[Value], ys: list[Any]) -> Value:
        if any(isinstance(y, Value) for y in ys):
            raise TypeError("strict: targets must be numbers")
        return mse(preds, ys)

    with pytest.raises(TypeError, match=r"^strict: targets must be numbers"):
        fit(lambda x: w * x, [1.0, 2.0], [0.0, 1.0], parameters=[w], loss=strict, lr=0.1,
            batch_size=2, max_updates=1, compiled=True)


@pytest.mark.parametrize(
    ("loss", "ys", "message"),
    [
        (losses.cross_entropy, [0, 1, 1, 0, 2, 1], r"ys\[4\]: cross_entropy: .* 0 to 1\), got 2$"),
        (losses.cross_entropy, [0, 1, 1, 0, 0.5, 1], r"ys\[4\]: cross_entropy: .*, got 0.5$"),
        (losses.hinge, [1, -1, 1, 1, 0, -1], r"ys\[4\]: hinge: target\[0\] must be \+1 or -1"),
        (losses.binary_cross_entropy_with_logits, [1, 0, 1, 0, math.inf, 1],
         r"fit: ys\[4\] must be a finite number, got inf"),  # the data check comes first
    ],
)
def test_compiled_fit_checks_every_target_before_training(
    loss: Any, ys: list[Any], message: str
) -> None:
    # The bad target is in the last batch: it is found before the first update all the same,
    # and nothing is trained.
    outputs = 2 if loss is losses.cross_entropy else 1
    model = MLP(2, [3, outputs], seed=0)
    before = [p.data for p in model.parameters()]
    xs = [[0.1 * i, -0.2 * i] for i in range(6)]
    with pytest.raises(ValueError, match=f"^fit: at update 1 .*compiled loss: {message}"):
        fit(model, xs, ys, loss=loss, lr=0.1, batch_size=2, epochs=1, seed=0, compiled=True)
    assert [p.data for p in model.parameters()] == before


def test_compiled_fit_checks_the_data_once() -> None:
    w = Value(1.0)
    message = r"^fit: at update 1 .*compiled loss: fit: xs\[1\]\[0\] must be a finite .*, got nan"
    with pytest.raises(ValueError, match=message):
        fit(lambda x: w * x[0], [[1.0], [math.nan]], [0.0, 0.0], parameters=[w], loss=mse,
            lr=0.1, batch_size=1, max_updates=1, compiled=True)


def _recorded_run(compiled: bool, **overrides: Any) -> tuple[list[list[float]], Any, list[float]]:
    """fit on three classes; the parameters (data and grad) the callback sees at each update."""
    arguments = {**_three_classes(), "epochs": 4, **overrides}
    params = arguments["model"].parameters()
    seen: list[list[float]] = []

    def callback(history: History) -> None:
        seen.append([p.data for p in params] + [p.grad for p in params])

    error = None
    try:
        fit(**arguments, callback=callback, compiled=compiled)
    except (ValueError, FloatingPointError) as caught:
        error = caught
    return seen, error, [p.data for p in params]


def test_compiled_fit_writes_the_parameters_back_for_every_callback_and_at_the_end() -> None:
    eager, _, eager_final = _recorded_run(False)
    compiled, _, compiled_final = _recorded_run(True)
    assert len(compiled) == len(eager) == 16
    for got, expected in zip(compiled, eager):
        assert _close(got, expected)
    assert _close(compiled_final, eager_final)
    assert compiled_final != _recorded_run(True, epochs=0)[2]  # it trained


def test_a_callback_may_change_the_parameters_in_compiled_fit() -> None:
    w = Value(0.0)

    def callback(history: History) -> None:
        if history.updates == 3:
            w.data = 10.0  # the next update must start from here

    for compiled in (False, True):
        w.data = 0.0
        history = fit(lambda x: w * x, [1.0, 2.0], [2.0, 4.0], parameters=[w], loss=mse,
                      lr=0.1, batch_size=2, max_updates=4, callback=callback, compiled=compiled)
        # Update 4's loss: mean of (10 x - 2 x)² over x = 1, 2: (64 + 256) / 2.
        assert history.losses[3] == pytest.approx(160.0, rel=1e-12)


def test_a_compiled_fit_that_stops_on_an_error_leaves_the_last_good_values() -> None:
    # The learning rate schedule fails at update 6: training stops there, and the Values
    # hold the parameters after update 5, as in the eager run.
    def schedule(k: int) -> float:
        return math.nan if k == 5 else 0.5

    eager, eager_error, eager_final = _recorded_run(False, lr=schedule)
    compiled, compiled_error, compiled_final = _recorded_run(True, lr=schedule)
    for error in (eager_error, compiled_error):
        assert type(error) is ValueError and "lr schedule at update 5" in str(error)
    assert len(compiled) == len(eager) == 5
    params = len(compiled_final)
    assert _close(compiled_final, compiled[-1][:params])  # the values after update 5
    assert _close(compiled_final, eager_final)
    assert compiled_final != _recorded_run(True, epochs=0)[2]  # it trained before the error


def test_a_diverging_compiled_fit_leaves_the_last_finite_values() -> None:
    # The step that would make w infinite is refused: w keeps the last finite value.
    finals = []
    for compiled in (False, True):
        w = Value(1.0)
        with pytest.raises(FloatingPointError):
            fit(lambda x, w=w: w * x, [1e3, 2e3], [0.0, 0.0], parameters=[w], loss=mse,
                lr=1e3, batch_size=1, epochs=100, compiled=compiled)
        finals.append(w.data)
    assert math.isfinite(finals[0]) and abs(finals[0]) > 1e100
    assert _close(finals[1:], finals[:1])


def test_a_nan_parameter_stops_compiled_fit_as_it_stops_eager_fit() -> None:
    for compiled in (False, True):
        w = Value(1.0)

        def callback(history: History, w: Value = w) -> None:
            w.data = math.nan

        # Eager names the product w * x; compiled the dot product it was folded into.
        nan = r"^fit: at update 2 .*: (mul|dot): the result is NaN for the operands \(nan, "
        with pytest.raises(ValueError, match=nan) as info:
            fit(lambda x, w=w: w * x, [1.0, 2.0], [2.0, 4.0], parameters=[w], loss=mse, lr=0.1,
                batch_size=2, max_updates=3, callback=callback, compiled=compiled)
        if compiled:
            assert "at example 0 of the batch" in str(info.value)


def test_compiled_fit_reads_values_it_does_not_train() -> None:
    # c is live in the trace but not trained: fit leaves it alone, and a callback that
    # changes it is seen by the next update, as in the eager run.
    runs = []
    for compiled in (False, True):
        w, c = Value(0.5), Value(1.0)

        def callback(history: History, c: Value = c) -> None:
            c.data = 2.0 if history.updates == 2 else c.data

        history = fit(lambda x, w=w, c=c: c + w * x, [1.0, 2.0, 3.0], [2.0, 3.0, 4.0],
                      parameters=[w], loss=mse, lr=0.05, batch_size=3, max_updates=5,
                      callback=callback, compiled=compiled)
        runs.append((history.losses, w.data, c.data, c.grad))
    (eager_losses, eager_w, eager_c, _), (losses_, w_data, c_data, c_grad) = runs
    assert _close(losses_, eager_losses)
    assert _close([w_data], [eager_w])
    assert c_data == eager_c == 2.0
    assert c_grad == 0.0  # compiled fit writes the trained parameters' grads only (eager
    # backward also accumulates into c.grad, a leaf of every update's graph)


def test_a_huge_learning_rate_trains_compiled_as_eager() -> None:
    # lr = 1e6 sends the logits to +-1e6 and beyond: log-sum-exp's shift at run time keeps
    # both engines finite for all 100 updates (a shift frozen by the trace overflowed).
    runs = []
    for compiled in (False, True):
        arguments = {**_xor_cross_entropy(), "lr": 1e6}
        params = arguments["model"].parameters()
        history = fit(**arguments, max_updates=100, compiled=compiled)
        runs.append((history, [p.data for p in params]))
    (eager, eager_params), (compiled_run, compiled_params) = runs
    assert eager.updates == compiled_run.updates == 100
    assert _close(compiled_run.losses, eager.losses)
    assert _close(compiled_params, eager_params)
    assert max(abs(p) for p in eager_params) > 1e5


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"compiled": 1}, TypeError, "^fit: compiled must be True or False, got int"),
        ({"loss": lambda p, y: 1.0}, TypeError, "^fit: loss must return a Value, got float"),
        ({"xs": [[1.0], [1.0, 2.0]]}, ValueError, "compiled loss: fit: xs must be .* regular"),
    ],
)
def test_compiled_bad_arguments(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    w = Value(0.0)
    arguments: dict[str, Any] = {
        "xs": [1.0, 2.0],
        "ys": [1.0, 2.0],
        "parameters": [w],
        "loss": mse,
        "lr": 0.1,
        "batch_size": 2,
        "max_updates": 1,
        "compiled": True,
    }
    arguments.update(kwargs)
    xs, ys = arguments.pop("xs"), arguments.pop("ys")
    with pytest.raises(error, match=message):
        fit(lambda x: w * (x[0] if isinstance(x, list) else x), xs, ys, **arguments)


@pytest.mark.parametrize("enabled", [True, False])
def test_fit_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    # fit pauses the cycle collector during each eager update (graphs hold no cycles), and
    # must give it back as it was: on after a normal run and after an error, off if it was off.
    was = gc.isenabled()
    seen: list[bool] = []
    try:
        gc.enable() if enabled else gc.disable()
        w = Value(0.5)

        def model(x: float) -> Value:
            seen.append(gc.isenabled())
            return w * x

        fit(model, [1.0, 2.0], [2.0, 4.0], parameters=[w], loss=mse, lr=0.1, batch_size=1,
            epochs=2)
        assert gc.isenabled() is enabled
        assert seen and not any(seen)  # paused while the graphs were built
        with pytest.raises(ValueError):
            fit(model, [1.0], [math.nan], parameters=[w], loss=mse, lr=0.1, batch_size=1,
                epochs=1)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


# --- validation, on_epoch, early stopping ------------------------------------------------------


def _three_class_validation() -> tuple[list[list[float]], list[int]]:
    """A held-out set drawn as _three_classes draws its training set, from another seed."""
    rng = random.Random(5)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(12)]
    return xs, [0 if x[0] > 0.3 else 1 if x[1] > 0 else 2 for x in xs]


def _validated_run(compiled: bool, **overrides: Any) -> tuple[History, list[list[float]], MLP]:
    """fit on three classes with validation; the parameters on_epoch sees at each epoch."""
    arguments = {**_three_classes(), "epochs": 4, **overrides}
    params = arguments["model"].parameters()
    seen: list[list[float]] = []
    history = fit(
        **arguments,
        validation=_three_class_validation(),
        on_epoch=lambda h: seen.append([p.data for p in params]),
        compiled=compiled,
    )
    return history, seen, arguments["model"]


@pytest.mark.parametrize("compiled", [False, True])
def test_validation_records_the_loss_and_accuracy_of_each_epochs_parameters(
    compiled: bool,
) -> None:
    history, seen, model = _validated_run(compiled)
    xs, ys = _three_class_validation()
    assert len(seen) == len(history.val_losses) == len(history.val_accuracies) == 4
    for data, val_loss, val_accuracy in zip(seen, history.val_losses, history.val_accuracies):
        for p, x in zip(model.parameters(), data):
            p.data = x
        logits = [model(x) for x in xs]
        expected = losses.cross_entropy(logits, ys).data
        right = sum(max(range(3), key=lambda k: out[k].data) == y for out, y in zip(logits, ys))
        # Eager validation is this very computation: the same bits.  Compiled replays the
        # traced loss: the same parameters, other summation orders and numpy's exp and log,
        # a few ulps apart (relative 1e-12, as in test_compile_traces_a_class_index_target).
        if compiled:
            assert val_loss == pytest.approx(expected, rel=1e-12)
        else:
            assert val_loss == expected
        assert val_accuracy == right / len(ys)
    assert history.val_losses[-1] < history.val_losses[0]  # it trained
    assert history.stop_reason == "epochs"


def test_eager_and_compiled_record_the_same_validation_numbers() -> None:
    eager, _, _ = _validated_run(False)
    compiled, _, _ = _validated_run(True)
    assert _close(compiled.val_losses, eager.val_losses)  # TRAIN_RTOL: see its comment
    assert compiled.val_accuracies == eager.val_accuracies


@pytest.mark.parametrize("compiled", [False, True])
def test_on_epoch_runs_once_per_epoch_with_that_epochs_parameters(compiled: bool) -> None:
    arguments = {**_three_classes(), "epochs": 3}
    params = arguments["model"].parameters()
    after_update: list[list[float]] = []
    after_epoch: list[tuple[int, int, list[float]]] = []
    history = fit(
        **arguments,
        callback=lambda h: after_update.append([p.data for p in params]),
        on_epoch=lambda h: after_epoch.append((h.epochs, h.updates, [p.data for p in params])),
        compiled=compiled,
    )
    assert [(e, u) for e, u, _ in after_epoch] == [(1, 4), (2, 8), (3, 12)]
    assert history.epoch_ends == [4, 8, 12]
    for _, updates, data in after_epoch:  # the parameters after the epoch's last update
        assert data == after_update[updates - 1]
    assert after_epoch[-1][2] == [p.data for p in params]


def test_compiled_fit_writes_the_parameters_back_for_on_epoch() -> None:
    # Without a callback or validation, on_epoch is the only time the compiled path writes
    # the Values during training: stale Values would be the initial ones.
    runs = []
    for compiled in (False, True):
        arguments = {**_three_classes(), "epochs": 4}
        params = arguments["model"].parameters()
        seen: list[list[float]] = []
        fit(**arguments, compiled=compiled,
            on_epoch=lambda h, seen=seen, params=params: seen.append([p.data for p in params]))
        runs.append(seen)
    eager, compiled_run = runs
    assert len(compiled_run) == len(eager) == 4
    for got, expected in zip(compiled_run, eager):
        assert _close(got, expected)
    assert compiled_run[0] != compiled_run[1]


@pytest.mark.parametrize("compiled", [False, True])
def test_on_epoch_may_change_the_parameters(compiled: bool) -> None:
    w = Value(0.0)

    def on_epoch(history: History) -> None:
        if history.epochs == 1:
            w.data = 10.0  # the next epoch must start from here

    history = fit(lambda x: w * x, [1.0, 2.0], [2.0, 4.0], parameters=[w], loss=mse, lr=0.1,
                  batch_size=2, epochs=2, on_epoch=on_epoch, compiled=compiled)
    # Update 2's loss: mean of (10 x - 2 x)² over x = 1, 2: (64 + 256) / 2.
    assert history.losses[1] == pytest.approx(160.0, rel=1e-12)


@pytest.mark.parametrize("compiled", [False, True])
def test_patience_stops_when_the_validation_loss_has_not_improved_for_k_epochs(
    compiled: bool,
) -> None:
    # Full-batch SGD on (w - 2)² with lr 0.25 moves w to w / 2 + 1: 1, 1.5, 1.75, 1.875, ...
    # The validation set wants w = 1.5: its loss (w - 1.5)² falls to 0 at epoch 2, then
    # rises.  Every number is a short binary fraction, so both paths are exact.
    w = Value(0.0)
    stop_reasons: list[str | None] = []
    history = fit(lambda x: w * x, [1.0], [2.0], parameters=[w], loss=mse, lr=0.25,
                  batch_size=1, epochs=100, validation=([1.0], [1.5]), patience=3,
                  on_epoch=lambda h: stop_reasons.append(h.stop_reason), compiled=compiled)
    assert history.val_losses == [0.25, 0.0, 0.0625, 0.140625, 0.19140625]
    assert history.val_accuracies == [None] * 5  # one output: no classes
    assert (history.stop_reason, history.epochs, history.updates) == ("early_stopping", 5, 5)
    assert stop_reasons == [None] * 4 + ["early_stopping"]  # on_epoch sees why it stops
    assert w.data == 1.9375  # the last epoch's parameters: nothing is restored


def test_patience_counts_an_equal_validation_loss_as_no_improvement() -> None:
    w = Value(1.0)
    history = fit(lambda x: w * x, [1.0], [2.0], parameters=[w], loss=mse, lr=0.0,
                  batch_size=1, epochs=100, validation=([1.0], [3.0]), patience=2)
    assert history.val_losses == [4.0, 4.0, 4.0]
    assert (history.stop_reason, history.epochs) == ("early_stopping", 3)


def test_the_epoch_limit_and_max_updates_still_stop_a_validated_run() -> None:
    history, _, _ = _validated_run(False, epochs=None, max_updates=10, patience=50)
    assert (history.stop_reason, history.epochs, history.updates) == ("max_updates", 2, 10)
    assert len(history.val_losses) == 2  # validation after completed epochs only


@pytest.mark.parametrize(
    ("setup", "validation"),
    [
        (_xor_mse, (XOR_X, XOR_Y)),  # whole-number targets, but one output: no classes
        (_soft_cross_entropy, ([[0.0, 1.0]], [[0.5, 0.5]])),  # logits, distribution targets
    ],
)
@pytest.mark.parametrize("compiled", [False, True])
def test_validation_accuracy_is_none_unless_logits_meet_class_indices(
    setup: Callable[[], dict[str, Any]], validation: Any, compiled: bool
) -> None:
    history = fit(**setup(), epochs=2, validation=validation, compiled=compiled)
    assert history.val_accuracies == [None, None]
    assert len(history.val_losses) == 2 and all(math.isfinite(v) for v in history.val_losses)


@pytest.mark.parametrize("compiled", [False, True])
def test_validation_errors_name_the_epoch(compiled: bool) -> None:
    # Class 3 does not exist: the first validation, after epoch 1, finds it.
    xs, _ = _three_class_validation()
    with pytest.raises(ValueError, match=r"^fit: validating after epoch 1, computing the loss: "):
        fit(**_three_classes(), epochs=2, validation=(xs[:2], [0, 3]), compiled=compiled)


def test_history_repr_and_plot_show_the_validation(tmp_path: Any) -> None:
    history, _, _ = _validated_run(False)
    assert f"last validation loss {history.val_losses[-1]:.6g}, accuracy " in repr(history)
    pytest.importorskip("matplotlib")
    fig = history.plot(tmp_path / "loss.png")
    lines = fig.axes[0].lines
    assert [line.get_label() for line in lines][-1] == "validation loss per epoch"
    assert list(lines[-1].get_ydata()) == history.val_losses


# --- fit(optimizer=...) -------------------------------------------------------------------------


def test_fit_with_adam_matches_a_hand_written_adam_loop_bit_for_bit() -> None:
    arguments = _three_classes()
    del arguments["lr"]
    model = arguments["model"]
    optimizer = Adam(model.parameters(), lr=0.05)
    history = fit(**arguments, optimizer=optimizer, epochs=3)

    twin = MLP(2, [6, 3], activation="tanh", seed=3)  # _three_classes' model, untrained
    xs, ys = arguments["xs"], arguments["ys"]
    by_hand = Adam(twin.parameters(), lr=0.05)
    hand_losses = []
    for epoch in range(3):
        for index in batches(len(xs), 8, seed=0, epoch=epoch):  # fit's batches (seed 0)
            by_hand.zero_grad()
            value = losses.cross_entropy([twin(xs[i]) for i in index], [ys[i] for i in index])
            value.backward()
            by_hand.step()
            hand_losses.append(value.data)
    assert history.losses == hand_losses
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]
    assert optimizer.updates == by_hand.updates == history.updates == 12


def test_compiled_fit_with_adamw_trains_as_the_eager_fit() -> None:
    runs = []
    for compiled in (False, True):
        arguments = _three_classes()
        del arguments["lr"]
        params = arguments["model"].parameters()
        history = fit(**arguments, optimizer=AdamW(params, lr=0.05), epochs=5, compiled=compiled)
        runs.append((history.losses, [p.data for p in params]))
    (eager_losses, eager_params), (compiled_losses, compiled_params) = runs
    assert _close(compiled_losses, eager_losses)  # TRAIN_RTOL: see its comment
    assert _close(compiled_params, eager_params)
    assert eager_losses[-1] < eager_losses[0]


@pytest.mark.parametrize("compiled", [False, True])
def test_a_refused_optimizer_step_is_a_non_finite_loss_naming_the_update(compiled: bool) -> None:
    from nn import NonFiniteLossError

    # Adam's first step is lr / (1 - 0.9) = inf: refused, and w keeps its value.
    w = Value(1.0)
    with pytest.raises(
        NonFiniteLossError,
        match=r"^fit: at update 1 \(1-based; history.updates = 0\), epoch 1: Adam: update 1 "
        r"would make parameter 0 .* -?inf",
    ):
        fit(lambda x: w * x, [1.0], [2.0], parameters=[w], loss=mse, batch_size=1,
            optimizer=Adam([w], lr=1e308), epochs=1, compiled=compiled)
    assert w.data == 1.0


@pytest.mark.parametrize(
    ("held", "message"),
    [
        ("bw", r"the optimizer holds 2, first different at params\[0\] \(the same Values in "
         r"another order\)$"),
        ("w", "the optimizer holds 1$"),  # b would never move
        ("wbc", "the optimizer holds 3$"),  # c would move without a gradient
    ],
)
def test_the_optimizer_must_hold_the_parameters_fit_trains_in_order(
    held: str, message: str
) -> None:
    values = {"w": Value(0.0), "b": Value(0.0), "c": Value(0.0)}
    w, b = values["w"], values["b"]
    with pytest.raises(
        ValueError,
        match=r"^fit: the optimizer's params must be the parameters fit trains, in their "
        r"order \(build it on model.parameters\(\), or on parameters=\); fit trains 2, " + message,
    ):
        fit(lambda x: b + w * x, [1.0], [2.0], parameters=[w, b], loss=mse, batch_size=1,
            optimizer=Adam([values[name] for name in held]), epochs=1)


_OTHER = Value(0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"lr": None}, TypeError, r"^fit: give lr= \(SGD's learning rate\) or optimizer="),
        ({"optimizer": "adam", "lr": None}, TypeError, "^fit: optimizer must be an nn.Optimizer"),
        ({"optimizer": Adam([_OTHER])}, TypeError, "^fit: optimizer= and lr= were both given"),
        (
            {"optimizer": Adam([_OTHER]), "lr": None, "momentum": 0.0, "weight_decay": 0.1},
            TypeError,
            "^fit: optimizer= and momentum=, weight_decay= were both given",
        ),
        (
            {"optimizer": Adam([_OTHER]), "lr": None},
            ValueError,
            r"^fit: the optimizer's params must be .*, first different at params\[0\]$",
        ),
        ({"validation": [1.0]}, TypeError, r"^fit: validation must be a pair \(xs, ys\), got"),
        ({"validation": ([1.0], "ab")}, TypeError, "^fit: validation ys must be a list with one"),
        ({"validation": ([1.0], [1.0, 2.0])}, ValueError, "^fit: validation xs has 1 examples"),
        ({"validation": ([], [])}, ValueError, "they need the same number, at least one$"),
        ({"patience": 2}, TypeError, r"^fit: patience needs validation=\(xs, ys\)"),
        ({"patience": 0, "validation": ([1.0], [1.0])}, ValueError, "^fit: patience must be >= 1"),
        ({"patience": 1.5, "validation": ([1.0], [1.0])}, TypeError, "^fit: patience must be an"),
        ({"on_epoch": 3}, TypeError, "^fit: on_epoch must be callable, got int$"),
        (
            {"validation": ([1.0, math.nan], [1.0, 2.0]), "compiled": True},
            ValueError,
            r"^fit: validation xs\[1\] must be a finite number, got nan$",
        ),
    ],
)
def test_bad_validation_and_optimizer_arguments(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    w = Value(0.0)
    arguments: dict[str, Any] = {
        "parameters": [w], "loss": mse, "lr": 0.1, "batch_size": 1, "max_updates": 1, **kwargs
    }
    with pytest.raises(error, match=message):
        fit(lambda x: w * x, [1.0, 2.0], [1.0, 2.0], **arguments)
