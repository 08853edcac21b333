"""Deep learning: a multi-layer network learns to separate two classes (lecture idea 10).

Each sigmoid or ReLU unit of the earlier demos is a *neuron*; neurons side by side form a
*layer*; layers stacked between input and output are *hidden* layers, and many of them make
the network *deep*.  Here an MLP with three hidden layers of 16 ReLU neurons (or sigmoids,
with --activation sigmoid) reads a 2-D point and outputs two numbers, one logit per class.
Softmax turns the logits into probabilities, and the loss is their *cross-entropy* with the
true class (lecture idea 2: y and ŷ are both probability distributions).

Training is mini-batch gradient descent (nn.fit): batches of 16 points, one update per batch,
every gradient computed by backpropagation through the whole network.  A third of the points
are held out: the network never trains on them, so its accuracy there shows whether it
learned the shape of the classes or only memorised the training points.

The network is traced once by autograd.compile and each batch replays that graph for all its
points at once (nn.fit(..., compiled=True)): the same updates as the eager engine, up to
float rounding, about ten times faster.  --eager trains with the eager engine instead.

Sigmoid networks train more slowly than ReLU ones (a sigmoid's slope is at most 1/4, so the
gradient shrinks at every layer it passes back through); with --activation sigmoid they get
a larger learning rate and more epochs, and on circles or spirals they may still stall.

At the end the trained model is saved to JSON, loaded back with nn.load, and the two are
checked to give identical outputs.

With --html the demo also writes interactive.html, a page to open in a browser: a slider over
the recorded updates (--snapshots) shows the loss, the decision boundary and, for the example
you follow, its computation graph with every node's data and grad; a button steps through
one backward pass node by node.  The graph starts at the last hidden layer (its inputs z are
the example's pre-activations there): the whole network's graph of one example has hundreds
of Values, too many to read.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import autograd
from autograd import Value
from autograd.checks import integer, option, parse_integer, parse_real, real

from . import page
from ._common import (
    CLASS_COLOURS,
    add_network_arguments,
    grid_axes,
    new_figure,
    output_dir,
    plot_extent,
    save_figure,
    save_graph,
)
from .datasets import DATASETS, split

__all__ = [
    "REQUIRES",
    "DeepResult",
    "NeuronPicture",
    "DEFAULTS",
    "run",
    "report",
    "add_arguments",
    "predict",
    "accuracy",
]

REQUIRES = ("matplotlib",)

# Per data set: points, noise, and epochs that reach 100% training accuracy with the
# default network (measured; the spirals need more epochs than the moons).
DEFAULTS: dict[str, dict[str, Any]] = {
    "moons": {"n": 300, "noise": 0.1, "epochs": 100},
    "circles": {"n": 300, "noise": 0.08, "epochs": 60},
    "spirals": {"n": 300, "noise": 0.05, "epochs": 150},
}
# Sigmoid networks learn more slowly: a sigmoid's slope is at most 1/4, so the gradient
# shrinks at every layer it flows back through.  A larger step and half as many more
# epochs compensate (measured on all three data sets).
LEARNING_RATES = {"relu": 0.1, "sigmoid": 5.0}
EPOCH_FACTOR = {"relu": 1.0, "sigmoid": 1.5}
HIDDEN = (16, 16, 16)
BATCH_SIZE = 16
FOLLOWED = 3  # examples the interactive page follows
PAGE_GRID = 32  # the page's decision boundary: P(class 1) on a 32 x 32 grid per snapshot


@dataclass
class NeuronPicture:
    """The drawn neuron: which one, on which training point, and whether it is active there."""

    path: Path
    neuron: int  # counted from 1, in the first hidden layer
    point: list[float]
    pre_activation: float  # z = w·x + b, what the activation function receives
    active: bool  # its gradients are not all 0 (a ReLU's z > 0)


@dataclass
class DeepResult:
    """What the deep demo found."""

    dataset: str
    activation: str
    architecture: str
    parameters: int
    train_size: int
    held_out_size: int
    epochs: int
    updates: int
    final_loss: float  # mean training loss of the last epoch
    train_accuracy: float
    held_out_accuracy: float
    reload_agrees: bool  # the saved-then-loaded model gives identical outputs
    reload_max_difference: float
    seconds: float  # training time (nn.fit, with the accuracy checks along the way)
    engine: str  # "compiled" (autograd.compile) or "eager"
    neuron: NeuronPicture  # the neuron whose graph is drawn
    accuracy_curve: list[tuple[int, float, float]]  # (epoch, train, held-out)
    files: list[Path] = field(default_factory=list)
    page: page.PageResult | None = None  # the interactive page, with --html

    @property
    def graph_file(self) -> Path:
        """The neuron's graph: neuron.svg, or neuron.dot without Graphviz."""
        return self.neuron.path


def predict(model: Any, x: Sequence[float]) -> int:
    """The class with the larger logit."""
    logits = model(x)
    return max(range(len(logits)), key=lambda k: logits[k].data)


def accuracy(model: Any, xs: Sequence[Sequence[float]], ys: Sequence[int]) -> float:
    """The fraction of points classified correctly (no graph is recorded)."""
    with autograd.no_grad():
        right = sum(predict(model, x) == y for x, y in zip(xs, ys))
    return right / len(xs)


def _probability_of_class_1(model: Any, x: Sequence[float]) -> float:
    """P(class 1): softmax over two logits is the sigmoid of their difference."""
    with autograd.no_grad():
        return _class_1_probability(model(x)).data


def _class_1_probability(logits: list[Value]) -> Value:
    # the engine's sigmoid is stable for any finite difference (no overflow at ±800)
    return (logits[1] - logits[0]).sigmoid()


class _Evaluator:
    """Accuracy, P(class 1) and the loss for many points: eager, or compiled replays."""

    def __init__(self, model: Any, example: Sequence[float], eager: bool) -> None:
        self.model = model
        self.losses: dict[int, Any] = {}  # compiled cross-entropy per class, made when needed
        self.logits = None if eager else autograd.compile(model, example=(list(example),))
        self.probability = (
            None
            if eager
            else autograd.compile(
                lambda x: _class_1_probability(model(x)), example=(list(example),)
            )
        )

    def accuracy(self, xs: Sequence[Sequence[float]], ys: Sequence[int]) -> float:
        """The fraction of points classified correctly."""
        if self.logits is None:
            return accuracy(self.model, xs, ys)
        rows = self.logits(xs)
        right = sum(max(range(len(row)), key=row.__getitem__) == y for row, y in zip(rows, ys))
        return right / len(xs)

    def mean_loss(self, xs: Sequence[Sequence[float]], ys: Sequence[int]) -> float:
        """The mean cross-entropy over the points: the training loss, for the page."""
        from nn.losses import cross_entropy

        if self.logits is None:
            with autograd.no_grad():
                return cross_entropy([self.model(x) for x in xs], list(ys)).data
        total = 0.0
        for label in sorted(set(ys)):
            if label not in self.losses:  # cross_entropy's target is traced as a constant
                self.losses[label] = autograd.compile(
                    lambda x, label=label: cross_entropy(self.model(x), label),
                    example=(list(xs[0]),),
                )
            total += sum(self.losses[label]([x for x, y in zip(xs, ys) if y == label]))
        return total / len(xs)

    def probabilities(self, points: list[list[float]]) -> list[float]:
        """P(class 1) at each point."""
        if self.probability is None:
            return [_probability_of_class_1(self.model, p) for p in points]
        result: list[float] = self.probability(points)
        return result


def run(
    out_dir: str | Path,
    seed: int = 0,
    quick: bool = False,
    *,
    dataset: str = "moons",
    activation: str = "relu",
    hidden: Sequence[int] | None = None,
    epochs: int | None = None,
    lr: float | None = None,
    n: int | None = None,
    noise: float | None = None,
    batch_size: int = BATCH_SIZE,
    grid: int | None = None,
    progress: bool = False,
    eager: bool = False,
    html: bool = False,
    snapshots: int = page.DEFAULT_SNAPSHOTS,
    max_html_mb: float = page.DEFAULT_MAX_MB,
) -> DeepResult:
    """Train an MLP classifier, plot its decision boundary and loss, save and reload it.

    Training and evaluation replay the network traced by ``autograd.compile``, unless
    ``eager`` is True.  ``html`` also writes the interactive page, recording ``snapshots``
    updates in at most ``max_html_mb`` megabytes.
    """
    import nn
    from nn.losses import cross_entropy

    if dataset not in DATASETS:
        raise ValueError(f"deep: unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if activation not in LEARNING_RATES:
        raise ValueError(
            f"deep: activation must be one of {', '.join(LEARNING_RATES)}, got {activation!r}"
        )
    defaults = DEFAULTS[dataset]
    # None means "the default"; quick is small enough for the test suite, still clearly learning.
    if n is None:
        n = 120 if quick else defaults["n"]
    if hidden is None:
        hidden = (8, 8) if quick else HIDDEN
    if epochs is None:
        epochs = 40 if quick else round(defaults["epochs"] * EPOCH_FACTOR[activation])
    if grid is None:
        grid = 30 if quick else 90
    if noise is None:
        noise = defaults["noise"]
    if lr is None:
        lr = LEARNING_RATES[activation]
    hidden = _check_hidden(hidden)
    n = integer(n, "deep", "n", 2)
    epochs = integer(epochs, "deep", "epochs", 1)
    batch_size = integer(batch_size, "deep", "batch_size", 1)
    grid = integer(grid, "deep", "grid", 2)  # the grid has a first and a last point
    lr = real(lr, "deep", "lr", positive=True)
    noise = real(noise, "deep", "noise", minimum=0.0)
    if not isinstance(eager, bool):
        raise TypeError(f"deep: eager must be True or False, got {type(eager).__name__}")
    if not isinstance(html, bool):
        raise TypeError(f"deep: html must be True or False, got {type(html).__name__}")
    snapshots = integer(snapshots, "deep", "snapshots", 2)
    max_html_mb = real(max_html_mb, "deep", "max_html_mb", positive=True)
    out = output_dir(out_dir)

    xs, ys = DATASETS[dataset](n, noise=noise, seed=seed)
    train_x, train_y, test_x, test_y = split(xs, ys, held_out=0.3, seed=seed)
    model: Any = nn.MLP(2, [*hidden, 2], activation=activation, seed=seed)

    start = time.perf_counter()
    evaluate = _Evaluator(model, train_x[0], eager)
    # Accuracy on both sets about 20 times during training, at the end of an epoch.
    per_epoch = nn.num_batches(len(train_x), batch_size)
    every = max(1, epochs // 20)
    curve = [(0, evaluate.accuracy(train_x, train_y), evaluate.accuracy(test_x, test_y))]
    # The page's snapshots: the parameters at a few updates (only floats are copied).
    recorder = page.Recorder(
        model.parameters(), page.chosen_updates(epochs * per_epoch, snapshots) if html else []
    )

    def measure(history: Any) -> None:
        recorder(history)
        if history.updates % per_epoch == 0:
            epoch = history.updates // per_epoch
            if epoch % every == 0 or epoch == epochs:
                curve.append(
                    (epoch, evaluate.accuracy(train_x, train_y), evaluate.accuracy(test_x, test_y))
                )

    history = nn.fit(
        model,
        train_x,
        train_y,
        loss=cross_entropy,
        lr=lr,
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
        progress=progress,
        callback=measure,
        compiled=not eager,
    )
    seconds = time.perf_counter() - start

    # Save, load back, and compare outputs on every point.
    model_path = out / "model.json"
    model.save(model_path)
    loaded: Any = nn.load(model_path)
    with autograd.no_grad():
        difference = max(abs(a.data - b.data) for x in xs for a, b in zip(model(x), loaded(x)))

    architecture = f"MLP(2, {[*hidden, 2]}, activation={activation!r})"
    _, train_accuracy, held_out_accuracy = curve[-1]
    boundary = plot_decision_boundary(
        out / "decision_boundary.png",
        model,
        (train_x, train_y),
        (test_x, test_y),
        title=f"{dataset}: {architecture}",
        subtitle=(
            f"train accuracy {train_accuracy:.0%}, held-out accuracy {held_out_accuracy:.0%}"
        ),
        resolution=grid,
        probabilities=evaluate.probabilities,
    )
    training = _plot_training(out / "training.png", history, curve, per_epoch)
    neuron = _render_neuron(out, model, train_x)
    files = [model_path, boundary, training, neuron.path]
    interactive = None
    if html:
        interactive = _write_page(
            out / page.FILE_NAME,
            model,
            recorder,
            history,
            (train_x, train_y),
            (test_x, test_y),
            title=f"{dataset}: {architecture}",
            eager=eager,
            max_bytes=round(max_html_mb * page.BYTES_PER_MB),
        )
        files.append(interactive.path)
    return DeepResult(
        dataset=dataset,
        activation=activation,
        architecture=architecture,
        parameters=len(model.parameters()),
        train_size=len(train_x),
        held_out_size=len(test_x),
        epochs=history.epochs,
        updates=history.updates,
        final_loss=history.epoch_losses[-1],
        train_accuracy=train_accuracy,
        held_out_accuracy=held_out_accuracy,
        reload_agrees=difference == 0.0,
        reload_max_difference=difference,
        seconds=seconds,
        engine="eager" if eager else "compiled",
        neuron=neuron,
        accuracy_curve=curve,
        files=files,
        page=interactive,
    )


def _check_hidden(hidden: object) -> tuple[int, ...]:
    """The hidden layer widths as a tuple of ints >= 1 (a TypeError or ValueError if not)."""
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(
            f"deep: hidden must be a sequence of layer widths, got {type(hidden).__name__} "
            f"{hidden!r}"
        )
    return tuple(integer(width, "deep", f"hidden[{i}]", 1) for i, width in enumerate(hidden))


def plot_decision_boundary(
    path: Path,
    model: Any,
    train: tuple[list[list[float]], list[int]],
    held_out: tuple[list[list[float]], list[int]],
    *,
    title: str,
    subtitle: str = "",
    resolution: int = 90,
    width: float = 5.6,
    dpi: int = 100,
    probabilities: Callable[[list[list[float]]], list[float]] | None = None,
) -> Path:
    """Shade the plane by the model's P(class 1), draw the 50% line and the points.

    The figure is ``width`` inches wide and as tall as the data's aspect ratio needs.
    ``probabilities(points)`` gives P(class 1) for many points at once (e.g. a compiled
    replay); by default each point is evaluated by the eager engine.
    """
    x_lo, x_hi, y_lo, y_hi = plot_extent(train[0] + held_out[0])
    gx, gy = grid_axes((x_lo, x_hi, y_lo, y_hi), resolution)
    if probabilities is None:
        prob = [[_probability_of_class_1(model, [x, y]) for x in gx] for y in gy]
    else:
        flat = probabilities([[x, y] for y in gy for x in gx])
        prob = [flat[j * resolution : (j + 1) * resolution] for j in range(resolution)]

    from matplotlib.colors import ListedColormap

    # height: the plot at equal aspect, plus room for the title and the tick labels
    height = (width - 0.6) * (y_hi - y_lo) / (x_hi - x_lo) + 0.9
    fig = new_figure((width, height))
    ax = fig.subplots()
    # Few discrete levels keep the PNG small (it goes into the README).
    levels = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
    shades = ListedColormap(["#9ec5e8", "#c6dcf0", "#e6eff8", "#f8e3e3", "#f0c0c0", "#e59a9a"])
    ax.contourf(gx, gy, prob, levels=levels, cmap=shades)
    ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1.2)
    for (xs, ys), marker, name in ((train, "o", "train"), (held_out, "^", "held out")):
        for label in (0, 1):
            chosen = [p for p, y in zip(xs, ys) if y == label]
            if not chosen:
                continue
            ax.scatter(
                [p[0] for p in chosen],
                [p[1] for p in chosen],
                marker=marker,
                s=22 if marker == "o" else 30,
                c=CLASS_COLOURS[label],
                edgecolors="white" if marker == "o" else "k",
                linewidths=0.6,
                label=f"class {label}, {name}",
            )
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    ax.set_title(f"{title}\n{subtitle}" if subtitle else title, fontsize=9)
    ax.legend(fontsize=7, loc="lower left", framealpha=0.85)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    return save_figure(fig, path, dpi=dpi)


def _plot_training(
    path: Path, history: Any, curve: list[tuple[int, float, float]], per_epoch: int
) -> Path:
    fig = new_figure((11, 4))
    loss_ax, acc_ax = fig.subplots(1, 2)
    epochs_axis = [(i + 1) / per_epoch for i in range(len(history.losses))]
    loss_ax.plot(epochs_axis, history.losses, lw=0.6, alpha=0.5, label="loss of each batch")
    loss_ax.plot(
        range(1, len(history.epoch_losses) + 1),
        history.epoch_losses,
        color="C3",
        lw=1.8,
        label="mean loss of each epoch",
    )
    loss_ax.set_yscale("log")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("cross-entropy (log scale)")
    loss_ax.set_title(f"Training loss: {history.updates} updates", fontsize=10)
    loss_ax.legend(fontsize=8)
    loss_ax.grid(alpha=0.3)
    epochs = [e for e, _, _ in curve]
    acc_ax.plot(epochs, [a for _, a, _ in curve], "o-", ms=3, label="train")
    acc_ax.plot(epochs, [a for _, _, a in curve], "^-", ms=3, label="held out")
    acc_ax.set_ylim(0.4, 1.02)
    acc_ax.set_xlabel("epoch")
    acc_ax.set_ylabel("accuracy")
    acc_ax.set_title("Accuracy: held-out points are never trained on", fontsize=10)
    acc_ax.legend(fontsize=8, loc="lower right")
    acc_ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, path)


def _render_neuron(out: Path, model: Any, points: Sequence[Sequence[float]]) -> NeuronPicture:
    """Draw a first-layer neuron on a training point, after backward(), as SVG.

    A ReLU neuron whose input z = w·x + b is negative outputs 0 and passes back gradient 0,
    so its picture would show nothing but zeros.  The first neuron that is active on the
    first point where one is (a nonzero gradient for some parameter: that test suits every
    activation) is drawn.  If no first-layer neuron is active on any point, the layer is dead
    and neuron 1 on the first point is drawn; the report says so.  Without Graphviz's ``dot``
    program the DOT source is written instead (neuron.dot).
    """
    neurons = model.layers[0].neurons
    chosen = (0, points[0])
    for point, (k, neuron) in itertools.product(points, enumerate(neurons)):
        if any(autograd.grad(neuron(list(point)), neuron.parameters())):
            chosen = (k, point)
            break
    k, point = chosen
    neuron = neurons[k]
    inputs = [Value(v, label=f"x{i + 1}") for i, v in enumerate(point)]
    output = neuron(inputs)
    output.label = f"neuron {k + 1} of layer 1"
    neuron.zero_grad()  # training left its last batch's gradients there
    output.backward()
    with autograd.no_grad():
        z = (autograd.dot(neuron.w, list(point)) + neuron.b).data
    return NeuronPicture(
        path=save_graph(output, out / "neuron.svg", groups=neuron),
        neuron=k + 1,
        point=list(point),
        pre_activation=z,
        active=any(p.grad != 0.0 for p in neuron.parameters()),
    )


def _example_graph(model: Any, x: Sequence[float], y: int) -> Value:
    """The example's loss from the last hidden layer's pre-activations z on: the page's graph.

    The whole graph of one example through MLP(2, [16, 16, 16, 2]) has about 800 Values (a
    picture 26,000 points tall); from z on it has about 80.  Each of them is used nowhere
    else in the whole graph, so each grad here is the one backward() gives there.
    """
    from nn.losses import cross_entropy

    *lower, last_hidden, output = model.layers
    with autograd.no_grad():
        inputs: list[Any] = list(x)
        for layer in lower:
            inputs = layer(inputs)
        zs = [(autograd.dot(n.w, inputs) + n.b).data for n in last_hidden.neurons]
    hidden = []
    for i, z in enumerate(zs):
        h = getattr(Value(z, label=f"z{i + 1}"), last_hidden.activation)()
        h.label = f"h{i + 1}"
        hidden.append(h)
    logits = output(hidden)
    for k, logit in enumerate(logits):
        logit.label = f"logit {k}"
    loss = cross_entropy(logits, y)
    loss.label = "loss"
    return loss


def _followed_examples(probabilities: list[float], ys: Sequence[int]) -> list[tuple[int, str]]:
    """The training points the page follows, with why: the first of each class, and the one
    the trained network is least sure of (``probabilities``: its P(class 1) at each point)."""
    chosen = [(ys.index(label), f"the first of class {label}") for label in sorted(set(ys))]
    own = [p if y == 1 else 1.0 - p for p, y in zip(probabilities, ys)]
    hardest = min(range(len(ys)), key=own.__getitem__)
    if hardest not in [i for i, _ in chosen]:
        chosen.append((hardest, "the one the trained network is least sure of"))
    return chosen[:FOLLOWED]


def _write_page(
    path: Path,
    model: Any,
    recorder: page.Recorder,
    history: Any,
    train: tuple[list[list[float]], list[int]],
    held_out: tuple[list[list[float]], list[int]],
    *,
    title: str,
    eager: bool,
    max_bytes: int,
) -> page.PageResult:
    """Follow a few training points through the recorded updates, on a copy of the model."""
    (train_x, train_y), (test_x, test_y) = train, held_out
    follower = copy.deepcopy(model)  # loaded with each snapshot in turn; model stays trained
    evaluate = _Evaluator(follower, train_x[0], eager)
    chosen = _followed_examples(evaluate.probabilities(train_x), train_y)
    extent = plot_extent(train_x + test_x)
    gx, gy = grid_axes(extent, PAGE_GRID)
    grid = [[x, y] for y in gy for x in gx]

    def builder(i: int) -> Callable[[], Value]:
        return lambda: _example_graph(follower, train_x[i], train_y[i])

    followed = page.follow(
        recorder,
        follower.parameters(),
        [builder(i) for i, _ in chosen],
        lambda: evaluate.mean_loss(train_x, train_y),
        lambda: evaluate.probabilities(grid),
    )
    output_groups = follower.layers[-1].parameter_groups()
    groups = {f"output layer/{name}": members for name, members in output_groups.items()}
    examples = []
    for k, (i, why) in enumerate(chosen):
        (x1, x2), label = train_x[i], train_y[i]
        examples.append(
            page.Example(
                name=f"example {k + 1}: ({x1:.2f}, {x2:.2f}), class {label}, {why}",
                svg=page.graph_svg(builder(i)(), groups),
                point=[x1, x2],
            )
        )
    points = [(x, y, c, False) for (x, y), c in zip(train_x, train_y)]
    points += [(x, y, c, True) for (x, y), c in zip(test_x, test_y)]
    return page.write_page(
        path,
        max_bytes=max_bytes,
        followed=followed,
        title=title,
        lesson=[
            "A deep network learns to separate two classes by mini-batch gradient descent. "
            "Move the slider over the recorded updates: the loss falls (the orange dot), the "
            "decision boundary bends around the classes, and the numbers in the graph below "
            "change.",
            "Pick an example to follow (a ringed training point on the plot).  Its graph "
            "starts at the last hidden layer: z are the example's pre-activations there, h "
            "the activations, then the output layer's two logits and the cross-entropy loss. "
            "Step backward through it, node by node, to see each grad made by the chain rule.",
        ],
        examples=examples,
        total_updates=history.updates,
        batch_losses=history.losses,
        loss_name="cross-entropy",
        boundary=page.Boundary(extent=extent, size=PAGE_GRID, points=points),
    )


def report(result: DeepResult) -> str:
    """The printed summary: the network, the training, the accuracies, the reload check."""
    agree = "identical" if result.reload_agrees else "DIFFERENT"
    lines = [
        f"Data: {result.dataset}, {result.train_size} training points, "
        f"{result.held_out_size} held out.",
        f"Network: {result.architecture}, {result.parameters} parameters.",
        f"Training: {result.epochs} epochs of mini-batches, {result.updates} updates, "
        f"{result.seconds:.1f} s ({result.engine}); mean loss in the last epoch "
        f"{result.final_loss:.4f}.",
        "",
        f"  training accuracy: {result.train_accuracy:.1%}",
        f"  held-out accuracy: {result.held_out_accuracy:.1%}",
        "",
        f"Saved to model.json and loaded back: outputs {agree} on every point "
        f"(largest difference {result.reload_max_difference:.1g}).",
    ]
    if result.train_accuracy < 0.95:
        lines += [
            "",
            "Training accuracy is low: the network is stuck on a plateau of the loss.  Sigmoid",
            "networks are prone to this (each sigmoid multiplies the gradient by at most 1/4),",
            "one reason ReLU became the usual choice.  Try --activation relu, more --epochs,",
            "or another --lr.",
        ]
    picture = result.neuron
    point = ", ".join(f"{v:.3f}" for v in picture.point)
    lines += [
        "",
        f"One neuron's computation graph, with gradients: {picture.path.name}, neuron "
        f"{picture.neuron} of layer 1",
        f"on the training point ({point}).  Its input z = w·x + b = {picture.pre_activation:.4g}:",
    ]
    if picture.active:
        lines.append(
            "it is active there, so the gradient reaches its weights and bias (a ReLU passes "
            "it on\nonly where z > 0; on the other side every gradient would be 0)."
        )
    else:
        lines.append(
            "no first-layer neuron is active on any training point (the layer is dead), so\n"
            "every gradient in the picture is 0."
        )
    if result.page is not None:
        lines += ["", page.describe(result.page)]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: data set, activation, network size, training length."""
    parser.add_argument(
        "--dataset", choices=sorted(DATASETS), default="moons", help="default: moons"
    )
    parser.add_argument(
        "--activation", choices=sorted(LEARNING_RATES), default="relu", help="default: relu"
    )
    add_network_arguments(
        parser,
        hidden="hidden layer widths (default: 16 16 16)",
        epochs="default: per data set (x1.5 for sigmoid)",
    )
    parser.add_argument(
        "--lr",
        type=option(parse_real, positive=True),
        default=None,
        help="learning rate (default: 0.1 relu, 5.0 sigmoid)",
    )
    # A held-out point and a training point at least.
    parser.add_argument(
        "--n",
        type=option(parse_integer, minimum=2),
        default=None,
        help="number of points (default 300)",
    )
    parser.add_argument(
        "--noise",
        type=option(parse_real, minimum=0.0),
        default=None,
        help="noise of the data set",
    )
    parser.add_argument(
        "--batch-size",
        type=option(parse_integer, minimum=1),
        default=BATCH_SIZE,
        help="default: 16",
    )
    parser.add_argument(
        "--eager",
        action="store_true",
        help="train with the eager engine instead of autograd.compile (slower, same results)",
    )
    page.add_page_arguments(parser)


if __name__ == "__main__":
    import sys

    from .__main__ import main

    sys.exit(main(["deep", *sys.argv[1:]]))
