"""Learning-rate schedules against torch.optim.lr_scheduler (nn/schedules.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from autograd import Value
from nn import SGD, CosineAnnealingLR, ExponentialLR, LinearLR, Schedule, StepLR, fit
from nn.losses import mse

UPDATES = 100

# (ours, torch's scheduler class name, its arguments after the optimizer); the base rate is
# 0.1 throughout.  Cosine runs past T_max (100 updates are 3.3 periods of T_max = 30).
CASES = [
    (StepLR(0.1, step_size=7, gamma=0.5), "StepLR", {"step_size": 7, "gamma": 0.5}),
    (StepLR(0.1, step_size=1), "StepLR", {"step_size": 1}),
    (ExponentialLR(0.1, gamma=0.97), "ExponentialLR", {"gamma": 0.97}),
    (ExponentialLR(0.1, gamma=1.02), "ExponentialLR", {"gamma": 1.02}),
    (CosineAnnealingLR(0.1, T_max=30), "CosineAnnealingLR", {"T_max": 30}),
    (
        CosineAnnealingLR(0.1, T_max=30, eta_min=0.001),
        "CosineAnnealingLR",
        {"T_max": 30, "eta_min": 0.001},
    ),
    (LinearLR(0.1), "LinearLR", {}),
    (
        LinearLR(0.1, start_factor=0.01, total_iters=20),
        "LinearLR",
        {"start_factor": 0.01, "total_iters": 20},
    ),
    (
        LinearLR(0.1, start_factor=1.0, end_factor=0.0, total_iters=10),
        "LinearLR",
        {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 10},
    ),
]


def _torch_rates(torch: ModuleType, name: str, arguments: dict[str, Any]) -> list[float]:
    """The rate torch's scheduler gives each of ``UPDATES`` optimizer steps."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([p], lr=0.1)
    scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **arguments)
    rates = []
    for _ in range(UPDATES):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(("ours", "name", "arguments"), CASES, ids=repr)
def test_every_schedule_matches_torch(
    torch: ModuleType, ours: Schedule, name: str, arguments: dict[str, Any]
) -> None:
    theirs = _torch_rates(torch, name, arguments)
    # torch updates the rate step by step (multiplying or shifting the last one), ours is
    # the closed form: each of torch's steps rounds once (~1e-17 at rates ~0.1), so after
    # 100 steps they may differ by ~1e-15 absolute.
    for update, expected in enumerate(theirs):
        assert ours(update) == pytest.approx(expected, rel=1e-12, abs=1e-15), f"update {update}"


def test_schedule_values_by_hand() -> None:
    step = StepLR(1.0, step_size=3, gamma=0.5)
    assert [step(k) for k in range(7)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert ExponentialLR(2.0, gamma=0.5)(3) == 0.25
    cosine = CosineAnnealingLR(1.0, T_max=4, eta_min=0.5)
    assert [cosine(0), cosine(2), cosine(4), cosine(8)] == [1.0, 0.75, 0.5, 1.0]
    warm_up = LinearLR(1.0, start_factor=0.25, end_factor=1.0, total_iters=3)
    assert [warm_up(k) for k in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]


def test_optimizers_and_fit_take_a_schedule() -> None:
    schedule = StepLR(0.1, step_size=2, gamma=0.5)
    w = Value(0.0)
    seen: list[float] = []
    fit(
        lambda x: w * x,
        [1.0, 1.0],  # the same example twice: the shuffled order does not matter
        [2.0, 2.0],
        parameters=[w],
        loss=mse,
        lr=schedule,
        batch_size=1,
        max_updates=4,
        callback=lambda history: seen.append(w.data),
    )
    expected, by_hand = [], 0.0
    for rate in [0.1, 0.1, 0.05, 0.05]:
        by_hand -= rate * 2 * (by_hand - 2.0)  # d/dw (w - 2)^2
        expected.append(by_hand)
    assert seen == pytest.approx(expected, rel=1e-15)
    p = Value(1.0)
    opt = SGD([p], lr=ExponentialLR(0.5, gamma=0.5))
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert p.data == 1.0 - 0.5 - 0.25 - 0.125


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: StepLR(-0.1, 3), ValueError, r"^StepLR: lr must be a finite number >= 0"),
        (lambda: StepLR(0.1, 0), ValueError, r"^StepLR: step_size must be >= 1, got 0"),
        (lambda: StepLR(0.1, 2.5), TypeError, r"^StepLR: step_size must be an int"),
        (lambda: StepLR(0.1, 3, gamma=math.nan), ValueError, r"^StepLR: gamma must be a finite"),
        (lambda: ExponentialLR(0.1, -0.5), ValueError, r"^ExponentialLR: gamma must be a finite"),
        (lambda: ExponentialLR("0.1", 0.5), TypeError, r"^ExponentialLR: lr must be a real"),
        (lambda: CosineAnnealingLR(0.1, 0), ValueError, r"^CosineAnnealingLR: T_max must be >= 1"),
        (
            lambda: CosineAnnealingLR(0.1, 10, eta_min=-1),
            ValueError,
            r"^CosineAnnealingLR: eta_min must be a finite number >= 0",
        ),
        (lambda: LinearLR(0.1, start_factor=0), ValueError, r"^LinearLR: start_factor .* > 0"),
        (lambda: LinearLR(0.1, start_factor=1.5), ValueError, r"^LinearLR: start_factor .* 1, "),
        (lambda: LinearLR(0.1, end_factor=2), ValueError, r"^LinearLR: end_factor must be at"),
        (lambda: LinearLR(0.1, total_iters=0), ValueError, r"^LinearLR: total_iters must be >= 1"),
    ],
)
def test_bad_arguments_are_named(
    make: Callable[[], Schedule], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("update", [-1, 1.5, True, "3"])
def test_the_update_count_is_checked(update: Any) -> None:
    with pytest.raises((TypeError, ValueError), match=r"^StepLR: update must be"):
        StepLR(0.1, 3)(update)


def test_a_rate_that_would_overflow_is_a_value_error() -> None:
    # 2.0 ** 2000 raises OverflowError in Python; the schedule names itself and the update.
    schedule = ExponentialLR(0.1, gamma=2.0)
    assert schedule(1000) == 0.1 * 2.0**1000
    with pytest.raises(ValueError, match=r"^ExponentialLR: at update 2000 the rate would have"):
        schedule(2000)
    assert ExponentialLR(0.1, gamma=0.5)(10**6) == 0.0  # shrinking underflows quietly to 0


def test_reprs() -> None:
    assert repr(StepLR(0.1, 30)) == "StepLR(lr=0.1, step_size=30, gamma=0.1)"
    assert repr(CosineAnnealingLR(0.1, 50)) == "CosineAnnealingLR(lr=0.1, T_max=50, eta_min=0.0)"
