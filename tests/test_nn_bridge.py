"""The bridge to PyTorch: to_torch and from_torch, outputs and gradients (nn/bridge.py)."""

from __future__ import annotations

import math
import random
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import autograd
import nn
from autograd import Value
from nn import MLP, Layer, Module, Neuron, from_torch

# Dense layers of order-1 values: each output is a dot product of a few terms and an
# activation, which our engine and torch round differently (summation order, libm), by a
# few ulps (~1e-16).  1e-12 leaves four orders of magnitude for depth and accumulation.
TOLERANCE = {"rel": 1e-12, "abs": 1e-12}

# torch's float64 Hardsigmoid backward multiplies by 1/6 rounded to float32 (relative error
# 3e-8; see tests/test_torch_oracle.py): gradients through it agree only to this.
HARDSIGMOID_GRAD_REL = 1e-7

ACTIVATION_LISTS = [
    ["relu", "relu", "linear"],
    ["tanh", "sigmoid", "tanh"],
    ["sigmoid", "linear", "relu"],
    ["hard_sigmoid", "tanh", "sigmoid"],
]


def _inputs(n: int, nin: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.gauss(0, 1.5) for _ in range(nin)] for _ in range(n)]


def _as_list(output: Value | list[Value]) -> list[Value]:
    return output if isinstance(output, list) else [output]


def _our_loss_and_gradients(model: Module, xs: list[list[float]], targets: Any) -> Any:
    """Outputs, and d/dw of sum((out - target)^2) over the batch for every parameter."""
    model.zero_grad()
    outputs = [_as_list(model(x)) for x in xs]
    loss = autograd.sum(
        (o - t) ** 2 for row, trow in zip(outputs, targets) for o, t in zip(row, trow)
    )
    loss.backward()
    return [[o.data for o in row] for row in outputs], loss.data


def _torch_loss_and_gradients(torch: ModuleType, sequential: Any, xs: Any, targets: Any) -> Any:
    sequential.zero_grad()
    out = sequential(torch.tensor(xs, dtype=torch.float64))
    loss = ((out - torch.tensor(targets, dtype=torch.float64)) ** 2).sum()
    loss.backward()
    return out.detach().tolist(), loss.item()


def _our_gradients(model: MLP) -> list[tuple[list[list[float]], list[float]]]:
    """Per layer: the gradient of the weight matrix (rows = neurons) and of the biases."""
    return [
        ([[w.grad for w in n.w] for n in layer.neurons], [n.b.grad for n in layer.neurons])
        for layer in model.layers
    ]


def _torch_gradients(torch: ModuleType, sequential: Any) -> list[Any]:
    linears = [m for m in sequential if isinstance(m, torch.nn.Linear)]
    return [(m.weight.grad.tolist(), m.bias.grad.tolist()) for m in linears]


def _compare(ours: Any, theirs: Any, activations: list[str]) -> None:
    grad_rel = HARDSIGMOID_GRAD_REL if "hard_sigmoid" in activations else TOLERANCE["rel"]
    for layer, ((w, b), (tw, tb)) in enumerate(zip(ours, theirs)):
        for row, trow in zip(w, tw):
            assert row == pytest.approx(trow, rel=grad_rel, abs=1e-12), f"layer {layer + 1}"
        assert b == pytest.approx(tb, rel=grad_rel, abs=1e-12), f"layer {layer + 1} bias"



def _assert_same_as_torch(
    torch: ModuleType, model: MLP, sequential: Any, xs: Any, targets: Any, activations: list[str]
) -> None:
    """Our model and the Sequential agree on outputs, loss and every gradient."""
    ours, our_loss = _our_loss_and_gradients(model, xs, targets)
    theirs, their_loss = _torch_loss_and_gradients(torch, sequential, xs, targets)
    for row, trow in zip(ours, theirs):
        assert row == pytest.approx(trow, **TOLERANCE)
    assert our_loss == pytest.approx(their_loss, **TOLERANCE)
    _compare(_our_gradients(model), _torch_gradients(torch, sequential), activations)

# --- to_torch ------------------------------------------------------------------------------


@pytest.mark.parametrize("activations", ACTIVATION_LISTS)
def test_to_torch_gives_the_same_outputs_and_gradients(
    torch: ModuleType, activations: list[str]
) -> None:
    model = MLP(3, [6, 5, 2], activation=activations, seed=7)
    sequential = model.to_torch()
    xs, targets = _inputs(16, 3, seed=1), _inputs(16, 2, seed=2)
    _assert_same_as_torch(torch, model, sequential, xs, targets, activations)


def test_to_torch_builds_linear_layers_and_activation_modules(torch: ModuleType) -> None:
    model = MLP(2, [4, 3, 3, 1], activation=["relu", "hard_sigmoid", "linear", "sigmoid"])
    sequential = model.to_torch()
    assert [type(m).__name__ for m in sequential] == [
        "Linear",
        "ReLU",
        "Linear",
        "Hardsigmoid",
        "Linear",  # "linear": no module
        "Linear",
        "Sigmoid",
    ]
    assert all(p.dtype == torch.float64 for p in sequential.parameters())
    first = sequential[0]
    assert (first.in_features, first.out_features) == (2, 4)
    assert first.weight[1].tolist() == [w.data for w in model.layers[0].neurons[1].w]
    assert first.bias.tolist() == [n.b.data for n in model.layers[0].neurons]


def test_layer_and_neuron_export_too(torch: ModuleType) -> None:
    x = [0.3, -1.2, 2.0]
    layer = Layer(3, 2, activation="tanh", seed=3)
    assert [type(m).__name__ for m in layer.to_torch()] == ["Linear", "Tanh"]
    out = layer.to_torch()(torch.tensor(x, dtype=torch.float64)).tolist()
    assert out == pytest.approx([v.data for v in layer(x)], **TOLERANCE)
    neuron = Neuron(3, activation="linear", seed=4)
    assert [type(m).__name__ for m in neuron.to_torch()] == ["Linear"]
    assert neuron.to_torch()(torch.tensor(x, dtype=torch.float64)).item() == pytest.approx(
        neuron(x).data, **TOLERANCE
    )


def test_to_torch_leaves_torchs_random_generator_alone(torch: ModuleType) -> None:
    state = torch.random.get_rng_state()
    MLP(3, [50, 50, 1]).to_torch()
    assert torch.equal(torch.random.get_rng_state(), state)


def test_exported_weights_are_a_copy(torch: ModuleType) -> None:
    model = MLP(2, [2])
    sequential = model.to_torch()
    with torch.no_grad():
        sequential[0].weight.add_(1.0)
    assert model.to_torch()[0].weight.tolist() != sequential[0].weight.tolist()


def test_a_custom_module_cannot_be_exported(torch: ModuleType) -> None:
    class Affine(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

    with pytest.raises(TypeError, match=r"^to_torch: only a Neuron, Layer or MLP .* got Affine$"):
        Affine().to_torch()


# --- from_torch ----------------------------------------------------------------------------


def _sequential(torch: ModuleType, *modules: Any) -> Any:
    """A float64 Sequential initialised from a fixed seed, leaving the global generator be."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return torch.nn.Sequential(*modules).double()


@pytest.mark.parametrize("activations", ACTIVATION_LISTS)
def test_from_torch_gives_the_same_outputs_and_gradients(
    torch: ModuleType, activations: list[str]
) -> None:
    names = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "hard_sigmoid": "Hardsigmoid"}
    modules: list[Any] = []
    for nin, nout, activation in zip([4, 7, 5], [7, 5, 3], activations):
        modules.append(torch.nn.Linear(nin, nout))
        if activation != "linear":
            modules.append(getattr(torch.nn, names[activation])())
    sequential = _sequential(torch, *modules)
    model = from_torch(sequential)
    assert model.nin == 4 and model.sizes == [7, 5, 3] and model.activations == activations
    xs, targets = _inputs(16, 4, seed=3), _inputs(16, 3, seed=4)
    _assert_same_as_torch(torch, model, sequential, xs, targets, activations)


def test_round_trips_keep_every_bit(torch: ModuleType) -> None:
    model = MLP(3, [5, 4, 2], activation=["tanh", "hard_sigmoid", "sigmoid"], seed=9)
    back = from_torch(model.to_torch())
    assert back.config() == model.config()
    assert back.state_dict() == model.state_dict()
    sequential = _sequential(torch, torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    again = from_torch(sequential).to_torch()
    for a, b in zip(sequential.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


def test_identity_is_skipped_and_nested_sequentials_are_opened(torch: ModuleType) -> None:
    sequential = _sequential(
        torch,
        torch.nn.Linear(2, 3),
        torch.nn.Sequential(torch.nn.Identity(), torch.nn.ReLU(), torch.nn.Linear(3, 2)),
        torch.nn.Sigmoid(),
    )
    model = from_torch(sequential)
    assert model.activations == ["relu", "sigmoid"]
    x = [0.4, -0.9]
    expected = sequential(torch.tensor(x, dtype=torch.float64)).tolist()
    assert [v.data for v in model(x)] == pytest.approx(expected, **TOLERANCE)


def test_float32_weights_are_converted_exactly(torch: ModuleType) -> None:
    with torch.random.fork_rng():
        torch.manual_seed(1)
        sequential = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    model = from_torch(sequential)  # float32, as torch makes it by default
    assert model.state_dict()["layer 1/neuron 2"] == [
        *sequential[0].weight[1].double().tolist(),
        sequential[0].bias[1].double().item(),
    ]
    assert (
        from_torch(sequential.half()).state_dict()
        == from_torch(sequential.half().double()).state_dict()
    )


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")  # Linear(2, 0)
@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda t: t.nn.Linear(2, 3),
            TypeError,
            r"^from_torch: expected a torch.nn.Sequential, got Linear$",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Dropout(0.5), t.nn.Linear(3, 1)),
            ValueError,
            r"^from_torch: module \[1\] \(Dropout\(p=0.5, inplace=False\)\) is not supported; "
            r"supported: Linear, ReLU, Sigmoid, Tanh, Hardsigmoid, Identity and Sequential$",
        ),
        (
            lambda t: t.nn.Sequential(
                t.nn.Linear(2, 3), t.nn.Sequential(t.nn.Linear(3, 3), t.nn.GELU())
            ),
            ValueError,
            r"^from_torch: module \[1\]\[1\] \(GELU\(approximate='none'\)\) is not supported",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(4, 1)),
            ValueError,
            r"^from_torch: module \[2\] takes 4 inputs, but the Linear layer before it "
            r"\(module \[0\]\) gives 3 outputs$",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Tanh()),
            ValueError,
            r"^from_torch: module \[2\] \(Tanh\(\)\) follows another activation",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.ReLU(), t.nn.Linear(2, 3)),
            ValueError,
            r"^from_torch: module \[0\] \(ReLU\(\)\) follows the input",
        ),
        (lambda t: t.nn.Sequential(), ValueError, r"^from_torch: the Sequential has no Linear"),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 3, bias=False)),
            ValueError,
            r"^from_torch: module \[0\] .* has no bias",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 0)),
            ValueError,
            r"^from_torch: module \[0\] has a weight of shape \(0, 2\)",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 2, dtype=t.complex128)),
            TypeError,
            r"^from_torch: module \[0\] weight has dtype torch.complex128; it must be real floats",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 2, device="meta")),
            ValueError,
            r"^from_torch: module \[0\] weight is on the meta device",
        ),
    ],
)
def test_bad_sequentials_are_refused_by_name(
    torch: ModuleType, build: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        from_torch(build(torch))


@pytest.mark.parametrize(("part", "bad"), [("weight", math.nan), ("bias", math.inf)])
def test_non_finite_weights_are_refused_by_position(
    torch: ModuleType, part: str, bad: float
) -> None:
    sequential = _sequential(torch, torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    with torch.no_grad():
        getattr(sequential[2], part)[1] = bad
    where = r"weight\[1\]\[0\]" if part == "weight" else r"bias\[1\]"
    with pytest.raises(ValueError, match=rf"^from_torch: module \[2\] {where} must be a finite"):
        from_torch(sequential)


# --- without torch ------------------------------------------------------------------------


def test_without_torch_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if it were not installed
    install = r"pip install 'lecturegrad\[torch\]'"
    with pytest.raises(ImportError, match=rf"^to_torch needs PyTorch, .*: {install}$"):
        MLP(2, [1]).to_torch()
    with pytest.raises(ImportError, match=rf"^from_torch needs PyTorch, .*: {install}$"):
        nn.from_torch(object())


def test_the_bridge_is_part_of_nn() -> None:
    assert nn.to_torch is nn.bridge.to_torch and nn.from_torch is nn.bridge.from_torch


def test_the_readme_example_runs(torch: ModuleType) -> None:
    # The README shows it as a plain block (test_readme.py runs every python block, and
    # torch is optional); here, where torch is, it runs as written.
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### PyTorch bridge", 1)[1]
    example = re.search(r"```\n(.*?)```", section, re.S)
    assert example is not None and "from_torch" in example.group(1)
    exec(compile(example.group(1), "README.md, PyTorch bridge", "exec"), {})
