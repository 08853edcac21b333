"""autograd.compile: the traced, batched replay against the eager engine it must reproduce."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import PRIMITIVES, Value, compile  # noqa: A004 - the API under test
from autograd.compiled import Compiled, Strategy, build
from autograd.compiled.kernels import KERNELS, LAYER
from autograd.testing import expressions
from nn import MLP
from nn.losses import mse

ROOT = Path(__file__).resolve().parent.parent
ACTIVATIONS = ["relu", "sigmoid", "hard_sigmoid", "tanh", "linear"]

# Compiled and eager must agree to 1e-12, measured relative to max(1, the largest magnitude
# among the numbers compared).  Why not relative to each number alone: numpy's exp, log, tanh
# and pow may differ from math's by one unit in the last place, and the eager engine's own
# derivative formulas cancel terms of order one (1 - tanh², σ(1 - σ), sums whose terms
# cancel), so one ulp there is ~1e-16 *absolute* in a gradient of any size: 7e-13 relative
# to a gradient of 3e-4 (measured on tanh near saturation), yet 1e-16 relative to the terms
# that cancelled.  Gradients over a batch are also summed in another order than eager's.
# Measured worst over 1500 random expressions: 4e-15; 1e-12 leaves room for longer graphs
# than these (errors grow with the graph's depth and its condition number).
RTOL = 1e-12


def assert_close(compiled: Sequence[float], eager: Sequence[float], what: str) -> None:
    assert len(compiled) == len(eager)
    scale = max([1.0, *(abs(e) for e in eager)])
    for i, (c, e) in enumerate(zip(compiled, eager)):
        assert abs(c - e) <= RTOL * scale, f"{what}[{i}]: compiled {c!r}, eager {e!r}"


def eager_mean_gradients(
    fn: Callable[..., Value], batches: Sequence[Sequence[Any]], params: Sequence[Value]
) -> tuple[list[float], float, list[float]]:
    """Per-example outputs, the mean loss, and its gradients, by the eager engine."""
    examples = list(zip(*batches)) if batches else [()]
    outputs = [fn(*[as_values(arg) for arg in example]) for example in examples]
    loss = autograd.sum(outputs) / len(outputs)
    for p in params:
        p.grad = 0.0
    loss.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return [o.data for o in outputs], loss.data, grads


def as_values(arg: Any) -> Any:
    """A number or nested list of numbers as fresh leaf Values (an eager call's inputs)."""
    if isinstance(arg, (list, tuple)):
        return [as_values(a) for a in arg]
    return Value(arg)


def compiled_mean_gradients(
    step: Compiled, batches: Sequence[Sequence[Any]], params: Sequence[Value]
) -> tuple[list[float], float, list[float]]:
    outputs = step(*batches)
    for p in params:
        p.grad = 0.0
    mean = step.backward(*batches)
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return outputs, mean, grads


# --- the kernel table and the import ------------------------------------------------------


def test_kernel_table_covers_exactly_the_primitives() -> None:
    assert set(KERNELS) == set(PRIMITIVES)
    nary_blocks = {"sum": 1, "logsumexp": 1, "dot": 2, "select": 2}
    for name, kernel in KERNELS.items():
        arity = PRIMITIVES[name].arity
        assert kernel.blocks == (arity if arity is not None else nary_blocks[name])
    # A node's operands split into the kernel's blocks: scalars first, then equal parts.
    assert KERNELS["dot"].split((1, 2, 3, 4)) == [(1, 2), (3, 4)]
    assert KERNELS["select"].split((9, 1, 2, 3)) == [(9,), (1, 2, 3)]
    assert KERNELS["add"].split((5, 6)) == [(5,), (6,)]
    assert KERNELS["logsumexp"].split((1, 2, 3)) == [(1, 2, 3)]


def test_import_autograd_stays_light_and_compile_is_exported() -> None:
    script = (
        "import sys, autograd\n"
        "assert 'numpy' not in sys.modules, 'import autograd imported numpy'\n"
        "assert 'compile' in autograd.__all__\n"
        "from autograd import compile\n"
        "assert 'numpy' in sys.modules\n"
        "assert compile.__module__ == 'autograd.compiled'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


# --- random expressions and random MLPs against the eager engine --------------------------


@settings(max_examples=150)
@given(expressions(max_inputs=4, max_ops=8), st.data())
def test_random_expressions_match_eager(expr: Any, data: st.DataObject) -> None:
    # The first inputs become parameters (closed over), the others placeholders.  Batch
    # points stay within 2e-3 of the drawn point: expressions() keeps every kink and domain
    # edge at least 1e-2 away in input space, so every example is as safe as the point.
    n_params = data.draw(st.integers(1, expr.n_inputs), label="parameters")
    params = [Value(v) for v in expr.inputs[:n_params]]
    point = expr.inputs[n_params:]
    size = data.draw(st.integers(1, 5), label="batch size")
    nudge = st.floats(-2e-3, 2e-3)
    examples = [point] + [[v + data.draw(nudge) for v in point] for _ in range(size - 1)]
    batches = [list(column) for column in zip(*examples)] if point else []

    def fn(*xs: Value) -> Value:
        return expr(*params, *xs)

    step = compile(fn, example=tuple(point))  # no placeholders: a "batch" of one call
    out, mean, grads = compiled_mean_gradients(step, batches, params)
    eager_out, eager_mean, eager_grads = eager_mean_gradients(fn, batches, params)
    assert_close(out, eager_out, "outputs")
    assert_close([mean], [eager_mean], "mean")
    assert_close(grads, eager_grads, "gradients")


@st.composite
def mlp_cases(draw: st.DrawFn) -> tuple[MLP, list[Any], list[Any]]:
    """A random MLP (every activation may appear in any layer) and a random batch: targets
    for mean squared error, or class indices for cross-entropy (several outputs)."""
    nin = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    activations = [draw(st.sampled_from(ACTIVATIONS)) for _ in sizes]
    model = MLP(nin, sizes, activation=activations, seed=draw(st.integers(0, 2**16)))
    if draw(st.booleans()):  # biases start at 0; sometimes move them
        for layer in model.layers:
            for neuron in layer.neurons:
                neuron.b.data = draw(st.floats(-1, 1))
    # Inputs include exact 0 and ±3: with zero biases they put relu and hard_sigmoid
    # exactly on their kinks, where both engines must take the same subgradient.
    number = st.floats(-3, 3) | st.sampled_from([0.0, 3.0, -3.0])
    size = draw(st.integers(1, 6))
    xs = [[draw(number) for _ in range(nin)] for _ in range(size)]
    if sizes[-1] == 1:
        ys: list[Any] = [draw(st.floats(-2, 2)) for _ in range(size)]
    elif draw(st.booleans()):
        ys = [draw(st.integers(0, sizes[-1] - 1)) for _ in range(size)]
    else:
        ys = [[draw(st.floats(-2, 2)) for _ in range(sizes[-1])] for _ in range(size)]
    return model, xs, ys


@settings(max_examples=100)
@given(mlp_cases())
def test_random_mlps_match_eager(case: tuple[MLP, list[Any], list[Any]]) -> None:
    model, xs, ys = case
    params = model.parameters()
    classes = isinstance(ys[0], int)

    def loss(x: Any, y: Any) -> Value:
        return nn.losses.cross_entropy(model(x), y) if classes else mse(model(x), y)

    step = compile(loss, example=(xs[0], ys[0]))
    out, mean, grads = compiled_mean_gradients(step, [xs, ys], params)
    eager_out, eager_mean, eager_grads = eager_mean_gradients(loss, [xs, ys], params)
    assert_close(out, eager_out, "losses")
    assert_close([mean], [eager_mean], "mean")
    assert_close(grads, eager_grads, "gradients")

    forward = compile(model, example=(xs[0],))  # the model alone: one or several outputs
    with autograd.no_grad():
        expected = [model(x) for x in xs]
    flat_expected = [v.data for e in expected for v in (e if isinstance(e, list) else [e])]
    got = forward(xs)
    flat_got = [v for g in got for v in (g if isinstance(g, list) else [g])]
    assert_close(flat_got, flat_expected, "model outputs")


@pytest.mark.parametrize("flag", ["grouped", "fast_scatter", "invariant", "patterns", "rewrite"])
def test_every_strategy_gives_the_same_results(flag: str) -> None:
    # The benchmark times the schedule with each optimisation switched off: all of them
    # must compute the same thing.
    model = MLP(2, [5, 4, 1], activation=["tanh", "relu", "linear"], seed=3)
    params = model.parameters()

    def loss(x: Any, y: Any) -> Value:
        return (1 + -y * model(x)).relu() + 1e-2 * sum(p * p for p in params)

    xs = [[0.5, -1.0], [0.0, 0.0], [2.0, 1.5], [-0.3, 0.7]]
    ys = [1.0, -1.0, -1.0, 1.0]
    reference = compiled_mean_gradients(compile(loss, example=(xs[0], ys[0])), [xs, ys], params)
    for strategy in (replace(Strategy(), **{flag: False}), Strategy(False, False, False, False)):
        step = build(loss, (xs[0], ys[0]), strategy)
        out, _, grads = compiled_mean_gradients(step, [xs, ys], params)
        assert_close(out, reference[0], "outputs")
        assert_close(grads, reference[2], "gradients")
    eager = eager_mean_gradients(loss, [xs, ys], params)
    assert_close(reference[2], eager[2], "gradients")


# --- sums: strictly left to right --------------------------------------------------------


def left_to_right(terms: Sequence[float]) -> float:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


# Terms whose sum depends on the order: left to right gives 1.0, math.fsum 2.0.
CANCELLING = [1e16, 1.0, -1e16, 1.0, 3e-5, 7.0, -2.5e15, 2.5e15, 0.1]


@pytest.mark.parametrize("size", [1, 2, 5])
def test_sum_and_dot_add_strictly_left_to_right(size: int) -> None:
    w = Value(1.0)
    n = len(CANCELLING)

    def total(*xs: Value) -> Value:
        return autograd.sum([w * x for x in xs])

    def dotted(*xs: Value) -> Value:
        return autograd.dot([w] * n, list(xs))

    batches = [[t * (1 + i) for i in range(size)] for t in CANCELLING]
    expected = [left_to_right([t * (1 + i) for t in CANCELLING]) for i in range(size)]
    for fn in (total, dotted):
        step = compile(fn, example=tuple(CANCELLING))
        assert step(*batches) == expected  # bit for bit


def test_python_sum_chain_is_bit_identical_to_eager() -> None:
    # Python's sum() builds ((0 + t0) + t1) + ...; the compiler folds it into one n-ary sum,
    # which must round exactly as the chain does.
    w = Value(1.0)

    def chain(*xs: Value) -> Value:
        return sum(w * x for x in xs)  # type: ignore[return-value]

    step = compile(chain, example=tuple(CANCELLING))
    eager = chain(*[Value(t) for t in CANCELLING]).data
    assert step(*[[t] for t in CANCELLING]) == [eager]


def test_without_matmul_an_mlp_matches_eager_bit_for_bit() -> None:
    # Every kernel but the layers' matrix products adds left to right, as eager does.
    model = MLP(3, [8, 8, 2], seed=1)
    xs = [[0.1 * i, -0.2 * i, 0.3] for i in range(6)]
    with autograd.no_grad():
        expected = [[v.data for v in model(x)] for x in xs]
    assert build(model, (xs[0],), Strategy(matmul=False))(xs) == expected


# --- layers: groups of dot nodes sharing their inputs, run as matrix products -------------


def layer_steps(step: Compiled) -> list[int]:
    """How many nodes each LAYER step of a compiled function runs."""
    return [len(s.nodes) for s in step._program.steps if s.kernel is LAYER]


def test_layers_are_found_however_the_neurons_are_written() -> None:
    model = MLP(3, [5, 4, 1], seed=2)
    assert layer_steps(compile(model, example=([0.0] * 3,))) == [5, 4]  # 1 neuron: no group
    # The same neurons written micrograd's way, sum(w * x, b): the products fold into dots.
    weights = [(n.w, n.b) for layer in model.layers for n in layer.neurons]

    def by_hand(x: list[Value]) -> Value:
        hidden = [sum((w * xi for w, xi in zip(ws, x)), b).relu() for ws, b in weights[:5]]
        second = [sum((w * h for w, h in zip(ws, hidden)), b).relu() for ws, b in weights[5:9]]
        ws, b = weights[9]
        return sum((w * h for w, h in zip(ws, second)), b)  # type: ignore[return-value]

    step = compile(by_hand, example=([0.0] * 3,))
    assert layer_steps(step) == [5, 4]
    xs = [[0.5, -1.0, 2.0], [0.0, 0.25, -0.75]]
    assert_close(step(xs), compile(model, example=(xs[0],))(xs), "outputs")


def test_a_layer_needs_shared_inputs_and_fixed_weights() -> None:
    w = [Value(0.5), Value(-1.5)]
    # Two dots of the same input but varying weights on both sides: no layer.
    step = compile(lambda x, y: autograd.dot(x, y) + autograd.dot(y, x), example=([1.0] * 2,) * 2)
    assert layer_steps(step) == []
    # Weights on the same side of each dot (either side): a layer; on different sides, two
    # blocks of different kinds: no layer.
    for weights_first in (True, False):
        def f(x: list[Value], weights_first: bool = weights_first) -> Value:
            pairs = [(w, x), ([w[1], w[0]], x)]
            dots = [autograd.dot(*(p if weights_first else p[::-1])) for p in pairs]
            return dots[0] * dots[1]

        step = compile(f, example=([1.0, 2.0],))
        assert layer_steps(step) == [2]
        assert step([[1.0, 2.0]]) == [(0.5 - 3.0) * (-1.5 + 1.0)]
    step = compile(lambda x: autograd.dot(w, x) * autograd.dot(x, w), example=([1.0, 2.0],))
    assert layer_steps(step) == []


# The matrix product adds each neuron's n products (n - 1 additions) in BLAS's order, the
# exact kernel left to right.  Any order of summation errs by at most (n - 1) u Σ|w_i x_i|
# (u = 2^-53, the unit roundoff; Higham, Accuracy and Stability, eq. 4.4), so the two differ
# by at most twice that, for each neuron and example.
UNIT_ROUNDOFF = 2.0**-53


@settings(max_examples=60)
@given(st.data())
def test_a_layer_as_a_matrix_product_is_the_exact_sum_reassociated(data: st.DataObject) -> None:
    nin, nout = data.draw(st.integers(1, 40), label="nin"), data.draw(st.integers(2, 12))
    layer = nn.Layer(nin, nout, activation="linear", seed=data.draw(st.integers(0, 99)))
    for neuron in layer.neurons:
        neuron.b.data = data.draw(st.floats(-2, 2), label="bias")
    number = st.floats(-1e3, 1e3)
    xs = [[data.draw(number) for _ in range(nin)] for _ in range(data.draw(st.integers(1, 7)))]
    fast = compile(layer, example=(xs[0],))
    assert layer_steps(fast) == [nout]
    exact = build(layer, (xs[0],), Strategy(matmul=False))
    for x, got, expected in zip(xs, fast(xs), exact(xs)):
        for neuron, g, e in zip(layer.neurons, got, expected):
            terms = [w.data * xi for w, xi in zip(neuron.w, x)] + [neuron.b.data]
            bound = 2 * (len(terms) - 1) * UNIT_ROUNDOFF * math.fsum(abs(t) for t in terms)
            assert abs(g - e) <= bound, (g, e, bound)


def test_layer_gradients_match_eager() -> None:
    model = MLP(6, [9, 7, 3], activation="tanh", seed=5)
    params = model.parameters()

    def loss(x: Any, y: Any) -> Value:
        return nn.losses.cross_entropy(model(x), y)

    xs = [[math.sin(i + j) for j in range(6)] for i in range(10)]
    ys = [i % 3 for i in range(10)]
    step = compile(loss, example=(xs[0], ys[0]))
    assert layer_steps(step) == [9, 7, 3]
    out, mean, grads = compiled_mean_gradients(step, [xs, ys], params)
    eager_out, eager_mean, eager_grads = eager_mean_gradients(loss, [xs, ys], params)
    assert_close(out, eager_out, "losses")
    assert_close([mean], [eager_mean], "mean")
    assert_close(grads, eager_grads, "gradients")


# --- kinks: the eager engine's subgradients ----------------------------------------------


@pytest.mark.parametrize(
    ("op", "x", "slope"),
    [
        ("relu", 0.0, 0.0),
        ("relu", 1e-300, 1.0),
        ("relu", -1e-300, 0.0),
        ("abs", 0.0, 0.0),
        ("abs", -2.0, -1.0),
        ("hard_sigmoid", -3.0, 0.0),
        ("hard_sigmoid", 3.0, 0.0),
        ("hard_sigmoid", math.nextafter(-3.0, 0.0), 1 / 6),
        ("hard_sigmoid", math.nextafter(3.0, 0.0), 1 / 6),
        ("hard_sigmoid", math.nextafter(3.0, 4.0), 0.0),
    ],
)
def test_kinks_take_the_eager_subgradients(op: str, x: float, slope: float) -> None:
    w = Value(0.0)  # the kink sits at w + x = x: d/dw is the slope there

    def f(x: Value) -> Value:
        return getattr(w + x, op)()  # type: ignore[no-any-return]

    step = compile(f, example=(1.0,))
    step.backward([x])
    assert w.grad == slope
    w.grad = 0.0
    f(Value(x)).backward()
    assert w.grad == slope  # the eager engine agrees


def test_kinks_in_one_batch() -> None:
    w = Value(0.0)
    step = compile(lambda x: (w + x).relu() + (w + x).abs() + (w + x).hard_sigmoid(), example=(1,))
    xs = [0.0, 3.0, -3.0, 1.0]
    step.backward(xs)
    # At x = 0, 3, -3, 1: relu' = 0, 1, 0, 1; abs' = 0, 1, -1, 1; hard_sigmoid' = 1/6, 0, 0, 1/6.
    assert w.grad == pytest.approx((2 + 1 + 2 / 6) / 4, rel=1e-15)


# --- semantics: live parameters, accumulation, several outputs --------------------------


def test_replay_reads_current_parameter_values() -> None:
    w, b = Value(2.0), Value(-1.0)
    step = compile(lambda x: w * x + b, example=(1.0,))
    assert step([1.0, 2.0]) == [1.0, 3.0]
    w.data, b.data = 0.5, 10.0
    assert step([1.0, 2.0]) == [10.5, 11.0]


def test_gradients_add_into_grad_like_eager_backward() -> None:
    w = Value(3.0)
    step = compile(lambda x: w * x * x, example=(1.0,))
    w.grad = 1.0
    mean = step.backward([1.0, 2.0, 3.0])
    assert mean == pytest.approx(3.0 * 14 / 3)
    assert w.grad == pytest.approx(1.0 + 14 / 3)
    step.backward([1.0, 2.0, 3.0])
    assert w.grad == pytest.approx(1.0 + 2 * 14 / 3)
    w.grad = 0.0
    step.backward([2.0], gradient=0.5)  # seeds d mean with 0.5, as Value.backward(0.5)
    assert w.grad == 2.0


def test_shared_nodes_count_once_per_use() -> None:
    a = Value(1.5)

    def f(x: Value) -> Value:
        b = a + a
        c = b + b
        return c * x + a * a + autograd.dot([a, a, x], [x, x, a])

    step = compile(f, example=(2.0,))
    _, _, grads = compiled_mean_gradients(step, [[2.0, -1.0]], [a])
    assert_close(grads, eager_mean_gradients(f, [[2.0, -1.0]], [a])[2], "a.grad")


def test_parameter_only_terms_are_averaged_once() -> None:
    w = Value(2.0)
    step = compile(lambda x: w * w + 0 * x, example=(0.0,))  # the L2 shape: no x in it
    assert step.backward([1.0, 2.0, 3.0]) == 4.0
    assert w.grad == pytest.approx(4.0, rel=1e-15)


def test_several_outputs_and_leaf_outputs() -> None:
    w = Value(2.0)
    step = compile(lambda x, y: [x * w, y[1], w, x + y[0]], example=(1.0, [0.0, 5.0]))
    got = step([1.0, 3.0], [[1.0, 2.0], [3.0, 4.0]])
    assert got == [[2.0, 2.0, 2.0, 2.0], [6.0, 4.0, 2.0, 6.0]]
    assert step.n_outputs == 4
    with pytest.raises(TypeError, match=r"^compile: backward needs a function with one output"):
        step.backward([1.0], [[1.0, 2.0]])


def test_tracing_records_inside_no_grad() -> None:
    w = Value(3.0)
    with autograd.no_grad():
        step = compile(lambda x: w * x, example=(1.0,))
        step.backward([2.0])
    assert w.grad == 2.0


def test_compiled_model_forward_matches_eager_for_a_deep_mlp() -> None:
    model = MLP(2, [16, 16, 16, 2], seed=0)
    xs = [[0.01 * i, -0.02 * i] for i in range(50)]
    with autograd.no_grad():
        expected = [v.data for x in xs for v in model(x)]
    got = compile(model, example=(xs[0],))(xs)
    assert_close([v for row in got for v in row], expected, "logits")


def test_the_branch_taken_at_trace_time_is_frozen() -> None:
    # Documented limitation: Python control flow on .data runs once, when tracing.
    def f(x: Value) -> Value:
        return x * 2 if x.data > 0 else x * 3

    step = compile(f, example=(1.0,))
    assert step([-1.0]) == [-2.0]  # eager would give -3


# --- errors -----------------------------------------------------------------------------


def line() -> tuple[Compiled, Value]:
    w = Value(1.0)
    return compile(lambda x, y: (w * x[0] + x[1] - y) ** 2, example=([1.0, 2.0], 0.0)), w


@pytest.mark.parametrize(
    ("example", "error", "match"),
    [
        ([1.0], TypeError, "example must be a tuple"),
        ((Value(1.0),), TypeError, r"example\[0\] .* got a Value"),
        ((True,), TypeError, "holds bool True"),
        (("1",), TypeError, "holds str"),
        ((None,), TypeError, "holds NoneType"),
        ((1j,), TypeError, "complex"),
        ((float("nan"),), ValueError, r"example\[0\] must be a finite number, got nan"),
        (([1.0, [2.0]],), ValueError, "different lengths"),
    ],
)
def test_bad_examples(example: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=f"^compile: .*{match}"):
        compile(lambda x: Value(1.0) * x, example=example)


@pytest.mark.parametrize(
    ("result", "match"),
    [(1.0, "got float"), ([], "got list"), ([Value(1.0), 2.0], "output 1 is float")],
)
def test_bad_results(result: Any, match: str) -> None:
    with pytest.raises(TypeError, match=f"^compile: the function must return .*{match}"):
        compile(lambda x: result, example=(1.0,))


@pytest.mark.parametrize(
    ("batches", "error", "match"),
    [
        (([[1.0, 2.0]],), TypeError, "traced with 2 argument"),
        (([[1.0, 2.0]], [0.0], [0.0]), TypeError, "traced with 2 argument"),
        (([1.0, 2.0], [0.0, 0.0]), ValueError, "argument 1: each example must be a list of 2 "),
        (([[1.0, 2.0, 3.0]], [0.0]), ValueError, "argument 1: each example must be a list of 2"),
        (([[1.0, 2.0]], [[0.0]]), ValueError, "argument 2: each example must be a number"),
        (([[1.0, 2.0], [3.0]], [0.0, 0.0]), ValueError, "argument 1 must be .* regular shape"),
        (([[1.0, 2.0]], [0.0, 1.0]), ValueError, "different lengths: argument 1 has 1"),
        (([], []), ValueError, "argument 1 is an empty batch"),
        (([[1.0, 2.0]], 0.0), TypeError, "argument 2 must be a batch"),
        (
            ([[1.0, math.inf]], [0.0]),
            ValueError,
            r"argument 1\[0\]\[1\] must be a finite number, got inf",
        ),
        (([[1.0, 2.0]], [math.nan]), ValueError, r"argument 2\[0\] must be a finite .*, got nan"),
        (([[1.0, 2.0]], [Value(0.0)]), TypeError, "argument 2 must be .* holds Value"),
        (([[1.0, 2.0]], ["0"]), TypeError, "argument 2 must be .* holds str"),
    ],
)
def test_bad_batches(batches: tuple[Any, ...], error: type[Exception], match: str) -> None:
    step, w = line()
    for run in (step, step.backward):
        with pytest.raises(error, match=f"^compile: .*{match}"):
            run(*batches)
    assert w.grad == 0.0


@pytest.mark.parametrize(
    ("fn", "x", "error", "match"),
    [
        (lambda w, x: (w * x).log(), -1.0, ValueError, "log: the operand must be > 0"),
        (lambda w, x: (w * x).log(), 0.0, ValueError, "log: the operand must be > 0"),
        (lambda w, x: (w * x).sqrt(), -4.0, ValueError, "sqrt: the operand must be >= 0"),
        (lambda w, x: (w * x) ** 0.5, -4.0, ValueError, "pow: a negative base"),
        (lambda w, x: (w * x) ** -1.0, 0.0, ZeroDivisionError, "pow: zero base"),
        (lambda w, x: (w * x).exp(), 1000.0, OverflowError, "exp: the result overflows"),
        (lambda w, x: w * x * 1e300, 1e10, OverflowError, "mul: the result overflows"),
    ],
)
def test_forward_errors_have_the_eager_types_and_name_the_example(
    fn: Callable[[Value, Value], Value],
    x: float,
    error: type[Exception],
    match: str,
) -> None:
    w = Value(1.0)
    step = compile(lambda x: fn(w, x), example=(1.0,))
    with pytest.raises(error, match=f"^compile: at example 2 of the batch: {match}"):
        step.backward([1.0, 2.0, x])
    with pytest.raises(error):  # the eager engine raises the same type
        fn(w, Value(x))
    assert w.grad == 0.0


@pytest.mark.parametrize(
    ("fn", "where"),
    [
        (lambda w, x: (w * x - 1.0) ** 2, "at example 0 of the batch: (mul|dot)"),
        (lambda w, x: w * w + x, "in the part computed once per batch .*mul"),
        (lambda w, x: nn.losses.cross_entropy([w * x, x], 1), "at example 0 .*(mul|logsumexp)"),
    ],
)
def test_a_nan_parameter_raises_as_in_eager(
    fn: Callable[[Value, Value], Value], where: str
) -> None:
    # numpy signals no error for NaN * x: the replay must find it, as the eager engine does.
    w = Value(1.0)
    step = compile(lambda x: fn(w, x), example=(1.0,))
    w.data = math.nan
    w.grad = 0.5
    for run in (step, step.backward):
        with pytest.raises(ValueError, match=f"^compile: {where}: the result is NaN .*nan"):
            run([1.5, 2.0])
    assert w.grad == 0.5  # nothing written
    with pytest.raises(ValueError, match="the result is NaN"):
        fn(w, Value(1.5))  # eager


def test_a_nan_that_eager_accepts_is_accepted() -> None:
    # relu(NaN) is 0 in the eager engine (NaN > 0 is false): no error there, none here.
    w = Value(1.0)
    w.data = math.nan  # as an SGD step might leave it
    assert w.relu().data == 0.0
    step = compile(lambda x: w.relu() + x, example=(1.0,))
    assert step([1.0, 2.0]) == [1.0, 2.0]


def test_an_overflow_in_a_layer_names_the_example() -> None:
    layer = nn.Layer(2, 3, activation="linear", seed=0)
    step = compile(layer, example=([1.0, 1.0],))
    assert layer_steps(step) == [3]
    with pytest.raises(OverflowError, match=r"^compile: at example 1 of the batch: dot: the"):
        step([[1.0, 1.0], [1e308, 1e308]])
    with pytest.raises(OverflowError, match="dot: the result overflows"):
        layer([1e308, 1e308])  # eager


def test_errors_in_the_parameter_only_part_say_so() -> None:
    w = Value(1.0)
    step = compile(lambda x: w.log() + x, example=(1.0,))
    w.data = -1.0  # as an SGD step might
    with pytest.raises(ValueError, match=r"^compile: in the part computed once per batch .*log"):
        step([1.0])


@pytest.mark.parametrize(
    ("fn", "operand"),
    [
        (lambda w, x: (w * x).sqrt(), "operand"),  # sqrt'(0) is infinite
        (lambda w, x: (w * x) ** 0.5, "base"),
        (lambda w, x: x ** (w + 1.0), "exponent"),  # d/db a ** b for a < 0
    ],
)
def test_undefined_derivatives_raise_instead_of_nan(
    fn: Callable[[Value, Value], Value], operand: str
) -> None:
    w = Value(1.0)
    step = compile(lambda x: fn(w, x), example=(1.0,))
    x = -2.0 if operand == "exponent" else 0.0
    assert math.isfinite(step([x])[0])  # the forward value is fine
    with pytest.raises(
        ValueError, match=f"^compile: backward, at example 1 .*the {operand} is undefined"
    ):
        step.backward([1.0, x])
    assert w.grad == 0.0  # nothing written
    with pytest.raises(ValueError, match="undefined"):
        fn(w, Value(x)).backward()  # as the eager engine


def test_an_undefined_derivative_nobody_needs_is_fine() -> None:
    # d/dw of w * sqrt(x) at x = 0 is sqrt(0) = 0; sqrt's own slope there is never used.
    w = Value(2.0)
    step = compile(lambda x: w * x.sqrt() + x**2.0, example=(1.0,))
    assert step.backward([0.0, -3.0 + 3.0]) == 0.0
    assert w.grad == 0.0


def test_gradient_must_be_a_finite_number() -> None:
    step, _ = line()
    with pytest.raises(ValueError, match=r"^compile: gradient must be a finite number"):
        step.backward([[1.0, 2.0]], [0.0], gradient=math.inf)


def test_repr_says_what_was_traced() -> None:
    step, _ = line()
    assert repr(step).startswith("Compiled(2 argument(s), 1 output(s), 1 parameter(s)")
