# One command per gate. Everything installs from this repository's own files:
# uv (pinned) bootstraps into .tools/, the locked Python deps into .venv/,
# Apollo's reference implementations (test oracles) into tests/oracle/node_modules,
# GraphiQL's browser bundles (served by the router) into router/server/graphiql/node_modules.
# The browser tests drive Debian's chromium, which `make test` installs with apt-get.

UV_VERSION := 0.13.8
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
ORACLE := tests/oracle
GRAPHIQL := router/server/graphiql
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test lint format bench bench-tools sdl clean

install: $(VENV)/.synced-compiled $(GRAPHIQL)/node_modules/.installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI machines) every
# process would otherwise compile each module it imports, ~2 CPU-seconds per service start.
$(VENV)/.synced-compiled: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

# Our own packages too (compileall writes even under PYTHONDONTWRITEBYTECODE; a stale .pyc is
# never used, Python checks the source's time and size).
COMPILE := $(BIN)/python -m compileall -q -j 0 -x /node_modules/ router schema subgraphs switchboard sandbox bench

$(ORACLE)/node_modules/.installed: $(ORACLE)/package.json $(ORACLE)/package-lock.json
	npm ci --prefix $(ORACLE) --no-audit --no-fund --loglevel=error
	@touch $@

$(GRAPHIQL)/node_modules/.installed: $(GRAPHIQL)/package.json $(GRAPHIQL)/package-lock.json
	@command -v npm >/dev/null || { echo "GraphiQL's assets come from npm: install Node.js and npm first (apt-get install -y nodejs npm)." >&2; exit 1; }
	npm ci --prefix $(GRAPHIQL) --no-audit --no-fund --loglevel=error
	@touch $@

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "The browser tests need Chromium at $(CHROMIUM) (Debian's chromium package)." >&2; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

run: install
	@$(COMPILE) >/dev/null
	$(BIN)/switchboard dev

test: install $(ORACLE)/node_modules/.installed $(CHROMIUM)
	@$(COMPILE) >/dev/null
	$(BIN)/pytest -n 4 --dist loadfile --no-loadscope-reorder

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

sdl: install
	$(BIN)/switchboard export-sdl

BENCH_NODE := bench/gateways

# The gateways workload's load generator (wrk) and the overhead workload's instruction counter
# (valgrind): Debian's packages, installed with apt-get when missing.
bench-tools:
	@for tool in wrk valgrind; do command -v $$tool >/dev/null || command -v apt-get >/dev/null || { echo "make bench needs $$tool: install it with your distribution's package manager (brew on macOS)." >&2; exit 1; }; done
	@command -v wrk >/dev/null && command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk valgrind; }

$(BENCH_NODE)/node_modules/.installed: $(BENCH_NODE)/package.json $(BENCH_NODE)/package-lock.json
	npm ci --prefix $(BENCH_NODE) --no-audit --no-fund --loglevel=error
	@touch $@

# Loopback only, bounded: ~15 minutes with the defaults (hard stop at 30); BENCH_ARGS="--workloads big-response" etc.
bench: install $(BENCH_NODE)/node_modules/.installed bench-tools
	$(UV) sync --frozen --quiet --compile-bytecode --group bench
	timeout 1800 $(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) $(ORACLE)/node_modules $(GRAPHIQL)/node_modules data .pytest_cache .mypy_cache .ruff_cache
