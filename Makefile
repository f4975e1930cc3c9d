# Atende: `make run` starts the bot on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck check install install-dev prepare bench fuzz clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# torch is pinned first: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install "torch==2.13.0"
	$(PIP) install -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(PIP) install -e ".[dev]"
	touch $(DEV_STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

# Builds what the main job needs when it is missing (the classifier ships in models/; the KB index is built).
prepare: $(STAMP)
	$(VENV)/bin/atende prepare

run: prepare
	$(VENV)/bin/atende serve

test: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

check: test

bench: $(DEV_STAMP)
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/classifier.py
	$(PY) benchmarks/kb.py
	$(PY) benchmarks/channels.py
	$(PY) benchmarks/triage.py
	$(PY) benchmarks/sla.py
	$(PY) benchmarks/crash.py --kills 20 --conversations 12

# Long fuzzing run (make test runs a bounded one): FUZZ_COUNT cases per parser target, then the APIs.
FUZZ_COUNT ?= 5000
fuzz: $(DEV_STAMP)
	$(PY) benchmarks/fuzz.py --count $(FUZZ_COUNT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
