# The two commands: `make demo` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: test lint typecheck pytest bench soak demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict aura_async _aura_async_pytest_plugin.py

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# Benchmarks print ratios measured in one run; not part of `make test`.
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py

# The long fault-injection soak (a short seeded one runs in `make test`).
soak: $(STAMP)
	AURA_SOAK_CALLS=$${AURA_SOAK_CALLS:-20000} $(BIN)/pytest -q tests/soak --timeout=1800

demo: $(STAMP)
	$(BIN)/aura-async demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
