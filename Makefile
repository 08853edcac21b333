# Quick start: `make demo` runs the flagship demo, `make test` runs every check.
# Both create .venv with $(PYTHON) (3.10 or newer) and install the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test lint typecheck pytest demo oracle bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python 3.10 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.dev-installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

$(VENV)/.demos-installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[demos]'
	touch $@

test: lint typecheck pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check autograd nn demos tests benchmarks

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy autograd nn

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest

demo: $(VENV)/.demos-installed
	$(BIN)/python -m demos deep

# PyTorch as a test oracle (tests/test_torch_oracle.py); CI installs it, locally optional.
oracle: $(VENV)/.dev-installed
	$(BIN)/python -m pip install -q -e '.[oracle]'

# Benchmarks print ratios against karpathy's micrograd, measured side by side in one run.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_render.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
