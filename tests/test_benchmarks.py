"""The benchmark suite's quick mode: the comparisons with micrograd are of the same work.

``benchmarks/suite.py --quick`` runs every workload at tiny sizes and exits non-zero when a
correctness check fails (final losses, gradients, micrograd actually running).  Speed is
never asserted here.  Skipped when micrograd is not installed (``make bench-quick`` and the
``dev`` extra install it), except under CI.
"""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

# Under CI (env CI set) micrograd must be there, so a missing one fails instead of skipping.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("micrograd") is None and not os.environ.get("CI"),
    reason="micrograd is not installed (make bench-quick installs it)",
)


@pytest.mark.slow
def test_quick_suite_checks_pass_and_writes_nothing(tmp_path: Path) -> None:
    results = BENCHMARKS / "results.md"
    before = results.read_bytes() if results.exists() else None
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "suite.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    for workload in ("W1", "W2", "W3", "W4"):
        assert f"| {workload} " in table
    assert "CHECK FAILED" not in done.stderr
    assert "all contenders agree" in done.stderr  # W1 compared the final losses
    assert "RecursionError" in table  # W2: micrograd's recursive sort fails, and says so
    assert "not judged (quick)" in table
    assert "**NO**" not in table  # quick mode never judges a target
    assert list(tmp_path.iterdir()) == []
    assert (results.read_bytes() if results.exists() else None) == before


def load_benchmark(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` as a module, its sibling imports kept out of other tests."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # suite.py imports its sibling modules by name; dataclasses look the module up by name.
    sys.path.insert(0, str(BENCHMARKS))
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
        for sibling in (spec.name, "workloads", "timing", "floor"):
            sys.modules.pop(sibling, None)
    return module


def test_a_disagreeing_loss_is_a_failed_check() -> None:
    suite = load_benchmark("suite")
    run = suite.Run(suite.QUICK, quick=True)
    run.agree("same", 0.5, 0.5 + 1e-10, suite.LOSS_TOLERANCE)
    assert run.failures == []
    run.agree("different", 0.5, 0.5 + 1e-8, suite.LOSS_TOLERANCE)
    assert len(run.failures) == 1 and "different" in run.failures[0]
    assert run.judge(0.2, 0.1) == "not judged (quick)"
    assert suite.Run(suite.FULL, quick=False).judge(0.2, 0.1) == "**NO**"
    assert suite.Run(suite.FULL, quick=False).judge(0.05, 0.1) == "yes"


@pytest.mark.parametrize("engine", ["BareValue", "MinimalValue"])
def test_the_floor_engines_compute_w3_exactly(engine: str) -> None:
    # W3's gradients are exact in any engine (d/da_i = 1.0 * b_i), and the forward is the
    # same additions in the same order as the builtin sum of floats.
    value = getattr(load_benchmark("floor"), engine)
    rng = random.Random(3)
    a = [rng.uniform(-1, 1) for _ in range(50)]
    b = [rng.uniform(-1, 1) for _ in range(50)]
    xs, ys = [value(v) for v in a], [value(v) for v in b]
    root = sum(x * y for x, y in zip(xs, ys))
    root.backward()
    assert root.data == sum(p * q for p, q in zip(a, b))
    assert [x.grad for x in xs] == b
    assert [y.grad for y in ys] == a


def test_the_minimal_floor_engine_has_what_it_claims() -> None:
    floor = load_benchmark("floor")
    value = floor.MinimalValue
    x = value(3.0, label="x")
    y = x * x + 1
    y.backward()
    y.backward()
    assert x.grad == 12.0  # gradients accumulate: 2 * (2 * 3)
    with pytest.raises(TypeError, match="MinimalValue"):
        value("3")
    with pytest.raises(ValueError, match="NaN"):
        value(float("nan"))
    with pytest.raises(TypeError, match=r"\+"):
        x + "1"
    with pytest.raises(OverflowError):
        value(1e308) * value(1e308)
    with floor.minimal_no_grad():
        z = x * x
    assert type(z) is value and z.data == 9.0  # a leaf: nothing recorded
