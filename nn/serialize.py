"""Save and load models as JSON: format version, architecture and parameters; no pickle.

A file looks like::

    {"format": "lecturegrad.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "sizes": [16, 16, 1],
                      "activations": ["relu", "relu", "linear"]},
     "parameters": {"layer 1/neuron 1": [w1, w2, b], ...}}

Floats are written with ``repr`` (json's default), which round-trips every float exactly.

``load`` checks a file before building anything: the architecture's fields (an MLP's
"activations" must name every layer, as ``save`` writes them), then the parameter groups
it implies (their number, names and lengths, computed from the architecture alone)
against the file's.  So an inconsistent file (say ``"sizes": [1000000000, 1]`` with a
handful of parameters) fails at once with a short ValueError, and a model is only built
when the file holds every one of its parameters.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from autograd.checks import brief as _brief
from autograd.checks import integer
from autograd.files import write_atomically

from .modules import MLP, Layer, Module, Neuron, _check_activation, _check_sizes, _name_some

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

# Group names as the modules make them; at most 18 digits, so int() is always cheap.
_NUMBER = "([1-9][0-9]{0,17})"
_LAYER_GROUP = re.compile(f"neuron {_NUMBER}")
_MLP_GROUP = re.compile(f"layer {_NUMBER}/neuron {_NUMBER}")


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
    except RecursionError:
        raise ValueError(
            f"load: {path} is not valid JSON (truncated or corrupt?): it is nested too deeply"
        ) from None
    except ValueError as error:  # JSONDecodeError, or an integer with too many digits
        raise ValueError(
            f"load: {path} is not valid JSON (truncated or corrupt?): {error}"
        ) from None
    return from_document(document, path)


def _field(mapping: dict[str, Any], key: str, where: str, path: str) -> Any:
    if key not in mapping:
        raise ValueError(f"load: {path}: {where} is missing the key {key!r}")
    return mapping[key]


@dataclass(frozen=True)
class _Layout:
    """The parameter groups an architecture implies, described without building the model.

    ``count`` is the number of groups, ``size_of(name)`` a group's number of values (None
    for a name the model does not have) and ``names()`` yields the names in model order.
    """

    count: int
    size_of: Callable[[str], int | None]
    names: Callable[[], Iterator[str]]


def _numbered(pattern: re.Pattern[str], name: object) -> list[int] | None:
    match = pattern.fullmatch(name) if isinstance(name, str) else None
    return None if match is None else [int(g) for g in match.groups()]


def _layout(kind: str, architecture: dict[str, Any]) -> _Layout:
    """Check the architecture's fields (as the constructors do) and describe its groups."""
    who = f"{kind} architecture"
    nin = integer(architecture["nin"], who, "nin", 1)
    if kind == "Neuron":
        _check_activation(architecture["activation"], who)
        return _Layout(
            1, lambda name: nin + 1 if name == "neuron" else None, lambda: iter(["neuron"])
        )
    if kind == "Layer":
        nout = integer(architecture["nout"], who, "nout", 1)
        _check_activation(architecture["activation"], who)

        def layer_size(name: str) -> int | None:
            index = _numbered(_LAYER_GROUP, name)
            return nin + 1 if index is not None and index[0] <= nout else None

        return _Layout(nout, layer_size, lambda: (f"neuron {j + 1}" for j in range(nout)))
    sizes = _check_sizes(architecture["sizes"], who)
    # save writes one name per layer; MLP's shorthands (one name for the hidden layers, or
    # a list without the output layer) would silently rebuild a different model.
    activations = architecture["activations"]
    if not isinstance(activations, list) or len(activations) != len(sizes):
        raise ValueError(
            f"{who}: activations must be a list of {len(sizes)} activation names, one per "
            f"layer, got {_brief(activations)}"
        )
    for i, name in enumerate(activations):
        _check_activation(name, f"{who} layer {i + 1}")
    widths = [nin, *sizes]

    def mlp_size(name: str) -> int | None:
        index = _numbered(_MLP_GROUP, name)
        if index is None:
            return None
        layer, neuron = index
        if layer > len(sizes) or neuron > sizes[layer - 1]:
            return None
        return widths[layer - 1] + 1

    def mlp_names() -> Iterator[str]:
        for i, size in enumerate(sizes):
            for j in range(size):
                yield f"layer {i + 1}/neuron {j + 1}"

    return _Layout(sum(sizes), mlp_size, mlp_names)


def _check_shapes(layout: _Layout, parameters: dict[str, Any], path: str) -> None:
    """Compare the file's groups with the layout's, in time and memory linear in the file."""
    sizes = {name: layout.size_of(name) for name in parameters}
    unexpected = [name for name, size in sizes.items() if size is None]
    present = len(parameters) - len(unexpected)  # distinct names the model has
    n_missing = layout.count - present
    if unexpected or n_missing:
        missing: list[str] = []
        if n_missing:
            # Stops after a few: at most `present` + 5 names are generated.
            for name in layout.names():
                if name not in parameters:
                    missing.append(name)
                    if len(missing) == 5:
                        break
        raise ValueError(
            f"load: {path}: parameters do not fit the architecture, which has "
            f"{layout.count} parameter group(s) where the file has {len(parameters)}: "
            f"missing {_name_some(missing, n_missing) if n_missing else 'nothing'}, "
            f"unexpected {_name_some(unexpected) if unexpected else 'nothing'}"
        )
    for name, values in parameters.items():
        if not isinstance(values, list):
            raise ValueError(
                f"load: {path}: parameters do not fit the architecture: {_brief(name)} must "
                f"be a list of numbers, got {type(values).__name__}"
            )
        if len(values) != sizes[name]:
            raise ValueError(
                f"load: {path}: parameters do not fit the architecture: {_brief(name)} has "
                f"{len(values)} value(s), the model has {sizes[name]}"
            )


def from_document(document: object, path: str = "<document>") -> Module:
    """Rebuild a model from the parsed JSON of a saved file, validating every part."""
    if not isinstance(document, dict):
        raise ValueError(f"load: {path}: expected a JSON object, got {type(document).__name__}")
    fmt = _field(document, "format", "the file", path)
    if fmt != FORMAT:
        raise ValueError(
            f"load: {path}: not an nn model file (format {_brief(fmt)}, not {FORMAT!r})"
        )
    version = _field(document, "version", "the file", path)
    if version != VERSION or isinstance(version, bool):
        raise ValueError(
            f"load: {path}: unsupported format version {_brief(version)}; this version of "
            f"lecturegrad reads version {VERSION}"
        )
    architecture = _field(document, "architecture", "the file", path)
    parameters = _field(document, "parameters", "the file", path)
    if not isinstance(architecture, dict):
        raise ValueError(f"load: {path}: 'architecture' must be an object")
    kind = _field(architecture, "type", "'architecture'", path)
    if not isinstance(kind, str) or kind not in _BUILDERS:
        raise ValueError(
            f"load: {path}: unknown model type {_brief(kind)}; "
            f"expected one of {', '.join(_BUILDERS)}"
        )
    for key in _FIELDS[kind]:
        _field(architecture, key, "'architecture'", path)
    try:
        layout = _layout(kind, architecture)
    except (TypeError, ValueError) as error:
        raise ValueError(f"load: {path}: bad architecture: {error}") from None
    if not isinstance(parameters, dict):
        raise ValueError(f"load: {path}: 'parameters' must be an object")
    # Before building: a consistent file is as large as the model it describes.
    _check_shapes(layout, parameters, path)
    try:
        model: Module = _BUILDERS[kind](architecture)
    except (TypeError, ValueError) as error:
        raise ValueError(f"load: {path}: bad architecture: {error}") from None
    try:
        model.load_state_dict(parameters)
    except (TypeError, ValueError) as error:
        raise ValueError(f"load: {path}: parameters do not fit the architecture: {error}") from None
    return model
