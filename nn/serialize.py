"""Save and load models as JSON: format version, architecture and parameters; no pickle.

A file looks like::

    {"format": "lecturegrad.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "sizes": [16, 16, 1],
                      "activations": ["relu", "relu", "linear"]},
     "parameters": {"layer 1/neuron 1": [w1, w2, b], ...}}

Floats are written with ``repr`` (json's default), which round-trips every float exactly.

``load`` counts before it builds: from the architecture alone it computes how many parameter
groups and how many numbers the model has, and a file that holds other counts is refused
before any model exists.  So a small hostile file (say ``"sizes": [1000000000, 1]`` with a
handful of parameters) fails at once with a short ValueError instead of allocating a huge
model, and the model that is built is no larger than the file.  Its constructor then checks
the rest of the architecture, and ``load_state_dict`` each group's name, length and numbers.
"""

from __future__ import annotations

import json
import os
from itertools import pairwise
from typing import Any

from autograd.checks import brief, integer
from autograd.files import write_atomically

from .modules import MLP, Layer, Module, Neuron

__all__ = ["save", "load", "from_document", "FORMAT", "VERSION"]

FORMAT = "lecturegrad.nn"
VERSION = 1

_FIELDS = {
    "Neuron": ("nin", "activation"),
    "Layer": ("nin", "nout", "activation"),
    "MLP": ("nin", "sizes", "activations"),
}


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` as JSON, atomically: a crash never leaves half a file."""
    if not isinstance(model, Module):
        raise TypeError(f"save: expected an nn.Module, got {type(model).__name__}")
    try:
        architecture = model.config()
    except NotImplementedError:
        raise TypeError(
            f"save: {type(model).__name__} has no config(), so it cannot be rebuilt; "
            "save and load its state_dict() instead"
        ) from None
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture,
        "parameters": model.state_dict(),
    }
    try:
        text = json.dumps(document, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError(
            f"save: {type(model).__name__} has a parameter that is not finite (inf or NaN), "
            "which JSON cannot hold"
        ) from None
    write_atomically(path, text + "\n")


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved at ``path``; ValueError for a truncated, corrupt or bad file."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as error:
        raise ValueError(f"load: {path} is not a UTF-8 text file (corrupt?): {error}") from None
    try:
        document = json.loads(text)
    except (RecursionError, ValueError) as error:  # ValueError: bad JSON, or too many digits
        reason = "it is nested too deeply" if isinstance(error, RecursionError) else error
        raise ValueError(
            f"load: {path} is not valid JSON (truncated or corrupt?): {reason}"
        ) from None
    return from_document(document, path)


def _field(mapping: dict[str, Any], key: str, where: str, path: str) -> Any:
    if key not in mapping:
        raise ValueError(f"load: {path}: {where} is missing the key {key!r}")
    return mapping[key]


def _counts(kind: str, architecture: dict[str, Any]) -> tuple[int, int]:
    """How many parameter groups and numbers the architecture has, from its sizes alone."""
    who = f"{kind} architecture"
    nin = integer(architecture["nin"], who, "nin", 1)
    if kind == "Neuron":
        return 1, nin + 1
    if kind == "Layer":
        nout = integer(architecture["nout"], who, "nout", 1)
        return nout, nout * (nin + 1)
    sizes = architecture["sizes"]
    if not isinstance(sizes, list) or not sizes:
        raise ValueError(
            f"{who}: sizes must be a non-empty list of layer widths, got {brief(sizes)}"
        )
    widths = [nin] + [integer(n, who, f"sizes[{i}]", 1) for i, n in enumerate(sizes)]
    # save writes one name per layer; MLP's shorthands (one name for the hidden layers, or
    # a list without the output layer) would silently rebuild a different model.
    activations = architecture["activations"]
    if not isinstance(activations, list) or len(activations) != len(sizes):
        raise ValueError(
            f"{who}: activations must be a list of {len(sizes)} activation names, one per "
            f"layer, got {brief(activations)}"
        )
    # Every neuron is one group: a weight per input, and a bias.
    numbers = sum((fan_in + 1) * width for fan_in, width in pairwise(widths))
    return sum(widths[1:]), numbers


def _build(kind: str, architecture: dict[str, Any]) -> Module:
    """The model the architecture describes (its constructor checks the activations)."""
    if kind == "Neuron":
        return Neuron(architecture["nin"], architecture["activation"])
    if kind == "Layer":
        return Layer(architecture["nin"], architecture["nout"], architecture["activation"])
    return MLP(architecture["nin"], architecture["sizes"], architecture["activations"])


def from_document(document: object, path: str = "<document>") -> Module:
    """Rebuild a model from the parsed JSON of a saved file, validating every part."""
    if not isinstance(document, dict):
        raise ValueError(f"load: {path}: expected a JSON object, got {type(document).__name__}")
    fmt = _field(document, "format", "the file", path)
    if fmt != FORMAT:
        raise ValueError(
            f"load: {path}: not an nn model file (format {brief(fmt)}, not {FORMAT!r})"
        )
    version = _field(document, "version", "the file", path)
    if version != VERSION or isinstance(version, bool):
        raise ValueError(
            f"load: {path}: unsupported format version {brief(version)}; this version of "
            f"lecturegrad reads version {VERSION}"
        )
    architecture = _field(document, "architecture", "the file", path)
    parameters = _field(document, "parameters", "the file", path)
    if not isinstance(architecture, dict):
        raise ValueError(f"load: {path}: 'architecture' must be an object")
    kind = _field(architecture, "type", "'architecture'", path)
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise ValueError(
            f"load: {path}: unknown model type {brief(kind)}; expected one of {', '.join(_FIELDS)}"
        )
    for key in _FIELDS[kind]:
        _field(architecture, key, "'architecture'", path)
    try:
        groups, numbers = _counts(kind, architecture)
    except (TypeError, ValueError) as error:
        raise ValueError(f"load: {path}: bad architecture: {error}") from None
    if not isinstance(parameters, dict):
        raise ValueError(f"load: {path}: 'parameters' must be an object")
    does_not_fit = f"load: {path}: parameters do not fit the architecture"
    in_file = 0
    for name, values in parameters.items():
        if not isinstance(values, list):
            raise ValueError(
                f"{does_not_fit}: {brief(name)} must be a list of numbers, "
                f"got {type(values).__name__}"
            )
        in_file += len(values)
    # Before building: a model that fits the file is no larger than the file.
    if (len(parameters), in_file) != (groups, numbers):
        raise ValueError(
            f"{does_not_fit}, which has {groups} parameter group(s) of {numbers} number(s) in "
            f"all; the file has {len(parameters)} group(s) of {in_file} number(s)"
        )
    try:
        model = _build(kind, architecture)
    except (TypeError, ValueError) as error:
        raise ValueError(f"load: {path}: bad architecture: {error}") from None
    try:
        model.load_state_dict(parameters)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{does_not_fit}: {error}") from None
    return model
