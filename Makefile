# Two commands: `make demo` sets everything up and runs the platform's main job;
# `make test` sets everything up and runs the checks and the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean system
.PHONY: bench-postgres serve
# Test processes per pass (pytest-xdist); the machines we test on have two cores.
TEST_WORKERS ?= 2

$(STAMP): pyproject.toml clients/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	$(BIN)/pip install --quiet -e clients/python
	touch $(STAMP)

# Checks the catalog, migrates the embedded SQLite database in ./var, seeds เทศบาลเมืองแม่เหียะ
# with every service and an officer per role, then serves on http://127.0.0.1:8000/maehia/
demo: $(STAMP)
	$(BIN)/thongthin check schemas/catalog
	$(BIN)/thongthin demo --port $(or $(PORT),8000)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Debian packages the tests use (Chromium, poppler, NSS tools, SoftHSM2; installed as root when
# missing) and PostgreSQL on 127.0.0.1:5432 (started when it is installed but stopped).
system:
	tools/test-system.sh

test: $(STAMP) system lint
	$(BIN)/thongthin check schemas/catalog
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
	THONGTHIN_TEST_DB=postgres $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile -m db

bench: $(STAMP)
	$(BIN)/thongthin bench validate
	$(BIN)/thongthin bench submit
	$(BIN)/thongthin bench documents
	$(BIN)/thongthin bench billing
	$(BIN)/thongthin bench payments
	$(BIN)/thongthin bench scale

# The database benchmarks again on a throw-away PostgreSQL database (127.0.0.1:5432).
bench-postgres: $(STAMP)
	$(BIN)/thongthin bench submit --backend postgres
	$(BIN)/thongthin bench billing --backend postgres
	$(BIN)/thongthin bench payments --backend postgres
	$(BIN)/thongthin bench scale --backend postgres

# Production settings through gunicorn: DATABASE_URL, SECRET_KEY, S3_* come from the environment.
serve: $(STAMP)
	$(BIN)/thongthin db upgrade
	$(BIN)/thongthin serve --bind $(or $(BIND),127.0.0.1:8000)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
