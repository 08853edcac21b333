"""Neuron, Layer and MLP: models built from autograd Values, seeded and scaled by fan-in.

Initialisation (documented in the README): a neuron's weights are drawn from
``uniform(-bound, bound)`` with ``bound = sqrt(12 / nin)`` (standard deviation 2 / sqrt(nin),
for every activation) and its bias starts at 0.  That is twice the LeCun scale and sqrt(2)
times He's: micrograd-sized networks are trained for a few hundred full-batch steps, and
outputs of order 1 from the start make them learn in that budget (micrograd's two-moons
setting reached 100% training accuracy in 22 of 22 measured runs, against 18 of 24 with He
initialisation).

Every draw comes from a private ``random.Random(seed)``, never the global generator, in a
fixed order (layer by layer, neuron by neuron, weight by weight), so the same seed always
gives bit-identical models.
"""

from __future__ import annotations

import math
import numbers
import os
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, dot
from autograd.checks import brief as _brief
from autograd.checks import integer, is_bool, is_real, real

__all__ = ["ACTIVATIONS", "Module", "Neuron", "Layer", "MLP"]

Number = float | int
Input = Value | Number
Inputs = Input | Sequence[Input]
Seed = int | random.Random


def _name_some(names: Sequence[str], limit: int = 5) -> str:
    """The first ``limit`` names as a list, then "and N more" if there are more."""
    listed = "[" + ", ".join(_brief(n) for n in names[:limit]) + "]"
    return f"{listed} and {len(names) - limit} more" if len(names) > limit else listed


def _linear(z: Value) -> Value:
    return z


ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "hard_sigmoid": Value.hard_sigmoid,
    "tanh": Value.tanh,
    "linear": _linear,
}
"""The activation functions a neuron can apply to ``dot(w, x) + b``, by name."""


def _check_activation(activation: object, who: str) -> str:
    if not isinstance(activation, str):
        raise TypeError(
            f"{who}: activation must be a name (one of {', '.join(ACTIVATIONS)}), "
            f"got {type(activation).__name__} {_brief(activation)}"
        )
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"{who}: unknown activation {_brief(activation)}; "
            f"choose one of {', '.join(ACTIVATIONS)}"
        )
    return activation


def _rng(seed: object, who: str) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if is_bool(seed) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{who}: seed must be an int or a random.Random, "
            f"got {type(seed).__name__} {_brief(seed)}"
        )
    return random.Random(int(seed))


def _check_sizes(sizes: object, who: str) -> list[int]:
    """An MLP's layer widths: a non-empty sequence of ints >= 1."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"{who}: sizes must be a list of layer widths, got {_brief(sizes)}")
    if not sizes:
        raise ValueError(f"{who}: sizes must name at least one layer")
    return [integer(s, who, f"sizes[{i}]", 1) for i, s in enumerate(sizes)]


def _layer_activations(n: int, activation: object, output_activation: object) -> list[str]:
    """One activation name per layer of an ``n``-layer MLP (see ``MLP``); every name is checked."""
    output = "linear" if output_activation is None else output_activation
    if isinstance(activation, str):
        # Checked even when there is no hidden layer to use it: a typo must not pass
        # silently in a one-layer network and fail once a layer is added.
        _check_activation(activation, "MLP")
        names: list[object] = [activation] * (n - 1) + [output]
    elif isinstance(activation, Sequence) and not isinstance(activation, bytes):
        names = list(activation)
        if len(names) == n - 1:
            names.append(output)
        elif len(names) != n:
            raise ValueError(
                f"MLP: activation must list {n - 1} (hidden) or {n} (all) layers, got {len(names)}"
            )
        elif output_activation is not None:
            raise ValueError(
                f"MLP: activation lists all {n} layers, so output_activation must be left out"
            )
    else:
        raise TypeError(
            f"MLP: activation must be a name or a list of names, got {type(activation).__name__}"
        )
    return [_check_activation(a, f"MLP layer {i + 1}") for i, a in enumerate(names)]


def _as_inputs(x: object, nin: int, who: str) -> list[Value]:
    """Check one example's inputs and return them as Values (numbers become labelled leaves)."""
    if isinstance(x, Value) or is_real(x):
        items: list[object] = [x]  # a bare scalar is a one-element input
    elif isinstance(x, (str, bytes, dict)) or not hasattr(x, "__iter__"):
        raise TypeError(
            f"{who}: input must be a number, a Value or a sequence of them, got {type(x).__name__}"
        )
    else:
        items = list(x)
    if len(items) != nin:
        raise ValueError(f"{who}: expected {nin} input(s), got {len(items)}")
    values = []
    for i, item in enumerate(items):
        if isinstance(item, Value):
            values.append(item)
        else:  # a labelled leaf rather than an anonymous constant, so drawings show x1, x2, ...
            x = real(item, who, f"input {i + 1}", finite=False, expected="a number or a Value")
            values.append(Value(x, label=f"x{i + 1}"))
    return values


def _overrides(module: Module, method: str) -> bool:
    """True if ``module``'s class replaces ``Module``'s ``method`` with its own."""
    return getattr(type(module), method) is not getattr(Module, method)


def _register(value: object) -> list[Value] | None:
    """The leaves of a parameter attribute (a Value, or a list or tuple of nothing but Values),
    now marked ``is_parameter``; None for an attribute of any other kind."""
    items = value if isinstance(value, (list, tuple)) else [value]
    values = [item for item in items if isinstance(item, Value)]
    if len(values) != len(items):
        return None
    leaves = [v for v in values if v.is_leaf]
    for leaf in leaves:
        leaf.is_parameter = True
    return leaves


def _discover(module: Module, seen: set[int]) -> dict[str, list[Value]]:
    """``module``'s parameters found in its public attributes, in definition order.

    ``seen`` holds the ids of the Values and Modules already collected: each is taken once
    (the first time it is reached), which also stops cycles between modules.
    """
    seen.add(id(module))
    groups: dict[str, list[Value]] = {}
    for attr, value in vars(module).items():
        if attr.startswith("_"):
            continue
        leaves = _register(value)
        if leaves is not None:
            _add_group(groups, attr, leaves, seen)
        elif isinstance(value, Module):
            _add_module(groups, attr, value, seen)
        elif isinstance(value, (list, tuple)) and all(isinstance(v, Module) for v in value):
            for i, sub in enumerate(value):
                _add_module(groups, f"{attr} {i + 1}", sub, seen)
    return groups


def _add_group(
    groups: dict[str, list[Value]], name: str, values: list[Value], seen: set[int]
) -> None:
    """Add the Values not yet seen among ``values`` as group ``name``."""
    fresh = [v for v in values if id(v) not in seen]
    seen.update(id(v) for v in fresh)
    if fresh:
        groups[name] = fresh


def _add_module(
    groups: dict[str, list[Value]], prefix: str, module: Module, seen: set[int]
) -> None:
    """Add a sub-module's groups as ``prefix/name``, skipping what was already collected."""
    if id(module) in seen:
        return
    if _overrides(module, "parameter_groups") or _overrides(module, "parameters"):
        seen.add(id(module))
        for name, group in module.parameter_groups().items():
            _add_group(groups, f"{prefix}/{name}", group, seen)
    else:
        for name, group in _discover(module, seen).items():
            groups[f"{prefix}/{name}"] = group


class Module:
    """Base class of models: parameters, gradients reset, state and saving.

    A subclass overrides ``__call__``.  Its parameters are found automatically in its public
    attributes (see ``parameter_groups``), unless it overrides ``parameter_groups`` or
    ``parameters`` to list them itself.
    """

    def __call__(self, x: Any) -> Any:
        """Run the model on one example."""
        raise NotImplementedError(f"{type(self).__name__}: __call__ is not implemented")

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; leaf Values in a public attribute are marked as parameters."""
        # As torch.nn.Module registers parameters on assignment: a subclass that lists its own
        # parameters() still gets its weights drawn (and known) as parameters.
        if not name.startswith("_"):
            _register(value)
        object.__setattr__(self, name, value)

    def parameter_groups(self) -> dict[str, list[Value]]:
        """Parameters grouped by name ("/" for nesting), for drawing and state dicts.

        By default they are discovered in the instance's attributes, in the order they were
        first assigned (``vars(self)``); names starting with "_" are skipped:

        * a leaf Value ``self.w`` is the group "w";
        * a list or tuple of Values ``self.ws`` is the group "ws" (its leaves);
        * a Module ``self.body`` adds its own groups as "body/<name>";
        * a list or tuple of Modules ``self.blocks`` adds "blocks 1/<name>", "blocks 2/...";
        * anything else (numbers, dicts, mixed lists, Values made by an operation such as a
          cached output) is ignored.

        A Value or Module reached twice (shared) is taken the first time only.  Discovered
        Values are marked ``is_parameter = True``.  A subclass that overrides only
        ``parameters()`` gets the single group "parameters".  No parameters give ``{}``.
        """
        if _overrides(self, "parameters"):
            return {"parameters": self.parameters()}
        return _discover(self, set())

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a stable order (the order of ``parameter_groups``)."""
        if _overrides(self, "parameter_groups"):
            groups = self.parameter_groups()
        else:
            groups = _discover(self, set())  # not via parameter_groups: no recursion
        return [p for group in groups.values() for p in group]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (``backward`` accumulates into it)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, list[float]]:
        """The parameters' values as plain floats, keyed by group name."""
        return {name: [p.data for p in group] for name, group in self.parameter_groups().items()}

    def load_state_dict(self, state: dict[str, list[float]]) -> None:
        """Copy values from ``state`` into the parameters in place; the shapes must match."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, dict):
            raise TypeError(f"{who}: state must be a dict, got {type(state).__name__}")
        groups = self.parameter_groups()
        missing = [name for name in groups if name not in state]
        unexpected = [name for name in state if name not in groups]
        if missing or unexpected:
            raise ValueError(
                f"{who}: the state does not match the model: "
                f"missing {_name_some(missing) if missing else 'nothing'}, "
                f"unexpected {_name_some(unexpected) if unexpected else 'nothing'}"
            )
        checked: list[tuple[Value, float]] = []
        for name, group in groups.items():
            values = state[name]
            if not isinstance(values, (list, tuple)):
                raise ValueError(
                    f"{who}: {_brief(name)} must be a list of numbers, got {type(values).__name__}"
                )
            if len(values) != len(group):
                raise ValueError(
                    f"{who}: {_brief(name)} has {len(values)} value(s), the model has {len(group)}"
                )
            for i, v in enumerate(values):
                try:
                    checked.append((group[i], real(v, who, f"{_brief(name)}[{i}]")))
                except TypeError as error:  # a bad state is a ValueError, whatever the cause
                    raise ValueError(str(error)) from None
        # Only now write, so a bad state leaves the model untouched.
        for p, v in checked:
            p.data = v

    def config(self) -> dict[str, Any]:
        """The architecture as JSON-ready data, enough to rebuild the model (see ``nn.load``)."""
        raise NotImplementedError(
            f"{type(self).__name__}: config() is not implemented, so it cannot be saved"
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and parameters to ``path`` as JSON, atomically."""
        from .serialize import save

        save(self, path)

    def to_torch(self) -> Any:
        """The model as a float64 ``torch.nn.Sequential`` with the same weights (see nn.bridge)."""
        from .bridge import to_torch

        return to_torch(self)

    def __repr__(self) -> str:
        n = len(self.parameters())
        return f"{self._architecture()} with {n} parameter{'' if n == 1 else 's'}"

    def _architecture(self) -> str:
        """How to build the model, as code (the repr without the parameter count)."""
        return f"{type(self).__name__}()"

    def summary(self) -> str:
        """A table of the model's parts (shape, activation, parameters) and the total; print it."""
        rows = [("part", "shape", "activation", "parameters")]
        rows += [(name, shape, act, str(count)) for name, shape, act, count in self._parts()]
        rows.append(("total", "", "", str(len(self.parameters()))))
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        lines = [self._architecture()]
        for name, shape, act, count in rows:
            cells = [name.ljust(widths[0]), shape.ljust(widths[1]), act.ljust(widths[2])]
            lines.append("  ".join([*cells, count.rjust(widths[3])]))
        return "\n".join(lines)

    def _parts(self) -> list[tuple[str, str, str, int]]:
        """The rows of ``summary``: one per parameter group unless a subclass knows better."""
        return [(name, "", "", len(group)) for name, group in self.parameter_groups().items()]


class Neuron(Module):
    """One neuron: ``activation(dot(w, x) + b)``."""

    def __init__(self, nin: int, activation: str = "relu", *, seed: Seed = 0) -> None:
        self.nin = integer(nin, "Neuron", "nin", 1)
        self.activation = _check_activation(activation, "Neuron")
        self._act = ACTIVATIONS[self.activation]
        rng = _rng(seed, "Neuron")
        bound = math.sqrt(12.0 / self.nin)
        self.w = [Value(rng.uniform(-bound, bound), label=f"w{i + 1}") for i in range(self.nin)]
        self.b = Value(0.0, label="b")  # w and b: marked as parameters by Module.__setattr__

    def __call__(self, x: Inputs) -> Value:
        """The neuron's output for one example of ``nin`` numbers or Values."""
        return self._forward(_as_inputs(x, self.nin, "Neuron"))

    def _forward(self, xs: list[Value]) -> Value:
        return self._act(dot(self.w, xs) + self.b)

    def parameter_groups(self) -> dict[str, list[Value]]:
        """``{"neuron": [w1, ..., wn, b]}``."""
        return {"neuron": [*self.w, self.b]}

    def config(self) -> dict[str, Any]:
        """``{"type": "Neuron", "nin": ..., "activation": ...}``."""
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def _architecture(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"

    def _parts(self) -> list[tuple[str, str, str, int]]:
        return [("neuron", f"{self.nin} -> 1", self.activation, self.nin + 1)]


class Layer(Module):
    """``nout`` neurons that see the same inputs; always returns a list, even of one Value."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", *, seed: Seed = 0) -> None:
        self.nin = integer(nin, "Layer", "nin", 1)
        self.nout = integer(nout, "Layer", "nout", 1)
        self.activation = _check_activation(activation, "Layer")
        rng = _rng(seed, "Layer")
        self.neurons = [Neuron(self.nin, self.activation, seed=rng) for _ in range(self.nout)]

    def __call__(self, x: Inputs) -> list[Value]:
        """The ``nout`` outputs for one example of ``nin`` numbers or Values."""
        return self._forward(_as_inputs(x, self.nin, "Layer"))

    def _forward(self, xs: list[Value]) -> list[Value]:
        return [n._forward(xs) for n in self.neurons]

    def parameter_groups(self) -> dict[str, list[Value]]:
        """``{"neuron 1": [w..., b], "neuron 2": ...}``."""
        return {f"neuron {i + 1}": n.parameters() for i, n in enumerate(self.neurons)}

    def config(self) -> dict[str, Any]:
        """``{"type": "Layer", "nin": ..., "nout": ..., "activation": ...}``."""
        return {"type": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}

    def _architecture(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"

    def _parts(self) -> list[tuple[str, str, str, int]]:
        shape = f"{self.nin} -> {self.nout}"
        return [("layer", shape, self.activation, (self.nin + 1) * self.nout)]


class MLP(Module):
    """A stack of Layers: ``MLP(2, [16, 16, 1])`` maps 2 inputs through 16, 16 to 1 output.

    ``activation`` is one name for every hidden layer, or a list with one name per layer:
    either for the hidden layers only (then ``output_activation`` applies to the last) or for
    all layers (then leave ``output_activation`` out).  ``output_activation`` defaults to
    "linear".  Calling an MLP whose last layer has one neuron returns a single Value;
    otherwise it returns a list of Values.
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "relu",
        output_activation: str | None = None,
        *,
        seed: Seed = 0,
    ) -> None:
        self.nin = integer(nin, "MLP", "nin", 1)
        self.sizes = _check_sizes(sizes, "MLP")
        self.activations = _layer_activations(len(self.sizes), activation, output_activation)
        rng = _rng(seed, "MLP")
        widths = [self.nin, *self.sizes]
        self.layers = [
            Layer(widths[i], widths[i + 1], self.activations[i], seed=rng)
            for i in range(len(self.sizes))
        ]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        """The output for one example: a Value if the last layer has one neuron, else a list."""
        values = _as_inputs(x, self.nin, "MLP")
        for layer in self.layers:
            values = layer._forward(values)
        return values[0] if len(values) == 1 else values

    def parameter_groups(self) -> dict[str, list[Value]]:
        """``{"layer 1/neuron 1": [w..., b], ...}``, layers and neurons counted from 1."""
        return {
            f"layer {i + 1}/{name}": group
            for i, layer in enumerate(self.layers)
            for name, group in layer.parameter_groups().items()
        }

    def config(self) -> dict[str, Any]:
        """``{"type": "MLP", "nin": ..., "sizes": [...], "activations": [...]}``."""
        return {
            "type": "MLP",
            "nin": self.nin,
            "sizes": list(self.sizes),
            "activations": list(self.activations),
        }

    def _architecture(self) -> str:
        return f"MLP({self.nin}, {self.sizes}, activation={self.activations})"

    def _parts(self) -> list[tuple[str, str, str, int]]:
        return [
            (f"layer {i + 1}", shape, activation, count)
            for i, layer in enumerate(self.layers)
            for _, shape, activation, count in layer._parts()
        ]
