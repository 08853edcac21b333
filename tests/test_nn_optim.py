"""nn.SGD against torch.optim.SGD, learning-rate schedules, and nn.batches."""

from __future__ import annotations

import math
import os
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest

import autograd
from autograd import Value
from nn import SGD, batches, num_batches


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    """PyTorch as the oracle: skipped locally without it, never skipped under CI."""
    if os.environ.get("CI"):
        import torch

        return torch
    return pytest.importorskip("torch")


START = [0.5, -1.5, 2.0]


def _our_loss(p: list[Value]) -> Value:
    # Something with cross terms and curvature, so the steps differ between parameters.
    return (p[0] * p[1] - 1) ** 2 + p[2].sin() * p[0] + (p[1] + p[2]) ** 2 / 4


def _torch_loss(p: Any) -> Any:
    return (p[0] * p[1] - 1) ** 2 + p[2].sin() * p[0] + (p[1] + p[2]) ** 2 / 4


def _run_ours(steps: int, **options: Any) -> list[list[float]]:
    params = [Value(x) for x in START]
    opt = SGD(params, **options)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        _our_loss(params).backward()
        opt.step()
        trajectory.append([p.data for p in params])
    return trajectory


def _run_torch(torch: ModuleType, steps: int, **options: Any) -> list[list[float]]:
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], **options)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        _torch_loss(p).backward()
        opt.step()
        trajectory.append(p.detach().tolist())
    return trajectory


@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.05, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1},
    ],
)
def test_sgd_matches_torch(torch: ModuleType, options: dict[str, float]) -> None:
    ours = _run_ours(6, **options)
    theirs = _run_torch(torch, 6, **options)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), f"step {step}"


def test_sgd_update_rule_by_hand() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.5, momentum=0.5, weight_decay=0.25)
    p.grad = 2.0
    opt.step()  # g = 2 + 0.25 = 2.25; buf = 2.25; p = 1 - 1.125
    assert p.data == -0.125
    p.grad = 1.0
    opt.step()  # g = 1 - 0.03125 = 0.96875; buf = 1.125 + 0.96875; p -= 0.5 * buf
    assert p.data == -0.125 - 0.5 * (0.5 * 2.25 + 0.96875)
    assert opt.updates == 2


def test_learning_rate_schedule_counts_updates_from_zero() -> None:
    seen: list[int] = []

    def schedule(update: int) -> float:
        seen.append(update)
        return 1.0 / (update + 1)

    p = Value(0.0)
    opt = SGD([p], lr=schedule)
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert seen == [0, 1, 2]
    assert p.data == -(1.0 + 0.5 + 1 / 3)
    assert opt.current_lr() == 0.25


def test_sgd_matches_torch_with_a_schedule(torch: ModuleType) -> None:
    def schedule(k: int) -> float:
        return 0.1 * 0.5**k

    ours = _run_ours(4, lr=schedule, momentum=0.9)
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0, momentum=0.9)
    for k in range(4):
        for group in opt.param_groups:
            group["lr"] = schedule(k)
        opt.zero_grad()
        _torch_loss(p).backward()
        opt.step()
        assert ours[k] == pytest.approx(p.detach().tolist(), rel=1e-12)


def test_zero_grad() -> None:
    params = [Value(1.0), Value(2.0)]
    autograd.dot(params, params).backward()
    opt = SGD(params, lr=0.1)
    opt.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: SGD([Value(1.0)], lr=-0.1), ValueError, "SGD: lr must be a finite number >= 0"),
        (lambda: SGD([Value(1.0)], lr=math.nan), ValueError, "SGD: lr must be a finite"),
        (lambda: SGD([Value(1.0)], lr="fast"), TypeError, "SGD: lr must be a number"),
        (lambda: SGD([Value(1.0)], lr=0.1, momentum=-1), ValueError, "SGD: momentum"),
        (lambda: SGD([Value(1.0)], lr=0.1, weight_decay=-1), ValueError, "SGD: weight_decay"),
        (lambda: SGD([1.0], lr=0.1), TypeError, "SGD: params\\[0\\] must be a Value"),
        (lambda: SGD([Value(1.0) + 1], lr=0.1), ValueError, "not a leaf"),
    ],
)
def test_bad_arguments(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": 10**400}, "^SGD: lr is too large for a float: 1000"),
        ({"lr": -(10**400)}, "^SGD: lr is too large for a float"),
        ({"lr": Fraction(10**400, 3)}, "^SGD: lr is too large for a float"),
        ({"lr": 0.1, "momentum": 10**400}, "^SGD: momentum is too large for a float"),
        ({"lr": 0.1, "weight_decay": 10**400}, "^SGD: weight_decay is too large for a float"),
    ],
)
def test_numbers_too_large_for_a_float_are_value_errors(
    options: dict[str, Any], message: str
) -> None:
    # Before: OverflowError from math.isfinite(10**400).
    with pytest.raises(ValueError, match=message):
        SGD([Value(1.0)], **options)


def test_schedule_value_too_large_for_a_float_names_the_update() -> None:
    opt = SGD([Value(1.0)], lr=lambda k: 10**400)
    with pytest.raises(ValueError, match=r"^SGD: lr schedule at update 0 is too large for a float"):
        opt.step()


def test_bool_rates_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"^SGD: momentum must be a number, got bool True$"):
        SGD([Value(1.0)], lr=0.1, momentum=True)


def test_repeated_parameter_is_rejected() -> None:
    p = Value(1.0)
    with pytest.raises(ValueError, match="params\\[1\\] appears more than once"):
        SGD([p, p], lr=0.1)


def test_bad_schedule_value_names_the_update() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=lambda k: 0.1 if k < 2 else -1.0)
    opt.step()
    opt.step()
    with pytest.raises(ValueError, match="lr schedule at update 2 must be a finite number >= 0"):
        opt.step()


# --- batches ---------------------------------------------------------------------------------


def test_lecture_example_10000_examples_batches_of_10() -> None:
    epoch = list(batches(10000, 10))
    assert len(epoch) == 1000 == num_batches(10000, 10)
    assert all(len(b) == 10 for b in epoch)
    assert sorted(i for b in epoch for i in b) == list(range(10000))


def test_last_partial_batch_is_kept() -> None:
    epoch = list(batches(10, 4, shuffle=False))
    assert epoch == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert num_batches(10, 4) == 3
    assert list(batches(3, 10)) and len(list(batches(3, 10))) == 1
    assert list(batches(0, 4)) == []


def test_shuffled_every_epoch_reproducibly() -> None:
    e0 = list(batches(50, 7, seed=3, epoch=0))
    e1 = list(batches(50, 7, seed=3, epoch=1))
    assert e0 != e1
    assert sorted(i for b in e1 for i in b) == list(range(50))
    assert list(batches(50, 7, seed=3, epoch=1)) == e1  # depends only on (seed, epoch)
    assert list(batches(50, 7, seed=4, epoch=0)) != e0
    assert [i for b in e0 for i in b] != list(range(50))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 10, "batch_size": 0}, ValueError, "batches: batch_size must be >= 1"),
        ({"n": -1, "batch_size": 2}, ValueError, "batches: n must be >= 0"),
        ({"n": 10, "batch_size": 2.5}, TypeError, "batches: batch_size must be an int"),
        ({"n": 10, "batch_size": 2, "epoch": -1}, ValueError, "batches: epoch must be >= 0"),
        ({"n": 10, "batch_size": 2, "seed": -(2**64)}, ValueError, "batches: seed must be >= -"),
        ({"n": True, "batch_size": 2}, TypeError, "batches: n must be an int, got bool"),
    ],
)
def test_batches_bad_arguments_fail_at_the_call(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        batches(**kwargs)


def test_sgd_marks_its_parameters() -> None:
    params = [Value(1.0), Value(2.0)]
    assert not any(p.is_parameter for p in params)
    SGD(params, lr=0.1)
    assert all(p.is_parameter for p in params)


def test_rejected_sgd_marks_nothing() -> None:
    p = Value(1.0)
    with pytest.raises(ValueError, match="SGD: lr must be"):
        SGD([p], lr=-1.0)
    assert not p.is_parameter
