# The two commands a newcomer needs: `make run` and `make test` (see README); `make` lists the rest.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for `make test` and `make test-fast` (0: one process). One process on
# this machine kind: the suite is CPU-bound (three workers on 2 cores took 37 minutes, one
# process about as long), so workers pay only where there are more cores: TEST_WORKERS=N.
TEST_WORKERS ?= 0
# The tests that need no service (no database, Redis or server process).
UNIT_TESTS ?= tests/test_settings.py tests/test_env_example.py tests/core tests/test_architecture.py \
	tests/test_make.py tests/test_webapp.py

# uv installs the venv from uv.lock. The one on PATH is used when there is one; otherwise a
# copy of this version is installed from PyPI into .uv/ on first use.
UV_VERSION := 0.13.8
ifeq ($(origin UV),undefined)
UV := $(or $(shell command -v uv 2>/dev/null),.uv/bin/uv)
endif
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

# The web app (web/, served at /app/): built into web/dist when it is missing or older than any
# of its sources; npm ci when node_modules is missing or older than package-lock.json.
NPM ?= npm
HAVE_NPM := $(shell command -v $(NPM) 2>/dev/null)
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -path web/dist -prune \
	-o -path web/tests -prune -o -type f -print 2>/dev/null)
WEB_MODULES := web/node_modules/.package-lock.json
WEB_BUILD := web/dist/index.html

.DEFAULT_GOAL := help
.PHONY: help install uv run test lint typecheck unit lock clean web web-or-hint web-check \
	system format test-fast migration migrations-check

help:  ## list these targets
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-10s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

install: $(STAMP)  ## the server and the test tools, exactly as uv.lock pins them

.uv/bin/uv:
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet "uv==$(UV_VERSION)"

uv: | $(UV)  ## install uv if it is missing (CI runs this first)
	@$(UV) --version

# The server alone: the test tools (playwright, moto, schemathesis, mypy ...) stay out of it.
# `uv sync` removes what the lock does not list, test tools included: the full install is then
# due again.
# Bytecode is compiled at install, the packages' and ours: where PYTHONDONTWRITEBYTECODE is set
# (as on this machine kind) every process would otherwise compile every module it imports
# again, about 2.5 s for each `bca` command and each server a test starts.
BYTECODE = $(BIN)/python -m compileall -q -j 0 src
$(RUNTIME_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	$(BYTECODE)
	rm -f $(STAMP)
	touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra test --compile-bytecode
	$(BYTECODE)
	touch $(STAMP) $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP) web-or-hint  ## build the app if due, serve API and app: make run [PORT=8000] [HOST=127.0.0.1]
	$(BIN)/bca serve --host $(HOST) --port $(PORT)

web: $(WEB_BUILD)  ## build the web app into web/dist (npm ci first when due)

$(WEB_MODULES): web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund
	touch $@

$(WEB_BUILD): $(WEB_SOURCES) $(WEB_MODULES)
	cd web && $(NPM) run build
	touch $@

web-or-hint:
ifeq ($(HAVE_NPM),)
	@echo "No Node.js/npm on PATH: serving the API alone; /app/ says how to build the app (Node.js 20.19+)."
else
	@$(MAKE) --no-print-directory web
endif

lint: install  ## the pre-commit hooks on every file (ruff, ruff-format, mypy, import contracts, typos), then migrations-check
	$(BIN)/pre-commit run --all-files --show-diff-on-failure
	@echo "alembic check (models and migrations agree)"
	@$(MIGRATIONS_CHECK)

# Alembic against a throwaway SQLite database (BCA_* set here, so a developer's .env does not
# matter): `alembic check` fails when the models hold a change that no migration makes.
MIGRATION_ENV = dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	export BCA_MODE=embedded BCA_DATA_DIR="$$dir" BCA_DATABASE_URL="sqlite+aiosqlite:///$$dir/bca.db" && \
	$(BIN)/alembic upgrade head
MIGRATIONS_CHECK = $(MIGRATION_ENV) && $(BIN)/alembic check

migrations-check: install  ## models and migrations agree: `alembic check` on a fresh SQLite migrated to head
	@$(MIGRATIONS_CHECK)

migration: install  ## a migration from the models' changes: make migration MESSAGE="add widgets"; read it before committing
	@test -n "$(MESSAGE)" || { echo 'make migration MESSAGE="what it changes"'; exit 2; }
	@last=$$(ls src/bca/migrations/versions | sed -n 's/^\([0-9][0-9][0-9][0-9]\)_.*\.py$$/\1/p' | sort | tail -n 1) && \
	next=$$(printf '%04d' $$(expr "$$last" + 1)) && \
	$(MIGRATION_ENV) && $(BIN)/alembic revision --autogenerate --rev-id "$$next" -m "$(MESSAGE)"
	$(BIN)/ruff format src/bca/migrations/versions
	$(BIN)/ruff check --fix src/bca/migrations/versions

typecheck: install  ## mypy --strict over src and tests alone
	$(BIN)/mypy

system:  ## check the system packages the tests need (CI=true as root: apt installs them)
	@.ci/system-packages

web-check: system $(WEB_MODULES)  ## the app's type check, lint, unit tests and build
	cd web && $(NPM) run typecheck && $(NPM) run lint && $(NPM) test && $(NPM) run build

test: lint web-check  ## install, lint, type-check, the app's checks, unit tests and build, then the whole suite
	$(BYTECODE)
	$(BIN)/pytest -n $(TEST_WORKERS)

unit: install  ## only the fast tests that need no service
	$(BIN)/pytest $(UNIT_TESTS)

test-fast: install  ## while working: SQLite alone, no slow or browser tests: make test-fast [ARGS="tests/cards -x"] [TEST_WORKERS=N]
	BCA_TEST_STACKS=sqlite $(BIN)/pytest -n $(TEST_WORKERS) -m "not slow and not browser" $(ARGS)

format: install  ## rewrite src and tests with ruff format and ruff's safe fixes
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

lock: | $(UV)  ## re-lock uv.lock after changing pyproject.toml (make lock LOCK_FLAGS=--upgrade bumps all)
	$(UV) lock $(LOCK_FLAGS)

clean:  ## remove the venv, uv's copy, caches, local data and the app's build and node_modules
	rm -rf $(VENV) .uv var .pytest_cache .mypy_cache .ruff_cache test-artifacts web/dist web/node_modules
