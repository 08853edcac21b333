"""nn.losses: values by hand and against torch.nn.functional, gradients against gradcheck."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest

import autograd
from autograd import Value, gradcheck, topological_order
from nn import losses
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    mae,
    mse,
)


def vals(*xs: float) -> list[Value]:
    return [Value(x) for x in xs]


def all_grads(loss: Value, values: list[Value]) -> list[float]:
    loss.backward()
    return [v.grad for v in values]


# --- values by hand ------------------------------------------------------------------------


def test_mse_and_mae_by_hand() -> None:
    assert mse(vals(1.0, 2.0), [0.0, 4.0]).data == 2.5
    assert mae(vals(1.0, 2.0), [0.0, 4.0]).data == 1.5
    assert mse(Value(3.0), 1.0).data == 4.0
    assert mae(Value(3.0), 1).data == 2.0


def test_mse_nested_is_mean_over_all_elements() -> None:
    pred = [vals(1.0, 2.0), vals(3.0, 4.0)]
    assert mse(pred, [[0.0, 0.0], [0.0, 0.0]]).data == 7.5
    assert mae(pred, [[1.0, 1.0], [1.0, 1.0]]).data == 1.5
    # A batch of single Values (what fit passes for a one-output model) and a flat target.
    assert mse([Value(1.0), Value(3.0)], [1.0, 1.0]).data == 2.0


def test_mse_gradient_by_hand() -> None:
    p = vals(1.0, 2.0)
    assert all_grads(mse(p, [0.0, 4.0]), p) == [1.0, -2.0]  # 2 (p - t) / n


def test_cross_entropy_by_hand() -> None:
    assert cross_entropy(vals(0.0, 0.0, 0.0), 1).data == pytest.approx(math.log(3), rel=1e-15)
    expected = math.log(math.e + math.e**2 + math.e**3) - 3
    assert cross_entropy(vals(1.0, 2.0, 3.0), 2).data == pytest.approx(expected, rel=1e-14)
    # Probability targets: the lecture's case of two distributions.
    assert cross_entropy(vals(0.0, 0.0, 0.0), [0.5, 0.5, 0.0]).data == pytest.approx(
        math.log(3), rel=1e-15
    )
    batch = cross_entropy([vals(0.0, 0.0), vals(0.0, 0.0, 0.0, 0.0)], [0, 3])
    assert batch.data == pytest.approx((math.log(2) + math.log(4)) / 2, rel=1e-15)


def test_cross_entropy_gradient_is_softmax_minus_one_hot() -> None:
    logits = vals(1.0, 2.0, 3.0)
    z = sum(math.exp(v) for v in (1.0, 2.0, 3.0))
    softmax = [math.exp(v) / z for v in (1.0, 2.0, 3.0)]
    grads = all_grads(cross_entropy(logits, 0), logits)
    assert grads == pytest.approx([softmax[0] - 1, softmax[1], softmax[2]], rel=1e-12)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = vals(1000.0, -1000.0)
    loss = cross_entropy(logits, 1)
    assert loss.data == 2000.0
    assert all_grads(loss, logits) == [1.0, -1.0]
    assert cross_entropy(vals(1000.0, -1000.0), 0).data == 0.0
    # 1000 - (1000 + log 2) cancels: about ulp(1000) ≈ 1.1e-13 of error on log 2 ≈ 0.69.
    assert cross_entropy(vals(1000.0, 1000.0), [0.25, 0.75]).data == pytest.approx(
        math.log(2), rel=1e-12
    )


def test_binary_cross_entropy_by_hand() -> None:
    assert binary_cross_entropy(Value(0.5), 1.0).data == pytest.approx(math.log(2), rel=1e-15)
    p = vals(0.25, 0.75)
    expected = -(math.log(0.75) + math.log(0.75)) / 2
    assert binary_cross_entropy(p, [0.0, 1.0]).data == pytest.approx(expected, rel=1e-15)


def test_binary_cross_entropy_clamps_log_at_minus_100_like_torch() -> None:
    assert binary_cross_entropy(Value(0.0), 1.0).data == 100.0
    assert binary_cross_entropy(Value(1.0), 0.0).data == 100.0
    assert binary_cross_entropy(Value(1.0), 1.0).data == 0.0
    assert binary_cross_entropy(Value(0.0), 0.5).data == 50.0
    # Where the clamp is active the clamped function is flat: the gradient is 0, not inf.
    p = Value(1e-50)
    binary_cross_entropy(p, 1.0).backward()
    assert p.grad == 0.0
    assert losses.BCE_LOG_CLAMP == -100.0


def test_binary_cross_entropy_with_logits_by_hand() -> None:
    x = Value(0.0)
    loss = binary_cross_entropy_with_logits(x, 1.0)
    assert loss.data == pytest.approx(math.log(2), rel=1e-15)
    loss.backward()
    assert x.grad == pytest.approx(-0.5, rel=1e-15)  # sigmoid(0) - y, also at the kink
    xs = vals(1000.0, -1000.0, 1000.0)
    loss = binary_cross_entropy_with_logits(xs, [0.0, 0.0, 1.0])
    assert loss.data == pytest.approx(1000.0 / 3, rel=1e-15)
    assert all_grads(loss, xs) == pytest.approx([1 / 3, 0.0, 0.0], abs=1e-15)


def test_hinge_by_hand() -> None:
    scores = vals(2.0, -0.5, 0.25)
    loss = hinge(scores, [1, 1, -1])
    assert loss.data == pytest.approx((0 + 1.5 + 1.25) / 3, rel=1e-15)
    assert all_grads(loss, scores) == pytest.approx([0.0, -1 / 3, 1 / 3], rel=1e-15)
    assert hinge(Value(0.5), -1).data == 1.5


def test_plain_numbers_are_accepted_as_predictions() -> None:
    assert mse([1.0, 2.0], [0.0, 0.0]).data == 2.5
    assert isinstance(hinge(0.5, 1), Value)


# --- against torch.nn.functional -----------------------------------------------------------


def _random(n: int, lo: float, hi: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(lo, hi) for _ in range(n)]


def _torch_value_and_grad(
    torch: ModuleType, f: Callable[..., Any], data: list[Any], *rest: Any
) -> tuple[float, list[float]]:
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    out = f(t, *rest)
    out.backward()
    return out.item(), t.grad.flatten().tolist()


def _ours_value_and_grad(
    f: Callable[..., Value], data: list[Any], *rest: Any
) -> tuple[float, list[float]]:
    if data and isinstance(data[0], list):
        pred: Any = [[Value(x) for x in row] for row in data]
        leaves = [v for row in pred for v in row]
    else:
        pred = [Value(x) for x in data]
        leaves = pred
    out = f(pred, *rest)
    out.backward()
    return out.data, [v.grad for v in leaves]


def _assert_same(ours: tuple[float, list[float]], theirs: tuple[float, list[float]]) -> None:
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12, abs=1e-14)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-10, abs=1e-14)


def test_mse_and_mae_match_torch(torch: ModuleType) -> None:
    F = torch.nn.functional
    pred = [_random(3, -2, 2, 1), _random(3, -2, 2, 2)]
    target = [_random(3, -2, 2, 3), _random(3, -2, 2, 4)]
    t_target = torch.tensor(target, dtype=torch.float64)
    _assert_same(
        _ours_value_and_grad(mse, pred, target),
        _torch_value_and_grad(torch, F.mse_loss, pred, t_target),
    )
    _assert_same(
        _ours_value_and_grad(mae, pred, target),
        _torch_value_and_grad(torch, F.l1_loss, pred, t_target),
    )


@pytest.mark.parametrize("scale", [1.0, 10.0, 1000.0])
def test_cross_entropy_with_class_indices_matches_torch(torch: ModuleType, scale: float) -> None:
    F = torch.nn.functional
    logits = [[scale * v for v in _random(4, -1, 1, seed)] for seed in range(5)]
    target = [0, 3, 1, 2, 3]
    theirs = _torch_value_and_grad(torch, F.cross_entropy, logits, torch.tensor(target))
    _assert_same(_ours_value_and_grad(cross_entropy, logits, target), theirs)
    # One example (no batch dimension), as torch also accepts.
    one = _torch_value_and_grad(torch, F.cross_entropy, logits[1], torch.tensor(3))
    _assert_same(_ours_value_and_grad(cross_entropy, logits[1], 3), one)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_with_probabilities_matches_torch(torch: ModuleType, scale: float) -> None:
    F = torch.nn.functional
    logits = [[scale * v for v in _random(3, -1, 1, seed)] for seed in range(4)]
    target = []
    for seed in range(4):
        raw = _random(3, 0, 1, 10 + seed)
        target.append([r / math.fsum(raw) for r in raw])
    target[2] = [0.0, 1.0, 0.0]
    theirs = _torch_value_and_grad(
        torch, F.cross_entropy, logits, torch.tensor(target, dtype=torch.float64)
    )
    _assert_same(_ours_value_and_grad(cross_entropy, logits, target), theirs)


def test_binary_cross_entropy_matches_torch(torch: ModuleType) -> None:
    F = torch.nn.functional
    probs = _random(6, 0.01, 0.99, 5)
    target = [0.0, 1.0, 1.0, 0.0, 0.3, 1.0]
    theirs = _torch_value_and_grad(
        torch, F.binary_cross_entropy, probs, torch.tensor(target, dtype=torch.float64)
    )
    _assert_same(_ours_value_and_grad(binary_cross_entropy, probs, target), theirs)
    # The clamp: the same values as torch at p = 0 and p = 1.
    edge, edge_target = [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]
    t = torch.tensor(edge, dtype=torch.float64)
    expected = F.binary_cross_entropy(t, torch.tensor(edge_target, dtype=torch.float64)).item()
    assert binary_cross_entropy(vals(*edge), edge_target).data == expected


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])
def test_binary_cross_entropy_with_logits_matches_torch(torch: ModuleType, scale: float) -> None:
    F = torch.nn.functional
    logits = [scale * v for v in _random(6, -1, 1, 6)] + [0.0]
    target = [0.0, 1.0, 1.0, 0.0, 0.3, 1.0, 1.0]
    theirs = _torch_value_and_grad(
        torch,
        F.binary_cross_entropy_with_logits,
        logits,
        torch.tensor(target, dtype=torch.float64),
    )
    _assert_same(_ours_value_and_grad(binary_cross_entropy_with_logits, logits, target), theirs)


def test_hinge_matches_torch_formula(torch: ModuleType) -> None:
    scores = _random(6, -2, 2, 7)
    target = [1.0, -1.0, 1.0, 1.0, -1.0, -1.0]
    y = torch.tensor(target, dtype=torch.float64)

    def torch_hinge(s: Any, y: Any) -> Any:
        return torch.relu(1 - y * s).mean()

    _assert_same(
        _ours_value_and_grad(hinge, scores, target),
        _torch_value_and_grad(torch, torch_hinge, scores, y),
    )


# --- gradients against gradcheck ------------------------------------------------------------

GRADCHECK_CASES: dict[str, tuple[Callable[..., Value], list[float]]] = {
    "mse": (
        lambda *p: mse([list(p[:2]), list(p[2:])], [[0.5, -1.0], [2.0, 0.0]]),
        [0.3, -0.7, 1.1, 2.5],
    ),
    "mae": (lambda *p: mae(list(p), [0.5, -1.0, 2.0]), [0.3, -0.7, 1.1]),
    "cross_entropy index": (
        lambda *p: cross_entropy([list(p[:3]), list(p[3:])], [2, 0]),
        [0.3, -0.7, 1.1, 5.0, -3.0, 0.0],
    ),
    "cross_entropy probs": (lambda *p: cross_entropy(list(p), [0.2, 0.5, 0.3]), [0.3, -0.7, 1.1]),
    "binary_cross_entropy": (
        lambda *p: binary_cross_entropy(list(p), [1.0, 0.0, 0.4]),
        [0.3, 0.9, 0.5],
    ),
    "binary_cross_entropy_with_logits": (
        lambda *p: binary_cross_entropy_with_logits(list(p), [1.0, 0.0, 0.4]),
        [0.3, -4.0, 12.0],
    ),
    "hinge": (lambda *p: hinge(list(p), [1, -1, 1]), [0.3, -0.2, 2.0]),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_loss_gradients_pass_gradcheck(name: str) -> None:
    f, point = GRADCHECK_CASES[name]
    assert gradcheck(f, point)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: mse(vals(1.0, 2.0), [1.0]),
            "mse: length mismatch: pred has 2 element\\(s\\), target has 1",
        ),
        (lambda: mae([vals(1.0, 2.0)], [[1.0]]), "mae: length mismatch at \\[0\\]"),
        (lambda: mse(Value(1.0), [1.0, 2.0]), "mse: pred is a single value but target"),
        (lambda: mse(vals(1.0), 1.0), "mse: pred is a sequence of 1 but target is not"),
        (lambda: mse([], []), "mse: empty input"),
        (lambda: mse(Value(1.0), math.inf), "mse: target must be a finite number, got inf"),
        (
            lambda: cross_entropy(vals(1.0, 2.0), 2),
            "cross_entropy: target must be a class index \\(a whole number from 0 to 1\\), got 2",
        ),
        (lambda: cross_entropy(vals(1.0, 2.0), -1), "cross_entropy: target must be .*, got -1"),
        (
            lambda: cross_entropy([vals(1.0, 2.0), vals(1.0, 2.0)], [0, 5]),
            "cross_entropy: target\\[1\\] must be a class index .*from 0 to 1\\), got 5",
        ),
        (
            lambda: cross_entropy(vals(1.0, 2.0), [0.5, 0.6]),
            "cross_entropy: target is not a probability distribution: it sums to 1.1",
        ),
        (
            lambda: cross_entropy(vals(1.0, 2.0), [1.5, -0.5]),
            "cross_entropy: target\\[0\\] must be a probability in \\[0, 1\\]",
        ),
        (
            lambda: cross_entropy(vals(1.0, 2.0), [1.0]),
            "cross_entropy: target has 1 probabilities for 2 logits",
        ),
        (lambda: cross_entropy([vals(1.0, 2.0)], [0, 1]), "cross_entropy: length mismatch"),
        (lambda: cross_entropy([vals(1.0, 2.0)], 0), "cross_entropy: logits is a batch of 1"),
        (lambda: cross_entropy([], 0), "cross_entropy: logits is empty"),
        (
            lambda: binary_cross_entropy(Value(1.5), 1.0),
            "binary_cross_entropy: prob must be a probability in \\[0, 1\\], got 1.5",
        ),
        (lambda: binary_cross_entropy(Value(-0.1), 1.0), "binary_cross_entropy: prob must be"),
        (
            lambda: binary_cross_entropy(Value(0.5), 2.0),
            "binary_cross_entropy: target must be in \\[0, 1\\]",
        ),
        (
            lambda: binary_cross_entropy(vals(0.5, 0.5), [1.0]),
            "binary_cross_entropy: length mismatch",
        ),
        (
            lambda: binary_cross_entropy_with_logits(Value(0.5), [1.0, 0.0]),
            "binary_cross_entropy_with_logits: pred is a single value but target is a sequence",
        ),
        (lambda: hinge(vals(0.5, 0.5), [1, 0]), "hinge: target\\[1\\] must be \\+1 or -1, got 0"),
        (lambda: hinge(vals(0.5), [1, -1]), "hinge: length mismatch"),
        (lambda: hinge(Value(0.5), math.nan), "hinge: target must be a finite number"),
    ],
)
def test_bad_targets_raise_value_error_naming_loss_and_operand(
    call: Callable[[], Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mse("ab", [1.0, 2.0]), "mse: pred must be a Value"),
        (lambda: mse(Value(1.0), "a"), "mse: target must be a real number"),
        (lambda: cross_entropy(Value(1.0), 0), "cross_entropy: logits must be a list"),
        (lambda: cross_entropy(vals(1.0, 2.0), "1"), "cross_entropy: target must be a class"),
        (lambda: cross_entropy(vals(1.0, 2.0), None), "cross_entropy: target must be a class"),
        (
            lambda: cross_entropy(vals(1.0, 2.0), ["a", 1.0]),
            "cross_entropy: target\\[0\\] must be a probability \\(a number\\), got str",
        ),
        (lambda: mse(Value(1.0), None), "mse: target must be a real number, got NoneType"),
        (
            lambda: binary_cross_entropy(Value(0.5), "1"),
            "binary_cross_entropy: target must be a real number, got str",
        ),
        (
            lambda: binary_cross_entropy_with_logits(vals(0.5), [None]),
            "binary_cross_entropy_with_logits: target\\[0\\] must be a real number, got NoneType",
        ),
        (lambda: cross_entropy(["a", Value(1.0)], 0), "cross_entropy: logits\\[0\\] must be"),
        (lambda: hinge("s", 1), "hinge: pred must be a Value or a list"),
    ],
)
def test_bad_types_raise_type_error(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()


# --- targets: integral class indices, bools, NaN ----------------------------------------------


@pytest.mark.parametrize("target", [1.0, 1, "numpy.int64", "numpy.float64", "fraction"])
def test_cross_entropy_accepts_integral_valued_class_indices(target: Any) -> None:
    # Before: 1.0 raised TypeError ("must be a class index (int)").
    if target == "fraction":
        from fractions import Fraction

        target = Fraction(2, 2)
    elif isinstance(target, str):
        np = pytest.importorskip("numpy")
        target = getattr(np, target.removeprefix("numpy."))(1)
    logits = vals(0.5, -1.0, 2.0)
    assert cross_entropy(logits, target).data == cross_entropy(logits, 1).data
    batch = [vals(0.5, -1.0, 2.0), vals(1.0, 0.0, 0.0)]
    assert cross_entropy(batch, [target, 0.0]).data == cross_entropy(batch, [1, 0]).data


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            1.5,
            r"^cross_entropy: target must be a class index \(a whole number from 0 to 2\), got 1.5",
        ),
        (math.nan, "^cross_entropy: target must be a class index .*, got nan$"),
        (math.inf, "^cross_entropy: target must be a class index .*, got inf$"),
        (3.0, "^cross_entropy: target must be a class index .*from 0 to 2\\), got 3.0$"),
        (-1.0, "^cross_entropy: target must be a class index .*, got -1.0$"),
    ],
)
def test_cross_entropy_bad_class_targets_are_value_errors(target: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cross_entropy(vals(0.5, -1.0, 2.0), target)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (True, "^cross_entropy: target must be a class index .*, got bool True$"),
        (False, "^cross_entropy: target must be a class index .*, got bool False$"),
        ([0.5, 0.5, True], r"^cross_entropy: target\[2\] must be a probability .*, got bool True$"),
    ],
)
def test_cross_entropy_bool_targets_are_type_errors(target: Any, message: str) -> None:
    # Before: ValueErrors; a bool is no number here, as everywhere autograd.checks rules.
    with pytest.raises(TypeError, match=message):
        cross_entropy(vals(0.5, -1.0, 2.0), target)


def test_cross_entropy_bad_target_in_a_batch_is_named() -> None:
    with pytest.raises(ValueError, match=r"cross_entropy: target\[1\] must be .*, got 0.5$"):
        cross_entropy([vals(1.0, 2.0), vals(1.0, 2.0)], [0, 0.5])


def test_numpy_bool_target_is_a_type_error() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match=r"^cross_entropy: target must be a class index .* bool"):
        cross_entropy(vals(1.0, 2.0), np.bool_(True))
    with pytest.raises(TypeError, match="hinge: target must be a real number, got bool"):
        hinge(Value(0.5), np.bool_(True))
    assert hinge(Value(0.5), np.int64(-1)).data == hinge(Value(0.5), -1).data


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mse(Value(1.0), True), "^mse: target must be a real number, got bool True$"),
        (lambda: mae(vals(1.0), [False]), r"^mae: target at \[0\] must be a real number, got bool"),
        (
            lambda: binary_cross_entropy(Value(0.5), True),
            "^binary_cross_entropy: target must be a real number, got bool True$",
        ),
        (
            lambda: binary_cross_entropy_with_logits(vals(0.5, 0.1), [1.0, False]),
            "^binary_cross_entropy_with_logits: target\\[1\\] must be a real number, got bool",
        ),
        (lambda: hinge(vals(0.5), [True]), "^hinge: target\\[0\\] must be a real number, got bool"),
    ],
)
def test_bool_binary_and_regression_targets_are_type_errors(
    call: Callable[[], Any], message: str
) -> None:
    # Before: ValueErrors; a bool is no number here, as everywhere autograd.checks rules.
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: binary_cross_entropy(Value(0.5), math.nan),
            "binary_cross_entropy: target must be a finite number, got nan",
        ),
        (
            lambda: binary_cross_entropy_with_logits(Value(0.5), -math.inf),
            "binary_cross_entropy_with_logits: target must be a finite number, got -inf",
        ),
        (lambda: hinge(Value(0.5), 0.5), "hinge: target must be \\+1 or -1, got 0.5"),
    ],
)
def test_bad_binary_and_regression_target_values_are_value_errors(
    call: Callable[[], Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- one target check for every loss: labels, huge numbers, what is accepted ------------------


def test_binary_losses_label_a_single_value_without_an_index() -> None:
    # Before: a single Value's messages said prob[0] / target[0], as if it were a list.
    with pytest.raises(ValueError) as info:
        binary_cross_entropy(Value(1.5), 1.0)
    assert str(info.value).startswith("binary_cross_entropy: prob must be a probability")
    with pytest.raises(ValueError, match=r"^hinge: target must be \+1 or -1, got 0.0$"):
        hinge(Value(0.5), 0.0)
    # In a list, the index is still named.
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: prob\[1\] must be"):
        binary_cross_entropy(vals(0.5, 1.5), [1.0, 0.0])
    with pytest.raises(ValueError, match=r"^hinge: target\[1\] must be \+1 or -1, got 0.0$"):
        hinge(vals(0.5, 0.5), [1, 0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mse(Value(1.0), 10**400), "^mse: target is too large for a float: 1000"),
        (lambda: mae(vals(1.0), [10**400]), "^mae: target at \\[0\\] is too large for a float"),
        (lambda: mse(10**400, 1.0), "^mse: pred is too large for a float"),
        (lambda: hinge(Value(1.0), -(10**400)), "^hinge: target is too large for a float"),
        (
            lambda: binary_cross_entropy_with_logits(vals(1.0, 2.0), [0.0, 10**400]),
            "^binary_cross_entropy_with_logits: target\\[1\\] is too large for a float",
        ),
        (
            lambda: binary_cross_entropy(vals(0.5), [Fraction(10**400, 3)]),
            "^binary_cross_entropy: target\\[0\\] is too large for a float",
        ),
        (lambda: cross_entropy([1.0, 10**400], 0), "^cross_entropy: logits\\[1\\] is too large"),
        (
            lambda: cross_entropy(vals(1.0, 2.0), Fraction(10**400, 3)),
            "^cross_entropy: target must be a class index .*, got Fraction\\(",
        ),
    ],
)
def test_numbers_too_large_for_a_float_are_value_errors(
    call: Callable[[], Any], message: str
) -> None:
    # Before: OverflowError (int too large to convert to float) escaped from each of these.
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert len(str(info.value)) < 200


def test_accepted_targets_are_unchanged() -> None:
    assert mse(Value(3.0), Value(1.0)).data == 4.0
    assert mae([vals(1.0), vals(2.0)], [[Value(0.0)], [0.5]]).data == 1.25
    assert mse(vals(1.0, 2.0), (Fraction(1, 2), 2)).data == 0.125
    # The binary losses take a flat list: no nesting, on either side.
    with pytest.raises(TypeError, match=r"^hinge: pred\[0\] must be a Value, got list"):
        hinge([vals(0.5)], [1.0])
    with pytest.raises(TypeError, match=r"^hinge: target\[0\] must be a real number, got list"):
        hinge(vals(0.5), [[1.0]])
    with pytest.raises(ValueError, match=r"^hinge: pred is a sequence of 1 but target is not"):
        hinge(vals(0.5), 1.0)


# --- Value targets: checked as numbers are, and kept in the graph (compile traces them) -----


def test_every_loss_takes_value_targets_and_checks_their_data() -> None:
    logits, x = vals(0.5, -1.0, 2.0), Value(0.3)
    cases = [
        (lambda y: cross_entropy(logits, y), 2, 5.0),
        (lambda y: mse(x, y), 0.5, math.inf),
        (lambda y: mae(x, y), 0.5, math.inf),
        (lambda y: binary_cross_entropy(x, y), 0.25, 1.5),
        (lambda y: binary_cross_entropy_with_logits(x, y), 0.25, math.inf),
        (lambda y: hinge(x, y), -1, 0.5),
    ]
    for loss, good, bad in cases:
        target = Value(float(good))
        out = loss(target)
        assert out.data == pytest.approx(loss(good).data, rel=1e-15)
        assert any(target is v for v in topological_order(out))  # an operand, not a copy
        with pytest.raises(ValueError, match=r"target"):
            loss(Value(bad))
    probs = [Value(0.25), Value(0.75), Value(0.0)]
    out = cross_entropy(logits, probs)
    assert out.data == pytest.approx(cross_entropy(logits, [0.25, 0.75, 0.0]).data, rel=1e-15)
    with pytest.raises(ValueError, match="not a probability distribution"):
        cross_entropy(logits, [Value(0.5), Value(0.75), Value(0.0)])
    with pytest.raises(ValueError, match=r"target must be a class index .*, got 3.0$"):
        cross_entropy(logits, Value(3.0))


def test_cross_entropy_is_log_sum_exp_minus_the_selected_logit() -> None:
    # One formula for a number and a Value target, with no branch on the logits' values.
    logits = vals(0.5, -1.0, 2.0)
    for target in (1, Value(1.0)):
        out = cross_entropy(logits, target)
        assert {v.op for v in topological_order(out)} >= {"logsumexp", "select"}
        assert out.data == autograd.logsumexp(logits).data - (-1.0)


# --- compiled like eager: extreme logits, every loss ------------------------------------------

# Each loss on logits b_i + x_i: the x_i are the batch's data (extreme values), the b_i
# parameters at 0, so d loss / d b_i is the gradient with respect to the logits.  Compiled
# and eager agree to 1e-12 relative to max(1, the largest magnitude compared) (as in
# test_compile.py: numpy's exp and log may differ from math's by an ulp, and gradients over a
# batch are summed in another order); at logits of 1000 that is 1e-9 absolute, the ulp of
# 1000 is 1.1e-13.
RTOL = 1e-12
EXTREME = [[0.0, 1000.0], [1000.0, -1000.0], [-800.0, -800.0], [-1000.0, 1000.0], [0.0, 0.0]]


def _compiled_and_eager(
    per_example: Callable[[list[Value], Any], Value], xs: list[Any], ys: list[Any], width: int
) -> None:
    biases = [Value(0.0) for _ in range(width)]

    def fn(x: Any, y: Any) -> Value:
        row = x if isinstance(x, list) else [x]
        return per_example([b + xi for b, xi in zip(biases, row)], y)

    step = autograd.compile(fn, example=(xs[0], ys[0]))
    outputs = step(xs, ys)
    mean = step.backward(xs, ys)
    grads = [b.grad for b in biases]
    for b in biases:
        b.grad = 0.0
    as_values = [([Value(v) for v in x] if isinstance(x, list) else Value(x)) for x in xs]
    eager_outputs = [fn(x, y) for x, y in zip(as_values, ys)]
    eager_mean = autograd.sum(eager_outputs) / len(xs)
    eager_mean.backward()
    compared = [
        (outputs, [o.data for o in eager_outputs]),
        ([mean], [eager_mean.data]),
        (grads, [b.grad for b in biases]),
    ]
    for got, expected in compared:
        scale = max([1.0, *(abs(e) for e in expected)])
        assert all(abs(g - e) <= RTOL * scale for g, e in zip(got, expected)), (got, expected)


@pytest.mark.parametrize("name", ["class index", "probabilities"])
def test_cross_entropy_compiled_like_eager_at_extreme_logits(name: str) -> None:
    ys: list[Any] = [1, 0, 1, 0, 1] if name == "class index" else [[0.25, 0.75]] * 5

    def loss(logits: list[Value], y: Any) -> Value:
        return cross_entropy([logits], [y])

    _compiled_and_eager(loss, EXTREME, ys, 2)


@pytest.mark.parametrize(
    "name", ["binary_cross_entropy_with_logits", "binary_cross_entropy", "hinge", "mse", "mae"]
)
def test_binary_and_regression_losses_compiled_like_eager_at_extreme_logits(name: str) -> None:
    xs = [1000.0, -1000.0, -800.0, 0.0, 800.0, -1000.0]
    if name == "hinge":
        ys: list[float] = [1.0, -1.0, 1.0, -1.0, -1.0, 1.0]
    else:
        ys = [0.0, 1.0, 0.3, 1.0, 1.0, 0.0]

    def loss(logits: list[Value], y: Any) -> Value:
        x = logits[0]
        if name == "binary_cross_entropy":  # probabilities sigmoid(x): exactly 0 and 1 here
            return binary_cross_entropy([x.sigmoid()], [y])
        return getattr(losses, name)([x], [y])  # type: ignore[no-any-return]

    _compiled_and_eager(loss, xs, ys, 1)
