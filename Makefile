# hotline1999 — `make run` serves the system on SQLite; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup setup-dev run db test test-sqlite test-postgres lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

db: setup
	$(FLASK) db upgrade
	$(FLASK) seed

run: db
	@echo ""
	@echo "  hotline1999 is starting: console http://$(HOST):$(PORT)/console/live, API http://$(HOST):$(PORT)/api/v1/docs"
	@echo "  Create a first user (prints its API token; --password lets it log in to the console):"
	@echo "    $(FLASK) user create admin --role admin --password '…'"
	@echo ""
	$(BIN)/gunicorn --workers 1 --threads 100 --bind $(HOST):$(PORT) 'wsgi:app_with_worker()'

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: setup-dev
	$(BIN)/pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL ($$TEST_DATABASE_URL)"; \
		HOTLINE_TEST_BACKEND=postgresql $(BIN)/pytest -q; \
	fi

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
