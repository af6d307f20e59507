# Two commands set up a fresh clone: `make render` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: render check test fuzz lint coverage bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

render: $(STAMP)  ## render catalog/ into rendered/
	$(BIN)/generator render

check: $(STAMP)  ## fail if rendered/ is stale or the catalog is invalid (what pre-commit runs)
	$(BIN)/generator lint
	$(BIN)/generator render --check

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest -q

fuzz: $(STAMP)  ## the property-based tests of tests/fuzz/ with many more cases (minutes)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/fuzz

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check generator tests
	$(BIN)/ruff format --check generator tests
	$(BIN)/mypy

coverage: $(STAMP)  ## the test suite under coverage; lists the lines of generator/ no test runs
	$(BIN)/python -m coverage run --source=generator -m pytest -q
	$(BIN)/python -m coverage report --skip-covered --show-missing

bench: $(STAMP)  ## every benchmark under tests/perf/
	@for script in tests/perf/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .generator-cache build *.egg-info
