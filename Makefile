# The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

SOURCES := domain eventstore api projections audit tests bench

export REGISTRY_TEST_DATABASE_URL ?= postgresql://root@127.0.0.1:5432/test

.PHONY: install run test test-long lint check-database clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-* && touch $@

## Serve on http://127.0.0.1:8000 with the embedded SQLite store; loads the demo on first start.
run: install
	$(BIN)/registry demo --if-empty --admin-key
	$(BIN)/registry serve

## Run the whole test suite, including the PostgreSQL and browser tests, on two workers (pyproject addopts).
test: install check-database
	$(BIN)/python -m pytest

## The same tests searching further: more generated cases, races and retries (tests/depth.py); about 20 minutes.
test-long: install check-database
	REGISTRY_TEST_DEPTH=long $(BIN)/python -m pytest

check-database: install
	@$(BIN)/python -m tests.check_database

## Lint: ruff (rules and formatting), mypy --strict over the packages and the tests, the layer contracts.
lint: install
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

## Benchmarks on PostgreSQL, as ratios to raw baselines from the same run; writes bench/RESULTS.md.
## 1,000,000 events take 15 to 24 minutes on 2 cores; bench-quick runs every scenario small on 10,000 (about a minute).
.PHONY: bench bench-quick
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
