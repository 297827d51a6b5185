# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
# Both create .venv when it is missing and reinstall only when pyproject.toml changed.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

run: $(STAMP)
	$(BIN)/vgconsole $(ARGS)

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style and likely bugs (ruff), types (mypy, strict outside the UI), and the import contracts (services
# never import Textual; providers never import the UI; gateway clients never import the simulator).
lint: $(STAMP)
	$(BIN)/ruff check console tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(STAMP)
	@for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11 or python3 on PATH)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "$(PYTHON) is older than 3.11; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache .import_linter_cache
