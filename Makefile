# Quick start: `make demo` runs the flagship demo, `make test` runs every check.
# Both create .venv with $(PYTHON) (3.10 or newer) and install the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test lint typecheck pytest demo oracle bench bench-quick clean

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

# Benchmarks (benchmarks/suite.py): our engine and micrograd 0.1.0 from PyPI, alternating in
# one run; the table is printed and written to benchmarks/results.md.  PyTorch (the oracle
# extra) is the baseline of the compiled row.  bench-quick (CI) checks the comparisons at
# tiny sizes, judges no timing and writes nothing.
bench: | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[bench,oracle]'
	$(BIN)/python benchmarks/suite.py

bench-quick: | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/suite.py --quick

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
