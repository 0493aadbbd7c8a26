# Two commands: `make demo` sets everything up and runs the platform's main job;
# `make test` sets everything up and runs the checks and the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/thongthin check schemas/catalog
	$(BIN)/thongthin catalog list

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) lint
	$(BIN)/thongthin check schemas/catalog
	$(BIN)/pytest
	THONGTHIN_TEST_DB=postgres $(BIN)/pytest -m db

bench: $(STAMP)
	$(BIN)/thongthin bench validate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
