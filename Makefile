# The README's two commands are `make run` and `make test`; both set themselves up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: install run test lint bench
install: $(BIN)/.installed

## run: the caseworkers' API on the embedded SQLite database, migrations applied, policies loaded
run: install
	$(BIN)/eligibility serve

## test: lint, type-check and the whole test suite
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done
