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
from nn import MLP, SGD, History, fit, losses
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
        f"fit: at update {n + 1} (1-based; history.updates = {n}), epoch {n + 1}: "
        "the loss is inf (it overflowed a float): pow: "
    )
    assert message.endswith("overflows a float; try a smaller learning rate")
    assert isinstance(info.value.__cause__, OverflowError)


def test_overflow_while_backpropagating_is_named() -> None:
    w = Value(1e-10)

    def loss(preds: list[Value], ys: list[float]) -> Value:
        # (1e-10) ** -30 * 1e-300 is about 1, but the slope -30 * (1e-10) ** -31 overflows.
        return preds[0] ** -30.0 * 1e-300

    with pytest.raises(
        FloatingPointError,
        match=r"^fit: at update 1 \(1-based; history.updates = 0\), epoch 1: backpropagating "
        r"the loss \(0.99.*\) overflowed \(a gradient is inf\)",
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
        "*: the number is NaN"
    )
    assert isinstance(info.value.__cause__, ValueError)
    assert str(info.value.__cause__) == "*: the number is NaN"


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
        ValueError, match=r"^fit: at update 1 .*cross_entropy: target\[0\] 0.5 is not"
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
        ({"grad_tol": True}, TypeError, "^fit: grad_tol must be a number, got bool True$"),
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


def test_compiled_fit_limits_the_traces_per_target() -> None:
    from nn.train import MAX_TARGET_TRACES

    w = Value(1.0)

    def strict(preds: list[Value], ys: list[Any]) -> Value:
        if any(isinstance(y, Value) for y in ys):
            raise TypeError("strict: targets must be numbers")
        return mse(preds, ys)

    n = MAX_TARGET_TRACES + 1
    with pytest.raises(ValueError, match=f"more than {MAX_TARGET_TRACES}; use compiled=False"):
        fit(
            lambda x: w * x,
            [1.0] * n,
            [float(i) for i in range(n)],
            parameters=[w],
            loss=strict,
            lr=0.01,
            batch_size=n,
            max_updates=1,
            compiled=True,
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"compiled": 1}, TypeError, "^fit: compiled must be True or False, got int"),
        ({"loss": lambda p, y: 1.0}, TypeError, "^fit: loss must return a Value, got float"),
        ({"xs": [[1.0], [1.0, 2.0]]}, ValueError, "compiled loss: compile: argument 1 must be"),
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
