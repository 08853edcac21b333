"""Shared test configuration: Hypothesis profiles, and the fixtures for optional programs.

Under CI (``CI`` set) every optional part is installed, so a test that needs one fails
instead of skipping; locally it skips, saying what is missing.
"""

from __future__ import annotations

import os
import shutil
from types import ModuleType

import pytest
from hypothesis import settings

UNDER_CI = bool(os.environ.get("CI"))

# No deadlines: timing varies on shared CI machines, and tests must not assert on time.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if UNDER_CI else "dev")


def missing(what: str) -> None:
    """Skip the calling test for want of ``what``; under CI, where it must be there, fail."""
    if UNDER_CI:
        pytest.fail(f"{what} is missing, and CI must have it")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    """PyTorch, the oracle of the parity tests (``make oracle`` installs it)."""
    try:
        import torch
    except ImportError:
        missing("PyTorch (make oracle)")
    return torch


@pytest.fixture(scope="session")
def graphviz_dot() -> str:
    """The path of Graphviz's ``dot`` program, which rendering SVG, PNG and PDF needs."""
    path = shutil.which("dot")
    if path is None:
        missing("Graphviz's dot program")
    return path or ""
