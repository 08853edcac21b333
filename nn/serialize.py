"""Save and load models as JSON: format version, architecture and parameters; no pickle.

A file looks like::

    {"format": "lecturegrad.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "sizes": [16, 16, 1],
                      "activations": ["relu", "relu", "linear"]},
     "parameters": {"layer 1/neuron 1": [w1, w2, b], ...}}

Floats are written with ``repr`` (json's default), which round-trips every float exactly.
"""

from __future__ import annotations

import json
import os
from typing import Any

from autograd.files import write_atomically

from .modules import MLP, Layer, Module, Neuron

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "lecturegrad.nn"
VERSION = 1

_BUILDERS: dict[str, Any] = {
    "Neuron": lambda a: Neuron(a["nin"], a["activation"]),
    "Layer": lambda a: Layer(a["nin"], a["nout"], a["activation"]),
    "MLP": lambda a: MLP(a["nin"], a["sizes"], a["activations"]),
}
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
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"load: {path} is not valid JSON (truncated or corrupt?): {error}"
        ) from None
    return from_document(document, path)


def _field(mapping: dict[str, Any], key: str, where: str, path: str) -> Any:
    if key not in mapping:
        raise ValueError(f"load: {path}: {where} is missing the key {key!r}")
    return mapping[key]


def from_document(document: object, path: str = "<document>") -> Module:
    """Rebuild a model from the parsed JSON of a saved file, validating every part."""
    if not isinstance(document, dict):
        raise ValueError(f"load: {path}: expected a JSON object, got {type(document).__name__}")
    fmt = _field(document, "format", "the file", path)
    if fmt != FORMAT:
        raise ValueError(f"load: {path}: not an nn model file (format {fmt!r}, not {FORMAT!r})")
    version = _field(document, "version", "the file", path)
    if version != VERSION or isinstance(version, bool):
        raise ValueError(
            f"load: {path}: unsupported format version {version!r}; this version of "
            f"lecturegrad reads version {VERSION}"
        )
    architecture = _field(document, "architecture", "the file", path)
    parameters = _field(document, "parameters", "the file", path)
    if not isinstance(architecture, dict):
        raise ValueError(f"load: {path}: 'architecture' must be an object")
    kind = _field(architecture, "type", "'architecture'", path)
    if kind not in _BUILDERS:
        raise ValueError(
            f"load: {path}: unknown model type {kind!r}; expected one of {', '.join(_BUILDERS)}"
        )
    for key in _FIELDS[kind]:
        _field(architecture, key, "'architecture'", path)
    try:
        model: Module = _BUILDERS[kind](architecture)
    except (TypeError, ValueError) as error:
        raise ValueError(f"load: {path}: bad architecture: {error}") from None
    if not isinstance(parameters, dict):
        raise ValueError(f"load: {path}: 'parameters' must be an object")
    try:
        model.load_state_dict(parameters)
    except (TypeError, ValueError) as error:
        raise ValueError(f"load: {path}: parameters do not fit the architecture: {error}") from None
    return model
