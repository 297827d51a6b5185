# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
# Both create .venv when it is missing and reinstall only when pyproject.toml changed; `make run`
# installs what running needs, `make test` adds the test tools.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# The suite runs in this many processes (pytest-xdist): most of its time is spent waiting on loopback
# servers and simulated calls, so two workers on two cores take about half as long. 0 runs it in one.
TEST_WORKERS ?= 2

.PHONY: run test lint bench clean

run: $(RUN_STAMP)
	$(BIN)/vgconsole $(ARGS)

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Style and likely bugs (ruff), types (mypy, strict outside the UI), and the import contracts (services
# never import Textual; providers never import the UI; gateway clients never import the simulator).
lint: $(TEST_STAMP)
	$(BIN)/ruff check console tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(TEST_STAMP)
	@for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11 or python3 on PATH)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "$(PYTHON) is older than 3.11; set PYTHON=/path/to/python3.11"; exit 1; }
	@echo "vgconsole: creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "vgconsole: installing into $(VENV) (the first time takes about half a minute; again only when"
	@echo "           pyproject.toml changes)"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e .
	@touch $@
	@echo "vgconsole: installed; starting on the built-in simulator (no credentials needed)"

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	@echo "vgconsole: installing with the test tools into $(VENV) (the first time takes a minute or two)"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache .import_linter_cache
