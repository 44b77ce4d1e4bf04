# The README's two commands are `make run` and `make test`; both set themselves up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: install run test lint bench policies-checked
# An editable install leaves the package's own modules uncompiled, and where Python may not write
# bytecode (PYTHONDONTWRITEBYTECODE, a read-only checkout) every command compiles them again at
# start (a fifth of a second of `eligibility batch`); compiled here, as pip does for a regular
# install.  Only files changed since are compiled again.
install: $(BIN)/.installed
	$(BIN)/python -m compileall -q eligibility api bot db batch cli

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

## policies-checked: run the bundled policies' examples and, if they pass, record their version
## (eligibility/policies/examples-passed.txt), so `load_bundled` need not run them at each start
policies-checked: install
	$(BIN)/python -c "import pathlib; from eligibility.policy import bundled_sources, load_policy_set; \
	version = load_policy_set(bundled_sources()).version; \
	pathlib.Path('eligibility/policies/examples-passed.txt').write_text(version + '\\n')"
