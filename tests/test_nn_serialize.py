"""nn save/load: JSON round trips, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

import nn
from nn import MLP, Layer, Module, Neuron, load

INPUTS = [[0.3, -1.2, 2.0], [1e-3, 5.5, -0.25]]


def _outputs(model: Module) -> list[Any]:
    result = []
    for x in INPUTS:
        out = model(x)
        result.append([v.data for v in out] if isinstance(out, list) else out.data)
    return result


@pytest.mark.parametrize(
    "model",
    [
        MLP(3, [16, 16, 1], activation="relu", output_activation="linear", seed=0),
        MLP(3, [4, 1, 3], activation=["tanh", "hard_sigmoid", "sigmoid"], seed=5),
        Layer(3, 2, activation="sigmoid", seed=2),
        Neuron(3, activation="tanh", seed=3),
    ],
    ids=["mlp", "mlp-mixed", "layer", "neuron"],
)
def test_round_trip_gives_identical_outputs(model: Module, tmp_path: Path) -> None:
    # Awkward floats, so that only an exact float round trip keeps the outputs bit-identical.
    for i, p in enumerate(model.parameters()):
        p.data = p.data / 3 + (1e-300 if i % 3 == 0 else 0.1 + i * 1e-17)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = load(path)
    assert type(loaded) is type(model)
    assert loaded.config() == model.config()
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert _outputs(loaded) == _outputs(model)
    assert all(p.is_parameter for p in loaded.parameters())


def test_file_format(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=1).save(str(path))
    document = json.loads(path.read_text())
    assert document["format"] == "lecturegrad.nn"
    assert document["version"] == 1
    assert document["architecture"] == {
        "type": "MLP",
        "nin": 2,
        "sizes": [3, 1],
        "activations": ["relu", "linear"],
    }
    assert list(document["parameters"]) == [
        "layer 1/neuron 1",
        "layer 1/neuron 2",
        "layer 1/neuron 3",
        "layer 2/neuron 1",
    ]
    assert len(document["parameters"]["layer 2/neuron 1"]) == 4


def test_nn_save_function_and_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    nn.save(MLP(2, [3, 1], seed=1), path)
    nn.save(MLP(2, [3, 1], seed=2), path)
    assert load(path).state_dict() == MLP(2, [3, 1], seed=2).state_dict()
    assert os.listdir(tmp_path) == ["m.json"]  # no temporary files left behind


def test_a_crash_while_saving_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=1).save(path)
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        MLP(2, [3, 1], seed=2).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


def test_non_finite_parameters_cannot_be_saved(tmp_path: Path) -> None:
    model = Neuron(2)
    model.b.data = math.inf
    with pytest.raises(ValueError, match="not finite"):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


def _saved(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=1).save(path)
    return path, json.loads(path.read_text())


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_truncated_file(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="is not valid JSON \\(truncated or corrupt\\?\\)"):
        load(path)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "\x00\x01garbage",
        "[1, 2",
        "[" * 100_000,  # before: RecursionError from json
        '{"a": ' * 100_000,
        "1" * 5000,  # before: a bare ValueError about int digits, without the path
    ],
    ids=["empty", "not-json", "garbage", "truncated", "deep-list", "deep-object", "long-int"],
)
def test_corrupt_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="not valid JSON") as info:
        load(path)
    assert str(path) in str(info.value)
    assert len(str(info.value)) < 400


def test_deeply_nested_file_is_a_value_error_about_nesting(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("[" * 100_000)
    with pytest.raises(ValueError, match=r"not valid JSON .*nested too deeply"):
        load(path)


def test_binary_file_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(ValueError, match=r"load: .* is not a UTF-8 text file"):
        load(path)


def _edit(document: dict[str, Any], change: str) -> Any:
    d = json.loads(json.dumps(document))
    arch, params = d["architecture"], d["parameters"]
    if change == "not an object":
        return [1, 2, 3]
    if change == "wrong format":
        d["format"] = "pickle"
    elif change == "wrong version":
        d["version"] = 2
    elif change == "bool version":
        d["version"] = True
    elif change == "missing group":
        del params["layer 1/neuron 3"]
    elif change.startswith("missing "):
        key = change.removeprefix("missing ")
        if key in d:
            del d[key]
        else:
            del arch[key]
    elif change == "unknown type":
        arch["type"] = "CNN"
    elif change == "unhashable type":
        arch["type"] = ["MLP"]
    elif change == "bool nin":
        arch["nin"] = True
    elif change == "string sizes":
        arch["sizes"] = "31"
    elif change == "empty sizes":
        arch["sizes"] = []
    elif change == "huge format":
        d["format"] = "x" * 1_000_000
    elif change == "non-list group":
        params["layer 1/neuron 1"] = {"w": 1.0}
    elif change == "misnamed group":
        params["layer 01/neuron 1"] = params.pop("layer 1/neuron 1")
    elif change == "bad activation":
        arch["activations"] = ["relu", "swish"]
    elif change == "bad sizes":
        arch["sizes"] = [3, 0]
    elif change == "architecture not an object":
        d["architecture"] = "MLP"
    elif change == "parameters not an object":
        d["parameters"] = [1.0, 2.0]
    elif change == "short group":
        params["layer 1/neuron 2"] = params["layer 1/neuron 2"][:2]
    elif change == "long group":
        params["layer 2/neuron 1"].append(0.5)
    elif change == "short and long group":  # the counts are right, two lengths wrong
        params["layer 1/neuron 2"] = params["layer 1/neuron 2"][:2]
        params["layer 2/neuron 1"].append(0.5)
    elif change == "extra group":
        params["layer 3/neuron 1"] = [1.0]
    elif change == "string parameter":
        params["layer 1/neuron 1"][0] = "0.5"
    elif change == "null parameter":
        params["layer 1/neuron 1"][0] = None
    elif change == "wider architecture":
        arch["sizes"] = [4, 1]
    elif change == "one activation name":
        arch["activations"] = "sigmoid"
    elif change == "hidden activations only":
        arch["activations"] = ["sigmoid"]
    elif change == "too many activations":
        arch["activations"] = ["relu", "linear", "relu"]
    elif change == "activations object":
        arch["activations"] = {"1": "relu", "2": "linear"}
    elif change == "activation not a name":
        arch["activations"] = ["relu", 1]
    elif change == "huge parameter":
        params["layer 1/neuron 2"][1] = 10**400
    else:
        raise AssertionError(change)
    return d


BAD_FILES = {
    "not an object": "expected a JSON object",
    "wrong format": "not an nn model file \\(format 'pickle'",
    "wrong version": "unsupported format version 2; .* reads version 1",
    "bool version": "unsupported format version True",
    "missing format": "the file is missing the key 'format'",
    "missing version": "the file is missing the key 'version'",
    "missing architecture": "the file is missing the key 'architecture'",
    "missing parameters": "the file is missing the key 'parameters'",
    "missing type": "'architecture' is missing the key 'type'",
    "missing sizes": "'architecture' is missing the key 'sizes'",
    "missing activations": "'architecture' is missing the key 'activations'",
    "unknown type": "unknown model type 'CNN'",
    "unhashable type": "unknown model type \\['MLP'\\]",
    "bool nin": "bad architecture: .*nin must be an int, got bool True",
    "string sizes": "bad architecture: .*sizes must be a non-empty list of layer widths, got '31'",
    "empty sizes": "bad architecture: .*sizes must be a non-empty list of layer widths, got \\[\\]",
    "huge format": "not an nn model file \\(format 'xxxx.*\\.\\.\\..*xxx', not",
    "non-list group": "'layer 1/neuron 1' must be a list of numbers, got dict",
    "misnamed group": "missing \\['layer 1/neuron 1'\\], unexpected \\['layer 01/neuron 1'\\]",
    "bad activation": "bad architecture: .*unknown activation 'swish'",
    "bad sizes": "bad architecture: .*must be >= 1",
    "architecture not an object": "'architecture' must be an object",
    "parameters not an object": "'parameters' must be an object",
    # Counted before building: the architecture has 4 groups of 13 numbers in all.
    "short group": (
        "which has 4 parameter group\\(s\\) of 13 number\\(s\\) in all; "
        "the file has 4 group\\(s\\) of 12 number\\(s\\)"
    ),
    "long group": "of 13 number\\(s\\) in all; the file has 4 group\\(s\\) of 14 number\\(s\\)",
    "missing group": "of 13 number\\(s\\) in all; the file has 3 group\\(s\\) of 10 number\\(s\\)",
    "extra group": "of 13 number\\(s\\) in all; the file has 5 group\\(s\\) of 14 number\\(s\\)",
    # Counts that fit: load_state_dict checks each group.
    "short and long group": "'layer 1/neuron 2' has 2 value\\(s\\), the model has 3",
    "string parameter": "'layer 1/neuron 1'\\[0\\] must be a real number, got str '0.5'",
    "null parameter": "must be a real number, got NoneType",
    "wider architecture": "parameters do not fit the architecture",
    # save writes one name per layer; before, the first two loaded as other models (MLP's
    # shorthands: one name for the hidden layers, or a list without the output layer).
    "one activation name": (
        "bad architecture: MLP architecture: activations must be a list of 2 activation "
        "names, one per layer, got 'sigmoid'"
    ),
    "hidden activations only": "activations must be a list of 2 .*, got \\['sigmoid'\\]",
    "too many activations": "activations must be a list of 2 activation names",
    "activations object": "activations must be a list of 2 activation names",
    "activation not a name": "bad architecture: .*layer 2: activation must be a name",
    # Before: OverflowError from math.isfinite(10**400).
    "huge parameter": "'layer 1/neuron 2'\\[1\\] is too large for a float: 1000",
}


@pytest.mark.parametrize("change", list(BAD_FILES))
def test_bad_file_is_rejected_with_a_clear_value_error(tmp_path: Path, change: str) -> None:
    path, document = _saved(tmp_path)
    _write(path, _edit(document, change))
    with pytest.raises(ValueError, match=BAD_FILES[change]) as info:
        load(path)
    assert str(path) in str(info.value)
    assert len(str(info.value)) < 400


def test_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.json")


def test_infinity_in_file_is_rejected(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    text = json.dumps(document).replace(
        str(document["parameters"]["layer 1/neuron 1"][0]), "Infinity", 1
    )
    path.write_text(text)
    with pytest.raises(ValueError, match="must be a finite number, got inf"):
        load(path)


def test_save_rejects_non_modules(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"save: expected an nn\.Module"):
        nn.save(lambda x: x, tmp_path / "f.json")  # type: ignore[arg-type]


# --- hostile files: validated against the architecture before anything is built -------------


def _forbid_building(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make building any model fail loudly: load must reject the file before it builds."""

    def build(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("load built a model before rejecting the file")

    monkeypatch.setattr(nn.serialize, "_build", build)
    monkeypatch.setattr(Neuron, "__init__", build)  # every model is made of Neurons


def test_forbid_building_catches_a_load_that_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check the tests below rely on: a good file is built, so it trips the guard.
    path, _ = _saved(tmp_path)
    _forbid_building(monkeypatch)
    with pytest.raises(AssertionError, match="load built a model"):
        load(path)


@pytest.mark.parametrize(
    "sizes", [[1_000_000, 1], [10**9, 1], [10**18, 10**18]], ids=["1e6", "1e9", "1e18"]
)
def test_inconsistent_huge_architecture_fails_fast_with_a_short_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sizes: list[int]
) -> None:
    # Before: [1000000, 1] took ~11 s to build, [10**9, 1] ran out of memory, and the
    # message listed every missing group (megabytes of text).
    path, document = _saved(tmp_path)
    document["architecture"]["sizes"] = sizes
    _write(path, document)
    assert path.stat().st_size < 500
    _forbid_building(monkeypatch)  # fails fast: no model is built, so no time or memory
    with pytest.raises(ValueError) as info:
        load(path)
    message = str(info.value)
    assert len(message) < 400
    numbers = 3 * sizes[0] + (sizes[0] + 1) * sizes[1]  # nin = 2
    assert message.endswith(
        f"parameters do not fit the architecture, which has {sum(sizes)} parameter group(s) "
        f"of {numbers} number(s) in all; the file has 4 group(s) of 13 number(s)"
    )


@pytest.mark.parametrize(
    ("architecture", "parameters"),
    [
        ({"type": "Neuron", "nin": 10**12, "activation": "relu"}, {"neuron": [1.0, 2.0]}),
        (
            {"type": "Layer", "nin": 10**12, "nout": 1, "activation": "relu"},
            {"neuron 1": [1.0, 2.0]},
        ),
        (
            {"type": "MLP", "nin": 10**12, "sizes": [1], "activations": ["relu"]},
            {"layer 1/neuron 1": [1.0, 2.0]},
        ),
    ],
    ids=["neuron", "layer", "mlp"],
)
def test_huge_fan_in_with_short_groups_fails_fast(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    architecture: dict[str, Any],
    parameters: dict[str, Any],
) -> None:
    document: dict[str, Any] = {"format": "lecturegrad.nn", "version": 1}
    document.update(architecture=architecture, parameters=parameters)
    path = _write(tmp_path / "m.json", document)
    _forbid_building(monkeypatch)  # fails fast: no model of 10**12 weights is built
    counts = f"of {10**12 + 1} number\\(s\\) in all; the file has 1 group\\(s\\) of 2 number\\(s\\)"
    with pytest.raises(ValueError, match=counts):
        load(path)


def test_long_lists_of_names_are_capped(tmp_path: Path) -> None:
    # The counts fit (only the names are wrong), so load_state_dict names the groups.
    path = tmp_path / "m.json"
    MLP(2, [1000, 1]).save(path)
    document = json.loads(path.read_text())
    groups = document["parameters"].values()
    document["parameters"] = {f"junk {i}": values for i, values in enumerate(groups)}
    _write(path, document)
    with pytest.raises(ValueError) as info:
        load(path)
    message = str(info.value)
    assert "missing ['layer 1/neuron 1', 'layer 1/neuron 2', " in message
    assert "'layer 1/neuron 5'] and 996 more" in message
    assert "unexpected ['junk 0', 'junk 1', 'junk 2', 'junk 3', 'junk 4'] and 996 more" in message
    assert len(message) < 500


def test_many_extra_groups_give_a_short_message(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    for i in range(1000):
        document["parameters"][f"junk {i}"] = [0.0]
    _write(path, document)
    with pytest.raises(ValueError, match="the file has 1004 group\\(s\\) of 1013") as info:
        load(path)
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    ("model", "old", "new"),
    [(Layer(2, 3), "neuron 3", "neuron 4"), (Neuron(2), "neuron", "neuron 1")],
    ids=repr,
)
def test_layer_and_neuron_files_are_checked_the_same_way(
    tmp_path: Path, model: Module, old: str, new: str
) -> None:
    path = tmp_path / "m.json"
    model.save(path)
    document = json.loads(path.read_text())
    document["parameters"][new] = document["parameters"].pop(old)
    _write(path, document)
    with pytest.raises(ValueError, match=f"missing \\['{old}'\\], unexpected \\['{new}'\\]"):
        load(path)
    document["parameters"][old] = [0.0, 0.0, 0.0]  # one group too many
    _write(path, document)
    with pytest.raises(ValueError, match="parameters do not fit the architecture, which has"):
        load(path)


@pytest.mark.parametrize(
    "model",
    [
        Neuron(3, "tanh"),
        Layer(2, 4, "sigmoid"),
        MLP(3, [4, 1, 2], activation="relu"),
        MLP(1, [1]),
        MLP(2, [11, 10], activation=["tanh", "linear"]),
    ],
    ids=repr,
)
def test_counts_computed_from_the_config_match_the_built_model(model: Module) -> None:
    from nn.serialize import _counts

    config = model.config()
    groups = model.parameter_groups()
    assert _counts(config["type"], config) == (
        len(groups),
        sum(len(group) for group in groups.values()),
    )
