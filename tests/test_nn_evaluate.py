"""nn.predict, nn.Predictor and nn.accuracy (nn/evaluate.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import pytest

import autograd
from autograd import Value
from nn import MLP, Layer, Predictor, accuracy, predict


def _points(n: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]


def _argmax(values: list[float]) -> int:
    return values.index(max(values))


# --- predict ------------------------------------------------------------------------------


def test_a_model_with_logits_gives_class_indices() -> None:
    model = MLP(2, [8, 3], activation="tanh", seed=1)
    xs = _points(20)
    expected = [_argmax([v.data for v in model(x)]) for x in xs]
    assert predict(model, xs) == expected
    assert len(set(expected)) > 1  # the check would not notice a constant answer otherwise


def test_a_model_with_one_output_gives_its_floats() -> None:
    model = MLP(2, [8, 1], activation="tanh", seed=1)
    xs = _points(5)
    assert predict(model, xs) == [model(x).data for x in xs]


def test_ties_go_to_the_first_class_as_in_torch_argmax() -> None:
    def model(x: float) -> list[Value]:
        return [Value(1.0), Value(x), Value(x)]

    assert predict(model, [3.0, 0.5, 1.0]) == [1, 0, 0]


def test_a_list_of_one_logit_is_class_0_and_tuples_are_logits() -> None:
    assert predict(Layer(2, 1), _points(3)) == [0, 0, 0]
    assert predict(Layer(2, 1), _points(3), compiled=True) == [0, 0, 0]
    assert predict(lambda x: (Value(0.0), Value(x)), [-1.0, 1.0]) == [0, 1]


def test_predict_records_no_graph() -> None:
    outputs: list[Value] = []

    def model(x: float) -> Value:
        outputs.append(w * x)
        return outputs[-1]

    w = Value(2.0)
    assert predict(model, [1.0, 3.0]) == [2.0, 6.0]
    assert all(out.is_leaf for out in outputs)  # under no_grad, an operation makes a leaf
    assert autograd.is_grad_enabled()


def test_compiled_predictions_are_the_eager_ones() -> None:
    xs = _points(50, seed=2)
    classifier = MLP(2, [8, 8, 4], activation=["tanh", "relu"], seed=3)
    assert predict(classifier, xs, compiled=True) == predict(classifier, xs)
    regressor = MLP(2, [8, 1], activation="sigmoid", seed=4)
    # The replay evaluates the same operations with numpy: equal to a few ulps (~1e-16 of
    # outputs of order 1), so 1e-12 leaves ample room.
    assert predict(regressor, xs, compiled=True) == pytest.approx(
        predict(regressor, xs), rel=1e-12, abs=1e-12
    )


def test_compiled_predict_replays_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    real_compile = autograd.compile
    sizes: list[int] = []

    def compile_and_count(fn: Any, *, example: tuple[Any, ...]) -> Any:
        step = real_compile(fn, example=example)

        def replay(batch: list[Any]) -> list[Any]:
            sizes.append(len(batch))
            return step(batch)

        return replay

    monkeypatch.setattr(autograd, "compile", compile_and_count, raising=False)
    model = MLP(2, [4, 3], seed=5)
    xs = _points(10)
    assert predict(model, xs, batch_size=4, compiled=True) == predict(model, xs)
    assert sizes == [4, 4, 2]
    sizes.clear()
    predict(model, xs, compiled=True)
    assert sizes == [10]  # by default, one batch


def test_a_compiled_predictor_traces_once_and_follows_the_weights(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_compile = autograd.compile
    traces: list[Any] = []

    def counting_compile(fn: Any, *, example: tuple[Any, ...]) -> Any:
        traces.append(example)
        return real_compile(fn, example=example)

    monkeypatch.setattr(autograd, "compile", counting_compile, raising=False)
    model = MLP(2, [6, 3], activation="tanh", seed=2)
    xs = _points(20, seed=3)
    predictor = Predictor(model, compiled=True)
    assert predictor(xs) == predict(model, xs)
    for p in model.parameters():  # as training moves them
        p.data = -p.data
    assert predictor(xs) == predict(model, xs)
    assert predictor(xs[:5]) == predict(model, xs[:5])
    assert len(traces) == 1  # the later calls replayed the first call's trace


def test_compiled_predict_takes_numpy_rows() -> None:
    np = pytest.importorskip("numpy")
    model = MLP(2, [4, 3], seed=6)
    xs = _points(6)
    assert predict(model, np.array(xs), compiled=True) == predict(model, xs)


def test_no_examples_give_no_predictions() -> None:
    assert predict(MLP(2, [3]), []) == []
    assert predict(MLP(2, [3]), [], compiled=True) == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: predict(3, [1.0]), TypeError, r"^predict: model must be callable, got int"),
        (lambda: predict(MLP(1, [2]), "12"), TypeError, r"^predict: xs must be a list"),
        (lambda: predict(MLP(1, [2]), 1.0), TypeError, r"^predict: xs must be a list"),
        (
            lambda: predict(MLP(1, [2]), [1.0], batch_size=0),
            ValueError,
            r"^predict: batch_size must be >= 1",
        ),
        (
            lambda: predict(MLP(1, [2]), [1.0], compiled="yes"),
            TypeError,
            r"^predict: compiled must be True or False",
        ),
        (
            lambda: predict(lambda x: "cat", [1.0]),
            TypeError,
            r"^predict: the model must return a Value .* got str 'cat'",
        ),
        (lambda: predict(lambda x: [], [1.0]), TypeError, r"^predict: the model must return"),
        (
            lambda: predict(lambda x: Value(x) if x > 0 else [Value(x)], [1.0, -1.0]),
            TypeError,
            r"^predict: the model returned a Value for xs\[0\] but a list for xs\[1\]",
        ),
    ],
)
def test_bad_input_is_named(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_eager_predict_does_not_import_numpy() -> None:
    code = "import sys, nn; nn.predict(nn.MLP(2, [3]), [[1, 2]]); sys.exit('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- accuracy -----------------------------------------------------------------------------


def test_accuracy_is_the_fraction_of_matches() -> None:
    assert accuracy([0, 1, 2, 1], [0, 1, 1, 1]) == 0.75
    assert accuracy([2], [2]) == 1.0
    assert accuracy(iter([0, 0]), (1, 1)) == 0.0


def test_accuracy_takes_whole_floats_and_numpy_ints_as_the_losses_do() -> None:
    np = pytest.importorskip("numpy")
    assert accuracy([1, 0, 2], [1.0, np.int64(0), np.float64(2.0)]) == 1.0


def test_accuracy_of_predictions() -> None:
    # A hand-made classifier: class 1 iff x1 > x2.
    model = Layer(2, 2, activation="linear")
    model.load_state_dict({"neuron 1": [0.0, 1.0, 0.0], "neuron 2": [1.0, 0.0, 0.0]})
    xs = [[0.0, 1.0], [2.0, 1.0], [3.0, -1.0], [-1.0, 0.5]]
    assert predict(model, xs) == [0, 1, 1, 0]
    assert accuracy(predict(model, xs), [0, 1, 0, 0]) == 0.75


def test_accuracy_of_a_thresholded_single_output() -> None:
    model = MLP(1, [1], activation="linear")
    model.load_state_dict({"layer 1/neuron 1": [1.0, 0.0]})  # the identity
    outputs = predict(model, [-2.0, 0.7, 3.0, -0.1])
    assert accuracy([int(y > 0.5) for y in outputs], [0.0, 1.0, 1.0, 1.0]) == 0.75


@pytest.mark.parametrize(
    ("predicted", "targets", "error", "message"),
    [
        ([0, 1], [0], ValueError, r"^accuracy: predicted has 2 entries but targets has 1$"),
        ([], [], ValueError, r"^accuracy: there are no predictions"),
        ([0.73], [1], ValueError, r"^accuracy: predicted\[0\] must be a class index .* threshold"),
        ([0], [-1], ValueError, r"^accuracy: targets\[0\] must be a class index .*, got -1;"),
        ([0], [float("nan")], ValueError, r"^accuracy: targets\[0\] must be a class index .* nan"),
        ([True], [1], TypeError, r"^accuracy: predicted\[0\] must be a class index .* bool"),
        ([0], ["0"], TypeError, r"^accuracy: targets\[0\] must be a class index .* str"),
        ("01", [0, 1], TypeError, r"^accuracy: predicted must be a list of class indices, got str"),
        ([0], 0, TypeError, r"^accuracy: targets must be a list of class indices, got int"),
    ],
)
def test_accuracy_refuses_bad_input(
    predicted: Any, targets: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        accuracy(predicted, targets)
