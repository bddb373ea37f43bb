# GridSafe: `make demo` brings up the 仙游县 demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PYTEST_ARGS ?=

# Python keeps its bytecode caches (__pycache__, ignored by git) even where the environment says not to
# (PYTHONDONTWRITEBYTECODE=1 on our machines): without them every test worker and every `gridsafe` process compiles
# the project from source and pytest rewrites the asserts of 250 test modules again, 10 s of CPU per worker's
# collection instead of 4 (an empty value counts as unset).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: setup demo test test-js check lint typecheck openapi clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml package-lock.json
	@command -v npm >/dev/null || { echo "GridSafe needs Node.js >= 20 with npm for its page libraries"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "GridSafe needs Python >= 3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/gridsafe demo

# Three workers on two cores: the browser tests wait on Chromium, on timers and on network quiet, and with two workers
# a core idled 40 % of the run; the third fills those waits (SQLite 4:37 -> 3:43, a fourth: 4:00; bench/README.md).
test: setup test-js
	$(BIN)/python -m compileall -q -j 0 gridsafe conftest.py >/dev/null  # once, not in each worker: 0.6 s
	$(BIN)/python -m pytest -q -n 3 --dist worksteal $(PYTEST_ARGS)

# The field app's modules under node's own test runner (outbox, sync, router, GPS rules): no packages needed.
test-js:
	node --test tests/js/*.test.mjs

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over services, selectors, permissions and transitions ([tool.mypy] in pyproject.toml); cache in .mypy_cache.
typecheck: setup
	$(BIN)/mypy

check: lint typecheck
	$(BIN)/lint-imports
	$(BIN)/gridsafe makemigrations --check --dry-run
	$(BIN)/gridsafe check

openapi: setup
	$(BIN)/gridsafe export_openapi > gridsafe/openapi.json

clean:
	rm -rf $(VENV) var
