"""The workloads of issue 6, written once as plain user code and run on either engine.

Every function here takes the engine's ``Value`` class (ours or micrograd's) or a model
built on it, so both engines do exactly the same operations in the same order.  Nothing is
timed here: ``suite.py`` decides what is timed and compares the results.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from typing import Any

WEIGHT_SEED = 1337
"""``random.seed`` before building micrograd's MLP (its demo notebook's seed)."""

DATA_SEED = 0
"""Seed of the two-moons points (``demos.datasets.two_moons``)."""

WIDE_SEED = 0
"""Seed of the W3 inputs a_i, b_i."""

SIZES = (2, 16, 16, 1)
"""W1's MLP: 2 inputs, two ReLU layers of 16, one linear output."""

REG = 1e-4
"""W1's L2 coefficient."""

# --- W1: training -------------------------------------------------------------------------


def moons(n: int) -> tuple[list[list[float]], list[int]]:
    """``n`` two-moons points and their labels mapped to -1/+1 (micrograd's hinge convention)."""
    from demos.datasets import two_moons

    xs, classes = two_moons(n, noise=0.1, seed=DATA_SEED)
    return xs, [2 * c - 1 for c in classes]


def micrograd_mlp() -> Any:
    """micrograd's ``MLP(2, [16, 16, 1])``, its weights drawn after ``random.seed(WEIGHT_SEED)``."""
    import micrograd.nn

    random.seed(WEIGHT_SEED)  # micrograd draws from the global generator
    return micrograd.nn.MLP(SIZES[0], list(SIZES[1:]))


def initial_weights() -> list[float]:
    """The starting weights of W1, from micrograd's MLP: layer by layer, neuron by neuron,
    w1..wn then b."""
    return [float(p.data) for p in micrograd_mlp().parameters()]


def our_mlp(weights: Sequence[float]) -> Any:
    """Our ``nn.MLP(2, [16, 16, 1], activation="relu")`` holding ``weights`` (micrograd's order)."""
    import nn

    model = nn.MLP(SIZES[0], list(SIZES[1:]), activation="relu")
    params = model.parameters()
    if len(params) != len(weights):
        raise ValueError(
            f"our MLP has {len(params)} parameters, micrograd's {len(weights)}: not the same model"
        )
    for p, w in zip(params, weights):
        p.data = float(w)
    return model


class ElementwiseMLP:
    """Our MLP's parameters, each neuron written as micrograd writes it: ``sum(w*x, b)``.

    Shows what our engine does with micrograd-style user code, without the n-ary
    ``autograd.dot`` that ``nn.Neuron`` uses.
    """

    def __init__(self, model: Any) -> None:
        self.layers = [[(n.w, n.b) for n in layer.neurons] for layer in model.layers]
        self.params = model.parameters()

    def __call__(self, x: Sequence[Any]) -> Any:
        """The output for one example (one Value, since the last layer has one neuron)."""
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act if i == last else act.relu())
            x = out
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Any]:
        """Every parameter, in micrograd's order."""
        return list(self.params)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient."""
        for p in self.params:
            p.grad = 0.0


def train(model: Any, value_cls: type, xs: list[list[float]], ys: list[int], steps: int) -> float:
    """micrograd's demo loop: full-batch hinge loss + L2, SGD; returns the last step's loss."""
    total = None
    for k in range(steps):
        inputs = [[value_cls(v) for v in row] for row in xs]
        scores = [model(x) for x in inputs]
        losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = REG * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    if total is None:
        raise ValueError("train: steps must be at least 1")
    return float(total.data)


def compile_step(model: Any, compile_fn: Callable[..., Any], xs: list[list[float]],
                 ys: list[int]) -> Any:
    """W1's step traced by ``autograd.compile``: one example's hinge loss + L2 of all weights."""
    params = model.parameters()

    def per_example_loss(score: Any, y: Any) -> Any:
        # The batch mean of this is exactly W1's loss: mean(hinge) + REG * sum(p * p).
        return (1 + -y * score).relu() + REG * sum(p * p for p in params)

    return compile_fn(lambda x, y: per_example_loss(model(x), y), example=(xs[0], ys[0]))


def train_compiled(model: Any, step: Any, xs: list[list[float]], ys: list[int],
                   steps: int) -> float:
    """The W1 loop with a compiled step: zero grads, mean loss and gradient, SGD."""
    params = model.parameters()
    loss = None
    for k in range(steps):
        for p in params:
            p.grad = 0.0
        loss = step.backward(xs, ys)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= learning_rate * p.grad
    if loss is None:
        raise ValueError("train_compiled: steps must be at least 1")
    return float(loss)


def torch_trainer(weights: Sequence[float], xs: list[list[float]],
                  ys: list[int]) -> Callable[[int], float]:
    """W1 as PyTorch code, batched, float64: returns ``run(steps)`` -> last loss."""
    import torch

    dtype = torch.float64
    flat = list(weights)
    params: list[Any] = []
    layers = []
    offset = 0
    for nin, nout in itertools.pairwise(SIZES):
        rows, biases = [], []
        for _ in range(nout):  # micrograd's order: each neuron's weights, then its bias
            rows.append(flat[offset : offset + nin])
            biases.append(flat[offset + nin])
            offset += nin + 1
        w = torch.tensor(rows, dtype=dtype, requires_grad=True)
        b = torch.tensor(biases, dtype=dtype, requires_grad=True)
        layers.append((w, b))
        params += [w, b]
    if offset != len(flat):
        raise ValueError(f"torch_trainer: {len(flat)} weights for {offset} parameters")
    x_batch = torch.tensor(xs, dtype=dtype)
    y_batch = torch.tensor(ys, dtype=dtype)
    last = len(layers) - 1

    def run(steps: int) -> float:
        total = None
        for k in range(steps):
            h = x_batch
            for i, (w, b) in enumerate(layers):
                h = h @ w.T + b
                if i != last:
                    h = torch.relu(h)
            scores = h[:, 0]
            losses = torch.relu(1 + -y_batch * scores)
            data_loss = losses.sum() * (1.0 / len(ys))
            reg_loss = REG * sum((p * p).sum() for p in params)
            total = data_loss + reg_loss
            for p in params:
                p.grad = None
            total.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            with torch.no_grad():
                for p in params:
                    p -= learning_rate * p.grad
        if total is None:
            raise ValueError("torch_trainer: steps must be at least 1")
        return float(total.item())

    return run


# --- W5 and W6: dense networks with cross-entropy, at real scale ----------------------------

W5_SIZES = (784, 128, 10)
"""W5's MLP: 784 inputs (a 28x28 image), a ReLU layer of 128, 10 logits."""

W6_SIZES = (64, 32, 10)
"""W6's MLP, the digits network: 64 inputs (an 8x8 image), a ReLU layer of 32, 10 logits."""

DENSE_LR = 0.05
"""The SGD learning rate of W5 and W6."""

IMAGE_SEED = 0
"""Seed of W5's synthetic images and labels, and of both networks' weights."""


def synthetic_images(n: int, pixels: int, classes: int) -> tuple[Any, Any]:
    """``n`` random images (pixels uniform in [0, 1)) and class labels: W5's data, shaped as
    MNIST but drawn from ``IMAGE_SEED`` (nothing to download)."""
    import numpy as np

    rng = np.random.default_rng(IMAGE_SEED)
    return rng.random((n, pixels)), rng.integers(0, classes, n).astype(np.float64)


def digits() -> tuple[Any, Any]:
    """scikit-learn's 1,797 handwritten digits (bundled with it): pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data / 16.0, data.target.astype("float64")


def dense_mlp(sizes: Sequence[int]) -> Any:
    """Our ``nn.MLP`` with ReLU hidden layers and linear logits, seeded."""
    import nn

    return nn.MLP(sizes[0], list(sizes[1:]), activation="relu", seed=IMAGE_SEED)


def dense_batches(n: int, batch_size: int, updates: int) -> list[Any]:
    """The index arrays of the first ``updates`` mini-batches, epoch after epoch
    (``nn.batches``: shuffled from seed 0, as ``nn.fit`` draws them)."""
    import numpy as np

    import nn

    out: list[Any] = []
    epoch = 0
    while len(out) < updates:
        out += [np.array(index) for index in nn.batches(n, batch_size, seed=0, epoch=epoch)]
        epoch += 1
    return out[:updates]


def cross_entropy_step(model: Any, xs: Any, ys: Any) -> Any:
    """The per-example cross-entropy of ``model`` traced by ``autograd.compile``, the class
    index a traced input: one trace for every class."""
    import autograd
    from nn.losses import cross_entropy

    return autograd.compile(lambda x, y: cross_entropy(model(x), y),
                            example=(xs[0].tolist(), float(ys[0])))


def dense_optimizer(parameters: list[Any]) -> Any:
    """W5's and W6's optimizer: plain SGD (made before the timed updates, as in ``nn.fit``)."""
    import nn

    return nn.SGD(parameters, DENSE_LR)


def train_dense_compiled(step: Any, optimizer: Any, data: Any, xs: Any, ys: Any,
                         batches: list[Any]) -> list[float]:
    """Compiled updates as ``nn.fit(compiled=True)`` runs them: the parameters stay in the
    array ``data`` (changed in place); the loss of each update is returned."""
    losses = []
    for index in batches:
        loss, grad = step.mean_and_gradient(data, xs[index], ys[index])
        optimizer.step_arrays(data, grad)
        losses.append(loss)
    return losses


def train_dense_eager(model: Any, optimizer: Any, xs: list[list[float]], ys: list[int],
                      batches: list[Any]) -> list[float]:
    """Eager updates: each batch's graph built, backpropagated and stepped by ``nn.SGD``."""
    from nn.losses import cross_entropy

    losses = []
    for index in batches:
        optimizer.zero_grad()
        loss = cross_entropy([model(xs[i]) for i in index], [ys[i] for i in index])
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses


def fit_dense_compiled(model: Any, xs: list[list[float]], ys: list[int], batch_size: int,
                       epochs: int) -> list[float]:
    """W6 as a user trains it: ``nn.fit(compiled=True)`` for ``epochs`` epochs."""
    import nn
    from nn.losses import cross_entropy

    history = nn.fit(model, xs, ys, loss=cross_entropy, lr=DENSE_LR, batch_size=batch_size,
                     epochs=epochs, compiled=True)
    return history.losses


def torch_dense_trainer(model: Any, xs: Any, ys: Any,
                        batches: list[Any]) -> Callable[[], list[float]]:
    """The same network and updates as batched float64 PyTorch code: ``run()`` -> the loss of
    each update.  The weights are ``model``'s (our ``nn.MLP``)."""
    import torch

    dtype = torch.float64
    layers = []
    for layer in model.layers:
        w = torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=dtype,
                         requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=dtype, requires_grad=True)
        layers.append((w, b))
    params = [p for layer in layers for p in layer]
    x_all = torch.tensor(xs, dtype=dtype)
    y_all = torch.tensor(ys, dtype=torch.int64)
    indices = [torch.as_tensor(index) for index in batches]
    last = len(layers) - 1

    def run() -> list[float]:
        losses = []
        for index in indices:
            h = x_all[index]
            for i, (w, b) in enumerate(layers):
                h = h @ w.T + b
                if i != last:
                    h = torch.relu(h)
            loss = torch.nn.functional.cross_entropy(h, y_all[index])
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= DENSE_LR * p.grad
            losses.append(loss.item())
        return losses

    return run


# --- W2: deep chain -----------------------------------------------------------------------


def deep_chain(value_cls: type, steps: int) -> tuple[Any, Any]:
    """``x = x * 1.0001 + 0.0001`` repeated ``steps`` times; returns (result, first x)."""
    x0 = value_cls(1.0)
    x = x0
    for _ in range(steps):
        x = x * 1.0001 + 0.0001
    return x, x0


def deep_chain_backward(value_cls: type, steps: int) -> tuple[Any, Any]:
    """Build W2's chain and backpropagate through it; returns (result, first x).

    The graph is returned, not dropped, so that freeing it is left to the caller (as in W3,
    teardown is not part of the timed work).
    """
    root, x0 = deep_chain(value_cls, steps)
    root.backward()
    return root, x0


def deep_chain_values(steps: int) -> int:
    """Distinct Values in our W2 chain: per step a product, a sum and their two constant
    leaves (one per use: constants are not shared), plus x0."""
    return 4 * steps + 1


# --- W3: wide sum -------------------------------------------------------------------------


def wide_inputs(n: int) -> tuple[list[float], list[float]]:
    """The ``n`` pairs (a_i, b_i) of W3, uniform in [-1, 1] from a fixed seed."""
    rng = random.Random(WIDE_SEED)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def wide_sum(value_cls: type, a: list[float], b: list[float], how: str = "builtin") -> Any:
    """W3: leaves for a and b, sum of a_i * b_i, backward; returns (root, leaves_a, leaves_b).

    ``how`` is "builtin" (Python's ``sum``, a chain of additions, as any user writes it),
    "sum" (``autograd.sum`` of the products: one n-ary node) or "dot" (``autograd.dot``).
    """
    xs = [value_cls(x) for x in a]
    ys = [value_cls(y) for y in b]
    if how == "builtin":
        root = sum(x * y for x, y in zip(xs, ys))
    elif how == "sum":
        import autograd

        root = autograd.sum([x * y for x, y in zip(xs, ys)])
    elif how == "dot":
        import autograd

        root = autograd.dot(xs, ys)
    else:
        raise ValueError(f"wide_sum: how must be builtin, sum or dot, got {how!r}")
    root.backward()
    return root, xs, ys


def wide_nodes(n: int) -> int:
    """Nodes of W3's graph as counted for memory: 2n leaves + n products + n additions."""
    return 4 * n


def sample_indices(n: int, count: int = 5) -> list[int]:
    """A few spread-out indices of an ``n``-long list, to compare gradients at."""
    return sorted({0, n - 1, *(i * n // count for i in range(count))})


# --- W4: drawing --------------------------------------------------------------------------


def drawing_graph(value_cls: type, pairs: int) -> Any:
    """W4's graph: W3's wide sum of ``pairs`` products (4 * pairs + 1 Values), after backward."""
    a, b = wide_inputs(pairs)
    root, _, _ = wide_sum(value_cls, a, b)
    return root


def our_dot_source(root: Any) -> str:
    """Our ``autograd.draw``'s DOT source for ``root`` (no size guard)."""
    from autograd import draw

    return str(draw(root, max_nodes=None).source)


def _micrograd_trace(root: Any) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """Every Value behind ``root`` and every (operand, result) edge, micrograd's ``_prev`` walk.

    The notebook recurses; an explicit stack does the same walk without the recursion limit.
    """
    nodes: list[Any] = []
    edges: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        nodes.append(v)
        for child in v._prev:
            edges.append((child, v))
            stack.append(child)
    return nodes, edges


def micrograd_style_dot_source(root: Any) -> str:
    """The baseline of W4: micrograd's notebook way of drawing, on micrograd Values.

    Trace the graph, then one ``graphviz`` node per Value (a ``{ data | grad }`` record), one
    per operation, and one edge per operand, named by ``id()``.
    """
    import graphviz

    nodes, edges = _micrograd_trace(root)
    graph = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for v in nodes:
        name = str(id(v))
        graph.node(name=name, label=f"{{ data {v.data:.4f} | grad {v.grad:.4f} }}",
                   shape="record")
        if v._op:
            graph.node(name=name + v._op, label=v._op)
            graph.edge(name + v._op, name)
    for child, parent in edges:
        graph.edge(str(id(child)), str(id(parent)) + parent._op)
    return str(graph.source)


def micrograd_node_count(root: Any) -> int:
    """How many Values are behind a micrograd ``root``."""
    return len(_micrograd_trace(root)[0])

