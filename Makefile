# One command per gate. Everything installs from this repository's own files:
# uv (pinned) bootstraps into .tools/, the locked Python deps into .venv/,
# Apollo's reference implementations (test oracles) into tests/oracle/node_modules.

UV_VERSION := 0.13.8
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
ORACLE := tests/oracle

.PHONY: install run test lint format bench sdl clean

install: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

$(ORACLE)/node_modules/.installed: $(ORACLE)/package.json $(ORACLE)/package-lock.json
	npm ci --prefix $(ORACLE) --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(BIN)/switchboard dev

test: install $(ORACLE)/node_modules/.installed
	$(BIN)/pytest

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

sdl: install
	$(BIN)/switchboard export-sdl

clean:
	rm -rf $(VENV) $(TOOLS) $(ORACLE)/node_modules data .pytest_cache .mypy_cache .ruff_cache
