"""nn.modules: Neuron, Layer, MLP, activations, initialisation, parameters and state."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from typing import Any

import pytest

import nn
from autograd import Value, no_grad
from nn import MLP, SGD, Layer, Module, Neuron
from nn.losses import mse

ACTIVATIONS = ["relu", "sigmoid", "hard_sigmoid", "tanh", "linear"]


# --- construction and output shapes ---------------------------------------------------------


def test_public_names() -> None:
    from nn import SGD, fit, load  # noqa: F401  (the issue's import line)

    assert set(nn.ACTIVATIONS) == set(ACTIVATIONS)


def test_neuron_is_activation_of_dot_plus_bias() -> None:
    n = Neuron(3, activation="tanh", seed=1)
    out = n([1.0, 2.0, 3.0])
    assert out.op == "tanh"
    (z,) = out.children
    assert z.op == "+"
    d, b = z.children
    assert d.op == "dot" and b is n.b
    expected = math.tanh(math.fsum(w.data * x for w, x in zip(n.w, [1.0, 2.0, 3.0])) + n.b.data)
    assert out.data == pytest.approx(expected, rel=1e-15)


def test_linear_neuron_has_no_activation_node() -> None:
    out = Neuron(2, activation="linear")([1.0, 2.0])
    assert out.op == "+"


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation_is_applied(activation: str) -> None:
    n = Neuron(2, activation=activation, seed=3)
    x = [0.7, -0.4]
    z = math.fsum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data
    expected = {
        "relu": max(z, 0.0),
        "sigmoid": 1 / (1 + math.exp(-z)),
        "hard_sigmoid": min(max(z + 3, 0.0), 6.0) / 6,
        "tanh": math.tanh(z),
        "linear": z,
    }[activation]
    assert n(x).data == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_layer_always_returns_a_list() -> None:
    out = Layer(2, 1)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)
    assert len(Layer(2, 5)([1.0, 2.0])) == 5


def test_mlp_single_output_is_a_value_otherwise_a_list() -> None:
    assert isinstance(MLP(2, [4, 1])([1.0, 2.0]), Value)
    out = MLP(2, [4, 3])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_width_one_hidden_layer() -> None:
    model = MLP(2, [16, 1, 1])
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    assert len(model.parameters()) == 16 * 3 + (16 + 1) + (1 + 1)
    out.backward()


def test_parameter_count_and_order() -> None:
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    params = model.parameters()
    assert len(params) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1)
    assert len({id(p) for p in params}) == len(params)
    first = model.layers[0].neurons[0]
    assert params[:3] == [*first.w, first.b]
    assert params[-1] is model.layers[-1].neurons[-1].b
    assert model.parameters() == params  # stable
    assert all(p.is_parameter and p.is_leaf for p in params)


def test_parameter_groups_names() -> None:
    assert list(Neuron(2).parameter_groups()) == ["neuron"]
    assert list(Layer(2, 3).parameter_groups()) == ["neuron 1", "neuron 2", "neuron 3"]
    model = MLP(2, [3, 1])
    groups = model.parameter_groups()
    assert list(groups) == [
        "layer 1/neuron 1",
        "layer 1/neuron 2",
        "layer 1/neuron 3",
        "layer 2/neuron 1",
    ]
    assert groups["layer 2/neuron 1"] == [
        *model.layers[1].neurons[0].w,
        model.layers[1].neurons[0].b,
    ]
    assert [p for g in groups.values() for p in g] == model.parameters()


def test_parameter_labels() -> None:
    n = Neuron(3)
    assert [p.label for p in n.parameters()] == ["w1", "w2", "w3", "b"]


# --- activations per layer ---------------------------------------------------------------


def test_default_activations_relu_hidden_linear_output() -> None:
    assert MLP(2, [4, 4, 1]).activations == ["relu", "relu", "linear"]
    assert MLP(2, [1]).activations == ["linear"]


def test_activation_list_for_hidden_layers_or_all_layers() -> None:
    hidden = MLP(2, [3, 3, 1], activation=["tanh", "relu"], output_activation="sigmoid")
    assert hidden.activations == ["tanh", "relu", "sigmoid"]
    assert [layer.activation for layer in hidden.layers] == ["tanh", "relu", "sigmoid"]
    everything = MLP(2, [3, 3, 1], activation=["tanh", "relu", "hard_sigmoid"])
    assert everything.activations == ["tanh", "relu", "hard_sigmoid"]
    assert MLP(2, [3, 1], activation=["sigmoid"]).activations == ["sigmoid", "linear"]


def test_activation_list_errors() -> None:
    with pytest.raises(ValueError, match="must list 2 \\(hidden\\) or 3 \\(all\\) layers"):
        MLP(2, [3, 3, 1], activation=["relu"])
    with pytest.raises(ValueError, match="output_activation must be left out"):
        MLP(2, [3, 1], activation=["relu", "relu"], output_activation="linear")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Neuron(2, activation="softmax"),
        lambda: Layer(2, 3, activation="softmax"),
        lambda: MLP(2, [3, 1], activation="softmax"),
        lambda: MLP(2, [3, 1], output_activation="softmax"),
        lambda: MLP(2, [3, 1], activation=["relu", "softmax"]),
    ],
)
def test_unknown_activation_is_named(make: object) -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'softmax'.*relu"):
        make()  # type: ignore[operator]


@pytest.mark.parametrize("sizes", [[3], [3, 1], [3, 3, 1]])
def test_a_misspelt_activation_is_refused_at_any_depth(sizes: list[int]) -> None:
    # A one-layer network has no hidden layer to use ``activation``; the typo is still one.
    with pytest.raises(ValueError, match=r"^MLP.*: unknown activation 'gelu'; choose one of relu"):
        MLP(2, sizes, activation="gelu")
    with pytest.raises(TypeError, match=r"^MLP.*: activation must be a name"):
        MLP(2, sizes, activation=3)  # type: ignore[arg-type]


def test_activation_must_be_a_name() -> None:
    with pytest.raises(TypeError, match="activation must be a name"):
        Neuron(2, activation=math.tanh)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Neuron(0), ValueError, "Neuron: nin must be >= 1"),
        (lambda: Neuron(2.0), TypeError, "Neuron: nin must be an int"),
        (lambda: Layer(2, 0), ValueError, "Layer: nout must be >= 1"),
        (lambda: MLP(2, []), ValueError, "at least one layer"),
        (lambda: MLP(2, [4, 0]), ValueError, r"sizes\[1\] must be >= 1"),
        (lambda: MLP(2, 4), TypeError, "sizes must be a list"),
        (lambda: MLP(2, [4], seed="x"), TypeError, "seed must be an int or a random.Random"),
    ],
)
def test_bad_construction(make: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()  # type: ignore[operator]


# --- inputs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "who"), [(Neuron(3), "Neuron"), (Layer(3, 2), "Layer"), (MLP(3, [2, 1]), "MLP")]
)
def test_wrong_input_length_is_a_value_error(model: Module, who: str) -> None:
    with pytest.raises(ValueError, match=f"{who}: expected 3 input\\(s\\), got 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match=f"{who}: expected 3 input\\(s\\), got 1"):
        model(1.0)


def test_bad_input_types() -> None:
    with pytest.raises(TypeError, match="MLP: input 2 must be a number or a Value, got str"):
        MLP(2, [1])([1.0, "a"])
    with pytest.raises(TypeError, match="MLP: input must be a number, a Value or a sequence"):
        MLP(2, [1])("ab")


def test_inputs_may_be_numbers_or_values_and_gradients_reach_values() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=2)
    x1 = Value(0.3)
    out = model([x1, 0.5])
    assert out.data == model([0.3, 0.5]).data
    out.backward()
    assert x1.grad != 0.0


def test_scalar_input_for_one_input_model() -> None:
    model = MLP(1, [4, 1], activation="tanh")
    assert model(0.25).data == model([0.25]).data
    assert model(Value(0.25)).data == model([0.25]).data


def test_tuples_and_numpy_inputs() -> None:
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1])
    assert model((1.0, 2.0)).data == model([1.0, 2.0]).data
    assert model(np.array([1.0, 2.0])).data == model([1.0, 2.0]).data


# --- initialisation ----------------------------------------------------------------------


def test_same_seed_gives_bit_identical_models() -> None:
    a = MLP(2, [8, 8, 1], seed=7)
    b = MLP(2, [8, 8, 1], seed=7)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    c = MLP(2, [8, 8, 1], seed=8)
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


def test_initialisation_leaves_global_random_state_alone() -> None:
    random.seed(1234)
    state = random.getstate()
    MLP(2, [8, 1], seed=3)
    assert random.getstate() == state


def test_initialisation_is_scaled_by_fan_in() -> None:
    # uniform(±sqrt(12 / nin)) for every activation: standard deviation 2 / sqrt(nin).
    for nin in (2, 50):
        for activation in ("relu", "tanh", "linear"):
            layer = Layer(nin, 400, activation=activation)
            ws = [w.data for n in layer.neurons for w in n.w]
            bound = math.sqrt(12 / nin)
            assert all(-bound <= w <= bound for w in ws)
            assert max(map(abs, ws)) > 0.95 * bound
            std = math.sqrt(math.fsum(w * w for w in ws) / len(ws))
            # 400 * nin draws: the sample std is within a few % of 2 / sqrt(nin).
            assert abs(std - 2 / math.sqrt(nin)) < 0.1 * (2 / math.sqrt(nin))
            assert all(n.b.data == 0.0 for n in layer.neurons)


def test_seed_may_be_a_random_generator() -> None:
    a = Neuron(3, seed=random.Random(5))
    b = Neuron(3, seed=random.Random(5))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


# --- gradients -----------------------------------------------------------------------------


def _finite_difference_check(model: MLP, xs: list[list[float]], ys: list[float]) -> None:
    """Compare every parameter's backpropagated gradient with central differences."""
    params = model.parameters()
    model.zero_grad()
    mse([model(x) for x in xs], ys).backward()
    eps = 1e-6
    for i, p in enumerate(params):
        original = p.data
        with no_grad():
            p.data = original + eps
            up = mse([model(x) for x in xs], ys).data
            p.data = original - eps
            down = mse([model(x) for x in xs], ys).data
        p.data = original
        numeric = (up - down) / (2 * eps)
        assert abs(p.grad - numeric) <= 1e-5 + 1e-3 * abs(numeric), (i, p.grad, numeric)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_parameter_gradients_match_finite_differences(activation: str) -> None:
    # hard_sigmoid saturates outside (-3, 3): wide enough inputs reach both regimes.
    model = MLP(3, [4, 3, 1], activation=activation, output_activation=activation, seed=11)
    rng = random.Random(0)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
    ys = [rng.uniform(-1, 1) for _ in range(5)]
    _finite_difference_check(model, xs, ys)


def test_mlp_gradients_with_gradcheck_on_a_function_of_the_parameters() -> None:
    from autograd import gradcheck

    model = MLP(2, [3, 1], activation="tanh", seed=4)
    x = [0.4, -0.9]

    def f(*params: Value) -> Value:
        # Rebuild the same network from the given parameter Values.
        values: list[Value] = [Value(v) for v in x]
        k = 0
        for layer in model.layers:
            outs = []
            for neuron in layer.neurons:
                w, b = params[k : k + neuron.nin], params[k + neuron.nin]
                k += neuron.nin + 1
                z = sum((wi * xi for wi, xi in zip(w, values)), b)
                outs.append(nn.ACTIVATIONS[neuron.activation](z))
            values = outs
        return values[0]

    point = [p.data for p in model.parameters()]
    assert f(*[Value(v) for v in point]).data == pytest.approx(model(x).data, rel=1e-12)
    assert gradcheck(f, point)


# --- Module base, zero_grad, state ---------------------------------------------------------


def test_zero_grad() -> None:
    model = MLP(2, [3, 1])
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_backward_accumulates_until_zero_grad() -> None:
    model = Neuron(2, activation="linear")
    model([1.0, 2.0]).backward()
    model([1.0, 2.0]).backward()
    assert [p.grad for p in model.parameters()] == [2.0, 4.0, 2.0]


def test_state_dict_round_trip_in_place() -> None:
    a, b = MLP(2, [3, 2], seed=1), MLP(2, [3, 2], seed=2)
    params_before = b.parameters()
    b.load_state_dict(a.state_dict())
    assert b.parameters() == params_before  # the same Value objects, new data
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert b.state_dict() == a.state_dict()


def test_load_state_dict_rejects_mismatches_and_leaves_model_untouched() -> None:
    model = MLP(2, [3, 1], seed=1)
    before = model.state_dict()
    state = model.state_dict()
    state["layer 2/neuron 1"] = state["layer 2/neuron 1"][:-1]
    with pytest.raises(ValueError, match="'layer 2/neuron 1' has 3 value\\(s\\), the model has 4"):
        model.load_state_dict(state)
    state = model.state_dict()
    del state["layer 1/neuron 2"]
    with pytest.raises(ValueError, match="missing \\['layer 1/neuron 2'\\]"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["layer 1/neuron 1"] = [1.0, "x", 0.0]  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must be a real number"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["layer 1/neuron 3"][0] = math.inf
    state["layer 1/neuron 1"][0] = 99.0  # an earlier group: must not be written either
    with pytest.raises(ValueError, match="must be a finite number, got inf"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_rejects_numbers_too_large_for_a_float() -> None:
    # Before: OverflowError from math.isfinite(10**400).
    model = MLP(2, [3, 1], seed=1)
    before = model.state_dict()
    state: dict[str, list[Any]] = model.state_dict()
    state["layer 1/neuron 1"][0] = 99.0
    state["layer 2/neuron 1"][1] = 10**400
    with pytest.raises(
        ValueError,
        match=r"^MLP\.load_state_dict: 'layer 2/neuron 1'\[1\] is too large for a float: 1000",
    ):
        model.load_state_dict(state)
    assert model.state_dict() == before
    state["layer 2/neuron 1"][1] = True
    with pytest.raises(ValueError, match=r"\[1\] must be a real number, got bool True"):
        model.load_state_dict(state)


def test_inputs_too_large_for_a_float_are_value_errors() -> None:
    # Before: OverflowError from float(10**400).
    with pytest.raises(ValueError, match=r"^MLP: input 2 is too large for a float"):
        MLP(2, [1])([1.0, 10**400])
    with pytest.raises(ValueError, match=r"^Neuron: input 1 is too large for a float"):
        Neuron(1)(-(10**400))


def test_counts_are_checked_by_the_shared_helper() -> None:
    with pytest.raises(TypeError, match=r"^Layer: nout must be an int, got bool True$"):
        Layer(2, True)  # type: ignore[arg-type]
    # An int too long to print (over 4300 digits) is still described, not a second error.
    with pytest.raises(ValueError, match=r"^MLP: sizes\[0\] must be >= 1, got <int of about 5001"):
        MLP(2, [-(10**5000)])


def test_custom_module_with_parameters_only() -> None:
    class Line(Module):
        def __init__(self) -> None:
            self.w, self.b = Value(2.0), Value(1.0)

        def __call__(self, x: float) -> Value:
            return self.w * x + self.b

        def parameters(self) -> list[Value]:
            return [self.w, self.b]

    line = Line()
    assert line.parameter_groups() == {"parameters": [line.w, line.b]}
    assert line.state_dict() == {"parameters": [2.0, 1.0]}
    with pytest.raises(TypeError, match="Line has no config"):
        line.save("unused.json")


def test_bare_module_has_no_parameters_and_explains_call() -> None:
    # Before parameter discovery, parameters() raised NotImplementedError here.
    assert Module().parameter_groups() == {}
    assert Module().parameters() == []
    assert Module().state_dict() == {}
    Module().load_state_dict({})
    with pytest.raises(NotImplementedError, match="__call__"):
        Module()(1.0)


# --- parameter discovery in custom modules -------------------------------------------------


class Affine(Module):
    """y = w * x + b, with its parameters found from its attributes."""

    def __init__(self, w: float = 2.0, b: float = 1.0) -> None:
        self.w = Value(w, label="w")
        self.b = Value(b, label="b")
        self.name = "affine"  # not a Value: ignored
        self.scale = 3.0  # a number: ignored
        self._hidden = Value(9.0)  # private: ignored

    def __call__(self, x: float | Value) -> Value:
        return self.w * x + self.b


class Net(Module):
    """Every kind of attribute discovery handles, in a known order."""

    def __init__(self) -> None:
        self.first = Affine(1.0, 0.5)
        self.ws = [Value(0.1), Value(0.2)]
        self.pair = (Value(0.3),)
        self.blocks = [Affine(4.0, 0.0), Affine(5.0, 0.0)]
        self.mlp = MLP(1, [2, 1], seed=0)
        self.gain = Value(1.5)
        self.out = self.gain * 2  # a result of an operation (a cached output): not a parameter
        self.mixed: list[Value | float] = [Value(7.0), 1.0]  # a mixed list: ignored
        self.table = {"v": Value(8.0)}  # a dict: ignored
        self.empty: list[Value] = []

    def __call__(self, x: float) -> Value:
        h = self.blocks[1](self.blocks[0](self.first(x)))
        out = self.mlp([h])
        assert isinstance(out, Value)
        return self.gain * out + self.ws[0] * self.ws[1] + self.pair[0]


def test_custom_module_parameters_are_discovered_from_attributes() -> None:
    # Before: parameters() raised NotImplementedError for a module overriding neither method.
    line = Affine()
    assert line.parameter_groups() == {"w": [line.w], "b": [line.b]}
    assert line.parameters() == [line.w, line.b]
    assert all(p.is_parameter for p in line.parameters())
    assert not line._hidden.is_parameter


def test_discovery_order_names_and_nesting() -> None:
    net = Net()
    groups = net.parameter_groups()
    assert list(groups) == [
        "first/w",
        "first/b",
        "ws",
        "pair",
        "blocks 1/w",
        "blocks 1/b",
        "blocks 2/w",
        "blocks 2/b",
        "mlp/layer 1/neuron 1",
        "mlp/layer 1/neuron 2",
        "mlp/layer 2/neuron 1",
        "gain",
    ]
    assert groups["ws"] == net.ws
    assert groups["blocks 2/w"] == [net.blocks[1].w]
    assert groups["mlp/layer 2/neuron 1"] == net.mlp.parameter_groups()["layer 2/neuron 1"]
    params = net.parameters()
    assert params == [p for g in groups.values() for p in g]
    assert len(params) == 2 + 2 + 1 + 4 + (2 * 2 + 3) + 1
    assert all(p.is_parameter and p.is_leaf for p in params)
    assert not net.out.is_parameter
    assert isinstance(net.mixed[0], Value) and not net.mixed[0].is_parameter
    assert net.parameters() == params  # stable


def test_shared_values_and_modules_are_taken_once_and_cycles_end() -> None:
    class Tied(Module):
        def __init__(self) -> None:
            self.a = Affine()
            self.b = self.a  # the same module again: skipped
            self.w = self.a.w  # a shared Value: already collected
            self.v = Value(0.0)
            self.vs = [self.v, Value(1.0)]  # v already collected: only the new Value
            self.a.parent = self  # type: ignore[attr-defined]  # a cycle back to the parent

    tied = Tied()
    groups = tied.parameter_groups()
    assert groups == {"a/w": [tied.a.w], "a/b": [tied.a.b], "v": [tied.v], "vs": [tied.vs[1]]}
    SGD(tied.parameters(), lr=0.1)  # no repeated parameter


def test_module_without_parameters_gives_empty_groups() -> None:
    class Constant(Module):
        def __init__(self) -> None:
            self.value = 3.0
            self.out = Value(1.0) + 1

        def __call__(self, x: float) -> Value:
            return Value(self.value)

    assert Constant().parameter_groups() == {}
    assert Constant().parameters() == []
    with pytest.raises(ValueError, match="fit: there are no parameters to train"):
        nn.fit(Constant(), [1.0], [1.0], loss=mse, lr=0.1, batch_size=1, epochs=1)


def test_discovered_module_state_dict_round_trip_and_zero_grad() -> None:
    a, b = Net(), Net()
    for p in a.parameters():
        p.data += 0.25
    state = a.state_dict()
    assert list(state) == list(a.parameter_groups())
    b.load_state_dict(state)
    assert b.state_dict() == state
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    a(0.5).backward()
    assert any(p.grad != 0 for p in a.parameters())
    a.zero_grad()
    assert all(p.grad == 0 for p in a.parameters())
    del state["ws"]
    with pytest.raises(ValueError, match=r"missing \['ws'\]"):
        b.load_state_dict(state)
    with pytest.raises(TypeError, match="Net has no config"):
        nn.save(a, "unused.json")


def test_discovered_module_trains_with_fit() -> None:
    line = Affine(0.0, 0.0)
    xs = [0.0, 1.0, 2.0, 3.0]
    history = nn.fit(
        line, xs, [2 * x + 1 for x in xs], loss=mse, lr=0.05, batch_size=4, max_updates=3000
    )
    assert history.losses[-1] < 1e-12
    # loss < 1e-12 bounds each error by sqrt(1e-12 / 0.297) < 2e-6 (0.297: the smallest
    # eigenvalue of mean([x, 1] [x, 1]ᵀ) over the four xs).
    assert line.w.data == pytest.approx(2.0, abs=1e-5)
    assert line.b.data == pytest.approx(1.0, abs=1e-5)


def test_overriding_parameters_only_still_works_and_may_call_super() -> None:
    class Extra(Affine):
        def __init__(self) -> None:
            super().__init__()
            self._extra = Value(5.0)

        def parameters(self) -> list[Value]:
            return [*super().parameters(), self._extra]  # discovery, without recursion

    extra = Extra()
    assert extra.parameters() == [extra.w, extra.b, extra._extra]
    assert extra.parameter_groups() == {"parameters": extra.parameters()}


def test_load_state_dict_caps_long_name_lists() -> None:
    model = Neuron(2)
    state = model.state_dict()
    state.update({f"extra {i}": [0.0] for i in range(1000)})
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "unexpected ['extra 0', 'extra 1', 'extra 2', 'extra 3', 'extra 4'] and 995 more" in (
        message
    )
    assert len(message) < 300


def test_repr_shows_the_architecture_and_the_parameter_count() -> None:
    assert repr(MLP(2, [16, 16, 1])) == (
        "MLP(2, [16, 16, 1], activation=['relu', 'relu', 'linear']) with 337 parameters"
    )
    assert repr(Layer(2, 3, "tanh")) == "Layer(2, 3, activation='tanh') with 9 parameters"
    assert repr(Neuron(2)) == "Neuron(2, activation='relu') with 3 parameters"


def test_repr_of_a_custom_module_counts_its_discovered_parameters() -> None:
    class Affine(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

    assert repr(Affine()) == "Affine() with 1 parameter"
    assert repr(Module()) == "Module() with 0 parameters"


def test_the_repr_rebuilds_the_same_architecture() -> None:
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid")
    code = repr(model).split(" with ")[0]
    rebuilt = eval(code, {"MLP": MLP})
    assert rebuilt.config() == model.config()


def test_summary_is_a_table_of_layers_with_the_total() -> None:
    assert MLP(2, [16, 16, 1]).summary().splitlines() == [
        "MLP(2, [16, 16, 1], activation=['relu', 'relu', 'linear'])",
        "part     shape     activation  parameters",
        "layer 1  2 -> 16   relu                48",
        "layer 2  16 -> 16  relu               272",
        "layer 3  16 -> 1   linear              17",
        "total                                 337",
    ]
    assert Neuron(3, "tanh").summary().splitlines()[2] == "neuron  3 -> 1  tanh                 4"
    assert Layer(3, 2).summary().splitlines()[-1].split() == ["total", "8"]


def test_summary_of_a_custom_module_has_a_row_per_parameter_group() -> None:
    class Block(Module):
        def __init__(self) -> None:
            self.scale = Value(1.0)
            self.body = MLP(2, [3])

    assert Block().summary().splitlines() == [
        "Block()",
        "part                   shape  activation  parameters",
        "scale                                              1",
        "body/layer 1/neuron 1                              3",
        "body/layer 1/neuron 2                              3",
        "body/layer 1/neuron 3                              3",
        "total                                             10",
    ]


def test_import_nn_is_light() -> None:
    code = (
        "import sys, nn; heavy = [m for m in ('matplotlib', 'tqdm', 'numpy', 'torch') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_assigning_leaf_values_to_a_module_marks_them_as_parameters() -> None:
    class Affine(Module):
        def __init__(self) -> None:
            self.w = Value(1.0, label="w")
            self.pair = [Value(2.0), Value(3.0)]
            self._cache = Value(4.0)  # private: not a parameter

        def parameters(self) -> list[Value]:
            return [self.w, *self.pair]

        def __call__(self, x: Value) -> Value:
            return self.w * x + self.pair[0]

    model = Affine()
    assert model.w.is_parameter and all(v.is_parameter for v in model.pair)
    assert not model._cache.is_parameter
    out = model(Value(2.0))
    model.result = out  # a computed Value stays what it is
    assert not out.is_parameter
