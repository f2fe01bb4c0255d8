# inspect_app — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
DB ?= all
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgresql install install-dev translations lint format bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 found (see above)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

# Compiled catalogs are build products (not committed).
translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d inspect_app/translations

run: install
	$(FLASK) db upgrade
	$(FLASK) refdata load
	$(FLASK) seed-demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev
	@scripts/ensure-chromium.sh
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
ifeq ($(DB),sqlite)
	$(MAKE) --no-print-directory test-sqlite
else ifeq ($(DB),postgresql)
	$(MAKE) --no-print-directory test-postgresql
else
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql
endif

test-sqlite:
	@echo "=== test suite on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgresql:
	@echo "=== test suite on PostgreSQL ==="
	scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Update the message catalogs after changing user-facing text.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k Nn_:1,2 -o inspect_app/translations/messages.pot .
	$(BIN)/pybabel update -i inspect_app/translations/messages.pot -d inspect_app/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
