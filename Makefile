# The two commands a newcomer needs: `make run` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck unit bench lock clean

install: $(STAMP)  ## everything: the server and the test tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The server alone: the test tools (playwright, moto, schemathesis, mypy ...) stay out of it.
$(RUNTIME_STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --constraint requirements.lock --editable .
	touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --constraint requirements.lock --editable ".[test]"
	touch $(STAMP) $(RUNTIME_STAMP)

run: $(RUNTIME_STAMP)  ## serve the API on the embedded default: make run [PORT=8000] [HOST=127.0.0.1]
	$(BIN)/bca serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test: lint typecheck  ## install, lint, type-check and run the whole test suite
	$(BIN)/pytest

unit: install  ## only the fast tests that need no service
	$(BIN)/pytest tests/unit

lock:  ## re-pin every transitive dependency after changing pyproject.toml
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts
