# The two commands: `make run` (serve an instance) and `make test` (every check CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck layers alembic-check node-deps pytest screenshots bench soak crash fuzz demo tour clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fediverse-skills needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/fediverse-skills migrate
	$(BIN)/fediverse-skills serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(MAKE) --no-print-directory lint typecheck layers alembic-check pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

layers: $(VENV)/.installed-test
	$(BIN)/lint-imports

# `alembic check` needs a database at head: use a throwaway SQLite file.
# (tests/test_migrations.py makes the same comparison on PostgreSQL.)
alembic-check: $(VENV)/.installed-test
	@tmp=$$(mktemp -d) && \
	export FEDSKILLS_ENV_FILE=/dev/null FEDSKILLS_DATABASE_URL="sqlite+aiosqlite:///$$tmp/check.db" && \
	$(BIN)/alembic -q upgrade head && $(BIN)/alembic check; rc=$$?; rm -rf "$$tmp"; exit $$rc

FEDIFY_PEER := tests/peers/fedify

# npm dependencies of the Fedify interop peer (tests/peers/fedify.py); reinstalled when the
# lock changes.
$(FEDIFY_PEER)/node_modules/.installed: $(FEDIFY_PEER)/package.json $(FEDIFY_PEER)/package-lock.json | $(VENV)/.installed-test
	$(BIN)/python -m tests.peers.fedify && touch $@

AXE := tests/browser/axe

# axe-core for the accessibility checks of the browser tests (tests/browser/harness.py).
$(AXE)/node_modules/.installed: $(AXE)/package.json $(AXE)/package-lock.json | $(VENV)/.installed-test
	$(BIN)/python -m tests.browser.harness && touch $@

# npm dependencies of the Fedify peer and of the browser tests.
node-deps: $(VENV)/.installed-test
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
		$(MAKE) --no-print-directory $(FEDIFY_PEER)/node_modules/.installed $(AXE)/node_modules/.installed; \
	else echo "make: node/npm not found; the Fedify interop and browser accessibility tests will be skipped (failed under CI=true)"; fi

pytest: node-deps
	$(BIN)/pytest

# Full-page PNGs of the pages the browser tests visit, in docs/screenshots/.
screenshots: node-deps
	FEDSKILLS_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/browser -q

# Benchmarks whose baselines are measured in the same run (bench/README.md).
# `make bench BENCH_ARGS=--quick` is the ~1 min smoke test; BENCH_ARGS="--only proofs,profile" runs two.
BENCH_ARGS ?=

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $@ $(VENV)/.installed $(VENV)/.installed-test

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Five minutes of mixed traffic at the knee, on SQLite; exits 1 if a request fails or RSS is not
# flat within 10 % (bench/README.md). SOAK_ARGS="--database postgresql --duration 600".
SOAK_ARGS ?=

soak: $(VENV)/.installed-bench
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# Crash safety at full size: 10,000 signed activities per database while kill -9 hits the
# server and the workers (tests/crash.py); prints the figures. `make test` runs a smaller count.
CRASH_ACTIVITIES ?= 10000

crash: $(VENV)/.installed-test
	FEDSKILLS_TEST_CRASH_ACTIVITIES=$(CRASH_ACTIVITIES) $(BIN)/pytest tests/test_crash_safety.py -k kill_9 -s

# The long fuzz run (tests/fuzz): over 100,000 Hypothesis and schemathesis inputs against the inbox
# and the JSON API, SQLite and PostgreSQL in parallel; prints the inputs per target. `make test`
# runs a few hundred. FUZZ_SCALE=0.1 for a shorter run.
FUZZ_SCALE ?= 1

fuzz: $(VENV)/.installed-test
	FEDSKILLS_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/python -m tests.fuzz.run

# Three seeded instances on 127.0.0.1 to click around in, until Ctrl-C (docs/demo.py).
# DEMO_ARGS="--port-base 8001" picks the ports.
DEMO_ARGS ?=

demo: $(VENV)/.installed
	$(BIN)/python docs/demo.py $(DEMO_ARGS)

# Three instances and a Fedify peer on 127.0.0.1: suggest, accept, endorse, verify, tamper.
tour: $(VENV)/.installed-test
	$(BIN)/python docs/demo_skills.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info \
		$(FEDIFY_PEER)/node_modules $(AXE)/node_modules
