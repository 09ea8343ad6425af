# The two commands: `make demo` and `make test`. Both bootstrap .venv on a fresh machine.
# Release checks (run by .ci/run after `make test`): `make docs`, `make dist`, `make wheel-check`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
DOCS_STAMP := $(VENV)/.installed-docs
RELEASE_STAMP := $(VENV)/.installed-release
# A fresh venv for the built wheel, outside the checkout (ignored by git, ruff and pytest).
WHEEL_VENV := build/wheel-venv

.PHONY: test lint typecheck pytest bench soak demo docs dist wheel-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $(DOCS_STAMP)

$(RELEASE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,release]'
	touch $(RELEASE_STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict aura_async _aura_async_pytest_plugin.py tests/typing
	$(BIN)/mypy --strict examples

# A warm venv includes Python's bytecode caches (__pycache__, ignored by git): without
# them every test subprocess (CLI, workers, servers) compiles the package again.
unexport PYTHONDONTWRITEBYTECODE

# The suite runs as three pytest runs at once, by what their checks depend on. The
# timed tests (marked slow or alone: windows, utilisation and admission delays measured
# on real clocks, with several processes or thousands of calls) run at normal priority,
# four workers, each xdist group and each alone test on a worker of its own. The
# adversarial suite runs in one process, in asyncio debug and development mode, where
# every warning is an error (pytest-asyncio sets the loop's debug mode from
# --asyncio-debug, not from PYTHONASYNCIODEBUG): it must leave no task, session or
# unseen exception, and some of its checks are timed too. Everything else (the
# bulk of the suite: counts, shapes, command lines) runs at a lower priority (nice),
# on four workers (`PYTEST_WORKERS=0`: one process), so it takes only the CPU the
# timed tests leave. Ruff and mypy run beside them, at the same low priority.
PYTEST_WORKERS ?= 4
NICE := nice -n 10
TIMED := slow or alone

test: $(STAMP)
	$(MAKE) --no-print-directory -j -Otarget static pytest-timed pytest-adversarial pytest-rest

pytest: $(STAMP)
	$(MAKE) --no-print-directory -j -Otarget pytest-timed pytest-adversarial pytest-rest

.PHONY: static pytest-timed pytest-adversarial pytest-rest
static: $(STAMP)
	$(NICE) $(MAKE) --no-print-directory lint typecheck

pytest-timed: $(STAMP)
	$(BIN)/pytest -q -n 4 --dist loadgroup -m "$(TIMED)" --ignore=tests/adversarial

pytest-adversarial: $(STAMP)
	PYTHONASYNCIODEBUG=1 PYTHONDEVMODE=1 PYTHONWARNINGS=error \
		$(BIN)/pytest -q -n 0 --asyncio-debug tests/adversarial

pytest-rest: $(STAMP)
	$(NICE) $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup -m "not ($(TIMED))" \
		--ignore=tests/adversarial

# Benchmarks print ratios measured in one run; not part of `make test`.
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py

# The long fault-injection soak and the Redis processes at full scale (short runs of
# both are part of `make test`).
soak: $(STAMP)
	AURA_SOAK_CALLS=$${AURA_SOAK_CALLS:-20000} $(BIN)/pytest -q tests/soak --timeout=1800
	AURA_REDIS_CALLS_EACH=$${AURA_REDIS_CALLS_EACH:-250} $(BIN)/pytest -q tests/redis/test_redis_processes.py tests/redis/test_redis_cluster.py
	AURA_REDIS_FULL_SCALE=1 $(BIN)/pytest -q tests/redis/test_redis_faults.py tests/redis/test_redis_crash.py

demo: $(STAMP)
	$(BIN)/aura-async demo

# The API reference (site/), built from the docstrings; any warning fails the build
# (not --quiet: it hides the warnings, and then --strict passes).
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The sdist and the wheel (dist/), checked as PyPI would.
dist: $(RELEASE_STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

# The built wheel installed into a fresh venv runs the demo against its own emulator.
wheel-check: dist
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet "$$(ls dist/*.whl)[cli]"
	cd $(WHEEL_VENV) && bin/python -I $(CURDIR)/scripts/wheel_check.py
	cd $(WHEEL_VENV) && bin/aura-async demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site dist build
