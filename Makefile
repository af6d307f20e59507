# Two commands set up a fresh clone: `make render` and `make test`.
# Installs come from the hash-locked requirements/*.txt (see docs/development.md, "Locks").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet
LOCKS := requirements/runtime.txt requirements/build.txt
RUNTIME := $(VENV)/.runtime-$(shell cat pyproject.toml $(LOCKS) | cksum | cut -d' ' -f1)
DEV := $(VENV)/.dev-$(shell cat pyproject.toml $(LOCKS) requirements/dev.txt | cksum | cut -d' ' -f1)

.PHONY: render check test fuzz lint coverage bench lock clean

# Runtime only: what `generator render` needs, exactly as locked; the project itself without
# its dependencies (they all came from the lock) and without a build environment download.
$(RUNTIME): pyproject.toml $(LOCKS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r requirements/runtime.txt -r requirements/build.txt
	$(PIP) --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.runtime-* && touch $@

# Test and lint tooling on top, from the dev lock.
$(DEV): $(RUNTIME) requirements/dev.txt
	$(PIP) --require-hashes -r requirements/dev.txt
	@rm -f $(VENV)/.dev-* && touch $@

render: $(RUNTIME)  ## render catalog/ into rendered/
	$(BIN)/generator render

check: $(RUNTIME)  ## fail if the catalog is invalid or rendered/ is stale (pre-commit, CI)
	$(BIN)/generator lint
	$(BIN)/generator render --check

test: $(DEV)  ## the whole test suite (it also checks your own catalog/, when there is one)
	$(BIN)/python -m pytest -q

fuzz: $(DEV)  ## the property-based tests of tests/fuzz/ with many more cases (minutes)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/fuzz

lint: $(DEV)  ## ruff, mypy --strict on generator/, tests type-checked
	$(BIN)/ruff check generator tests
	$(BIN)/ruff format --check generator tests
	$(BIN)/mypy

coverage: $(DEV)  ## the test suite under coverage; the report prints even when a test fails
	$(BIN)/python -m coverage run --source=generator -m pytest -q; status=$$?; \
	$(BIN)/python -m coverage report --skip-covered --show-missing; exit $$status

bench: $(DEV)  ## every benchmark under tests/perf/
	@for script in tests/perf/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Regenerates the locks from pyproject.toml and requirements/build.in; needs uv on PATH
# (`pip install uv`). `make lock UPGRADE=--upgrade` moves every pin to the newest release
# that pyproject.toml allows. Commit the three files together.
UV_COMPILE := uv pip compile $(UPGRADE) --universal --python-version 3.11 --generate-hashes --quiet
lock:
	$(UV_COMPILE) pyproject.toml -o requirements/runtime.txt
	$(UV_COMPILE) pyproject.toml --extra dev -o requirements/dev.txt
	$(UV_COMPILE) requirements/build.in -o requirements/build.txt

clean:
	rm -rf $(VENV) .generator-cache build *.egg-info
