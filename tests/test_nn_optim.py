"""nn.SGD, nn.Adam and nn.AdamW against torch.optim, and the non-finite step (nn/optim.py)."""

from __future__ import annotations

import math
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest

import autograd
from autograd import Value
from nn import SGD, Adam, AdamW, CosineAnnealingLR, NonFiniteStepError

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
        (lambda: SGD([Value(1.0)], lr="fast"), TypeError, "SGD: lr must be a real number"),
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
    with pytest.raises(TypeError, match=r"^SGD: momentum must be a real number, got bool True$"):
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


def test_a_non_finite_step_is_refused_and_changes_nothing() -> None:
    from nn import NonFiniteStepError

    p, q = Value(1.0), Value(2.0)
    opt = SGD([p, q], lr=0.5, momentum=0.9)
    p.grad, q.grad = 1.0, 1.0
    opt.step()
    before = ([p.data, q.data], opt.state["momentum_buffer"].tolist(), opt.updates)
    p.grad, q.grad = 1.0, math.inf
    with pytest.raises(NonFiniteStepError, match=r"^SGD: update 2 would make parameter 1 .* -inf"):
        opt.step()
    assert ([p.data, q.data], opt.state["momentum_buffer"].tolist(), opt.updates) == before
    with pytest.raises(ValueError, match="nothing was changed"):  # also a ValueError
        opt.step()


# --- Adam and AdamW -------------------------------------------------------------------------

ADAM_CASES = [
    (Adam, {}),
    (Adam, {"lr": 0.01, "weight_decay": 0.1}),
    (Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    (AdamW, {}),
    (AdamW, {"lr": 0.05, "weight_decay": 0.1}),
    (AdamW, {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-4, "weight_decay": 0.0}),
]


def _trajectory(optimizer: Any, params: list[Any], loss: Any, steps: int) -> list[list[float]]:
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss(params).backward()
        optimizer.step()
        trajectory.append([float(p) for p in params])
    return trajectory


@pytest.mark.parametrize(("make", "options"), ADAM_CASES)
def test_adam_and_adamw_match_torch_over_100_steps(
    torch: ModuleType, make: type[Adam], options: dict[str, Any]
) -> None:
    params = [Value(x) for x in START]
    ours = _trajectory(make(params, **options), params, _our_loss, 100)
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    theirs_type = getattr(torch.optim, make.__name__)
    opt = theirs_type([p], foreach=False, **options)  # the single-tensor code we follow
    theirs = []
    for _ in range(100):
        opt.zero_grad()
        _torch_loss(p).backward()
        opt.step()
        theirs.append(p.detach().tolist())
    # torch's lerp and add-with-alpha use fused multiply-adds, which numpy lacks: a step
    # may differ from torch's in the last bit or two (~1e-16); 100 steps of this smooth
    # problem stay four orders of magnitude inside 1e-12.
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), f"step {step + 1}"


def test_adamw_with_a_schedule_matches_torch(torch: ModuleType) -> None:
    schedule = CosineAnnealingLR(0.05, T_max=40, eta_min=0.001)
    params = [Value(x) for x in START]
    ours = _trajectory(AdamW(params, lr=schedule), params, _our_loss, 40)
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.AdamW([p], lr=0.05, foreach=False)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40, eta_min=0.001)
    for step in range(40):
        opt.zero_grad()
        _torch_loss(p).backward()
        opt.step()
        scheduler.step()
        assert ours[step] == pytest.approx(p.detach().tolist(), rel=1e-12, abs=1e-12)


def test_adam_first_step_by_hand() -> None:
    # t = 1: m = 0.1 g, v = 0.001 g^2; the bias corrections make the step lr * g / (|g| + eps')
    p = Value(1.0)
    opt = Adam([p], lr=0.1)
    p.grad = 4.0
    opt.step()
    m, v = 0.1 * 4.0, 0.001 * 16.0
    expected = 1.0 - (0.1 / (1 - 0.9)) * m / (math.sqrt(v) / math.sqrt(1 - 0.999) + 1e-8)
    assert p.data == pytest.approx(expected, rel=1e-15)
    assert p.data == pytest.approx(1.0 - 0.1, rel=1e-8)  # about lr, whatever the gradient's size
    assert opt.state["exp_avg"].tolist() == pytest.approx([m], rel=1e-15)
    assert opt.state["exp_avg_sq"].tolist() == pytest.approx([v], rel=1e-15)


def test_adamw_decays_the_weights_not_the_gradient() -> None:
    # With a zero gradient Adam's step is 0 and only the decay acts: p *= 1 - lr * wd.
    p, q = Value(2.0), Value(2.0)
    AdamW([p], lr=0.1, weight_decay=0.5).step()
    Adam([q], lr=0.1, weight_decay=0.5).step()
    assert p.data == 2.0 * (1 - 0.1 * 0.5)
    assert q.data == pytest.approx(2.0 - 0.1, rel=1e-7)  # Adam: the decay is a gradient of 1


def test_adam_defaults_are_pytorchs() -> None:
    adam, adamw = Adam([Value(1.0)]), AdamW([Value(1.0)])
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)
    assert (adamw.lr, adamw.betas, adamw.eps, adamw.weight_decay) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        1e-2,
    )
    assert repr(adamw) == (
        "AdamW(1 parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)"
    )


@pytest.mark.parametrize("make", [Adam, AdamW])
@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"lr": -1e-3}, ValueError, r"lr must be a finite number >= 0, got -0.001"),
        ({"lr": "fast"}, TypeError, r"lr must be a real number"),
        ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\] must be < 1, got 1.0"),
        ({"betas": (-0.1, 0.9)}, ValueError, r"betas\[0\] must be a finite number >= 0"),
        ({"betas": (0.9, math.nan)}, ValueError, r"betas\[1\] must be a finite number"),
        ({"betas": 0.9}, TypeError, r"betas must be a pair of numbers, got 0.9"),
        ({"betas": (0.9, 0.99, 0.999)}, TypeError, r"betas must be a pair of numbers"),
        ({"betas": (0.9, "x")}, TypeError, r"betas\[1\] must be a real number"),
        ({"eps": -1e-8}, ValueError, r"eps must be a finite number >= 0"),
        ({"weight_decay": math.inf}, ValueError, r"weight_decay must be a finite number"),
        ({"weight_decay": True}, TypeError, r"weight_decay must be a real number, got bool"),
    ],
)
def test_adam_arguments_are_checked(
    make: type[Adam], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    p = Value(1.0)
    with pytest.raises(error, match=f"^{make.__name__}: {message}"):
        make([p], **options)
    assert not p.is_parameter  # a rejected optimizer marks nothing


def test_adam_marks_its_parameters() -> None:
    params = [Value(1.0), Value(2.0)]
    AdamW(params)
    assert all(p.is_parameter for p in params)


# --- every optimizer refuses a non-finite step -----------------------------------------------

OPTIMIZERS = [
    pytest.param(lambda ps: SGD(ps, lr=0.5, momentum=0.9), id="SGD"),
    pytest.param(lambda ps: Adam(ps, lr=0.5), id="Adam"),
    pytest.param(lambda ps: AdamW(ps, lr=0.5), id="AdamW"),
]


def _snapshot(opt: Any, params: list[Value]) -> Any:
    state = {key: array.tolist() for key, array in opt.state.items()}
    return [p.data for p in params], state, opt.updates


@pytest.mark.parametrize("make", OPTIMIZERS)
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_every_optimizer_refuses_a_non_finite_step(make: Any, bad: float) -> None:
    params = [Value(1.0), Value(2.0)]
    opt = make(params)
    params[0].grad, params[1].grad = 1.0, -1.0
    opt.step()
    before = _snapshot(opt, params)
    params[0].grad, params[1].grad = 1.0, bad
    with pytest.raises(NonFiniteStepError, match=r"update 2 would make .*parameter 1 .*nothing"):
        opt.step()
    assert _snapshot(opt, params) == before
    params[1].grad = 1.0  # and it carries on from where it was
    opt.step()
    assert opt.updates == 2


def test_a_step_that_would_overflow_the_state_is_refused() -> None:
    # g = 1e200: g * g is inf, so v would be inf; the step itself (m / sqrt(v)) would be 0,
    # and the optimizer would stall for good without a word.
    p = Value(1.0)
    opt = Adam([p], lr=0.1)
    p.grad = 1e200
    with pytest.raises(
        NonFiniteStepError, match=r"^Adam: update 1 would make its exp_avg_sq of parameter 0 "
    ):
        opt.step()
    assert (p.data, opt.state, opt.updates) == (1.0, {}, 0)


def test_adam_with_zero_eps_and_zero_gradient_is_refused_not_nan() -> None:
    p = Value(1.0)
    opt = Adam([p], eps=0.0)
    with pytest.raises(NonFiniteStepError, match=r"would make parameter 0 .* nan"):
        opt.step()  # 0 / (sqrt(0) + 0)
    assert p.data == 1.0


@pytest.mark.parametrize(
    "make",
    [
        *OPTIMIZERS,
        pytest.param(
            lambda ps: SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.01), id="SGD-weight-decay"
        ),
    ],
)
def test_step_arrays_is_the_rule_of_step_for_every_optimizer(make: Any) -> None:
    np = pytest.importorskip("numpy")
    values = [Value(x) for x in START]
    eager = make(values)
    arrays = make([Value(x) for x in START])
    data = np.array(START)
    for k in range(5):
        grads = [0.5 * k - x for x in START]
        for v, g in zip(values, grads):
            v.grad = g
        eager.step()
        arrays.step_arrays(data, np.array(grads))
        assert [v.data for v in values] == data.tolist()  # the same bits


def test_step_arrays_checks_the_shapes() -> None:
    np = pytest.importorskip("numpy")
    opt = Adam([Value(1.0), Value(2.0)])
    with pytest.raises(ValueError, match=r"^Adam: step_arrays needs data and grad of shape \(2,\)"):
        opt.step_arrays(np.zeros(2), np.zeros(1))  # numpy would broadcast it silently
    assert opt.updates == 0
