"""The bridge to PyTorch: our Neuron, Layer and MLP as a ``torch.nn.Sequential``, and back.

A dense layer of ours is a ``torch.nn.Linear`` (row j of its weight is neuron j's ``w``, its
bias the neurons' ``b``) followed by the activation's module: relu ``ReLU``, sigmoid
``Sigmoid``, tanh ``Tanh``, hard_sigmoid ``Hardsigmoid``; "linear" adds no module.  Exported
weights are float64; imported weights of another floating-point dtype (float32, float16,
bfloat16) are converted exactly, since each of their values is a float64 too.  PyTorch is
optional: it is imported when the bridge is first used, never by ``import nn``.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from autograd.checks import brief, numeric_array

from .modules import MLP, Layer, Module, Neuron

__all__ = ["to_torch", "from_torch"]

# Our activation's name -> the name of torch.nn's module for it.
TORCH_ACTIVATIONS = {
    "relu": "ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "hard_sigmoid": "Hardsigmoid",
}

_SUPPORTED = "Linear, " + ", ".join(TORCH_ACTIVATIONS.values()) + ", Identity and Sequential"


def _torch(who: str) -> Any:
    """The torch package, or an ImportError that says how to install it."""
    if importlib.util.find_spec("torch") is None:
        raise ImportError(
            f"{who} needs PyTorch, which is not installed: pip install 'lecturegrad[torch]'"
        )
    return importlib.import_module("torch")


def to_torch(model: Module) -> Any:
    """``model`` (a Neuron, Layer or MLP) as a float64 ``torch.nn.Sequential``, same weights."""
    if isinstance(model, MLP):
        layers = [layer.neurons for layer in model.layers]
    elif isinstance(model, Layer):
        layers = [model.neurons]
    elif isinstance(model, Neuron):
        layers = [[model]]
    else:
        raise TypeError(
            f"to_torch: only a Neuron, Layer or MLP can be exported, got {type(model).__name__}"
        )
    torch = _torch("to_torch")
    modules = []
    for neurons in layers:
        # skip_init: torch's random initialisation would be overwritten anyway, and it
        # would advance the caller's torch random generator.
        linear = torch.nn.utils.skip_init(
            torch.nn.Linear, neurons[0].nin, len(neurons), dtype=torch.float64
        )
        with torch.no_grad():
            weight = [[w.data for w in n.w] for n in neurons]
            linear.weight.copy_(torch.tensor(weight, dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        modules.append(linear)
        activation = neurons[0].activation
        if activation != "linear":
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[activation])())
    return torch.nn.Sequential(*modules)


def from_torch(module: Any) -> MLP:
    """An MLP with the weights of ``module``: a Sequential of Linear layers and activations.

    Each Linear may be followed by one of ReLU, Sigmoid, Tanh or Hardsigmoid (none means
    "linear"); Identity modules are skipped and nested Sequentials opened.  Every Linear
    needs a bias, and its inputs must match the previous Linear's outputs.
    """
    torch = _torch("from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(module).__name__}")
    by_module = {getattr(torch.nn, name): ours for ours, name in TORCH_ACTIVATIONS.items()}
    linears: list[tuple[str, Any]] = []
    activations: list[str] = []  # one per Linear, "linear" until an activation follows it
    for name, layer in _flatten(module, torch):
        kind = type(layer)
        if kind is torch.nn.Linear:
            linears.append((name, layer))
            activations.append("linear")
        elif kind in by_module:
            if not linears or activations[-1] != "linear":
                follows = "the input" if not linears else "another activation"
                raise ValueError(
                    f"from_torch: module {name} ({brief(layer)}) follows {follows}; an "
                    "activation must follow a Linear layer"
                )
            activations[-1] = by_module[kind]
        elif kind is not torch.nn.Identity:
            raise ValueError(
                f"from_torch: module {name} ({brief(layer)}) is not supported; "
                f"supported: {_SUPPORTED}"
            )
    if not linears:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    layers = [_rows(name, linear, torch) for name, linear in linears]
    for i in range(1, len(layers)):
        inputs, outputs = len(layers[i][0]) - 1, len(layers[i - 1])
        if inputs != outputs:
            raise ValueError(
                f"from_torch: module {linears[i][0]} takes {inputs} inputs, but the Linear "
                f"layer before it (module {linears[i - 1][0]}) gives {outputs} outputs"
            )
    model = MLP(len(layers[0][0]) - 1, [len(rows) for rows in layers], activation=activations)
    # A row is one neuron's weights then its bias: the order of model.parameters().
    numbers = [x for rows in layers for row in rows for x in row]
    for p, x in zip(model.parameters(), numbers, strict=True):
        p.data = x
    return model


def _flatten(sequential: Any, torch: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The modules of a Sequential, nested Sequentials opened, named by how torch indexes
    them: "[2]" is ``sequential[2]``, "[3][0]" is ``sequential[3][0]``."""
    layers = []
    for name, child in sequential.named_children():
        path = f"{prefix}[{name}]"
        if type(child) is torch.nn.Sequential:
            layers += _flatten(child, torch, path)
        else:
            layers.append((path, child))
    return layers


def _rows(name: str, linear: Any, torch: Any) -> list[list[float]]:
    """One row per output neuron, its weights then its bias, as checked floats."""
    if linear.bias is None:
        raise ValueError(
            f"from_torch: module {name} ({brief(linear)}) has no bias; every neuron here has one"
        )
    tensors = {"weight": linear.weight.detach(), "bias": linear.bias.detach()}
    for part, tensor in tensors.items():
        if not tensor.is_floating_point():
            raise TypeError(
                f"from_torch: module {name} {part} has dtype {tensor.dtype}; it must be real floats"
            )
        if tensor.is_meta:
            raise ValueError(f"from_torch: module {name} {part} is on the meta device: no values")
    weight, bias = tuple(linear.weight.shape), tuple(linear.bias.shape)
    if len(weight) != 2 or 0 in weight or bias != weight[:1]:
        raise ValueError(
            f"from_torch: module {name} has a weight of shape {weight} and a bias of shape "
            f"{bias}; expected (outputs, inputs) and (outputs,), none of them 0"
        )
    values = {
        part: numeric_array(
            tensor.to(device="cpu", dtype=torch.float64).tolist(),
            "from_torch",
            f"module {name} {part}",
            "real numbers",
        ).tolist()
        for part, tensor in tensors.items()
    }
    return [[*row, b] for row, b in zip(values["weight"], values["bias"])]
