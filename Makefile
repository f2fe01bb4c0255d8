# inspect_app — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
DB ?= all
PYTEST_ARGS ?= -n 2
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgresql cluster-test fuzz install install-dev translations lint format bench clean

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

# Compiled catalogs are build products (not committed). The English catalog is
# nearly empty on purpose (the msgids are English), so only Vietnamese's
# completeness is reported.
translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d inspect_app/translations -l vi
	@$(BIN)/pybabel compile -d inspect_app/translations -l en >/dev/null

run: install
	$(FLASK) db upgrade
	$(FLASK) refdata load
	$(FLASK) seed-demo
	@HOST=$(HOST) PORT=$(PORT) scripts/run-dev.sh

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
	scripts/with-redis.sh env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgresql:
	@echo "=== test suite on PostgreSQL ==="
	scripts/with-redis.sh scripts/with-postgres.sh $(BIN)/pytest $(PYTEST_ARGS)

# Several machines on this one (needs root): network namespaces for two web hosts
# and two schedulers, HAProxy in front, PostgreSQL, Redis, an S3 server and an SMTP
# sink of its own; a bounded load while a web host and the scheduler leader are
# killed (bench/cluster.py, docs/performance.md § Several machines).
cluster-test: install-dev
	@command -v haproxy >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy redis-server postgresql >/dev/null; }
	$(BIN)/python bench/cluster.py

# The fuzz harness (tests/fuzz) runs in `make test` with FUZZ_EXAMPLES=8 requests per
# route and person; this runs it longer on both databases. The seed is fixed, so more
# examples explore further; reports land in test-artifacts/fuzz-<person>.txt.
FUZZ_EXAMPLES ?= 100

fuzz: install-dev
	@echo "=== fuzz harness, $(FUZZ_EXAMPLES) examples per route and person, SQLite ==="
	env -u DATABASE_URL FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)
	@echo "=== fuzz harness, $(FUZZ_EXAMPLES) examples per route and person, PostgreSQL ==="
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) scripts/with-postgres.sh $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)

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

# The benchmark against PostgreSQL with bulk data (not part of `make test`): seeds
# BENCH_CASES cases once (resumable), then prints and records bench/results/<date>.json.
BENCH_DATABASE_URL ?= postgresql://$(or $(PGUSER),postgres)@$(or $(PGHOST),127.0.0.1):$(or $(PGPORT),5432)/inspect_bench
BENCH_CASES ?= 1000000
BENCH_ARGS ?=
BENCH_ENV := DATABASE_URL=$(BENCH_DATABASE_URL) UPLOAD_ROOT=$(CURDIR)/instance/bench-uploads

bench: install
	@pg_isready -q -d "$(BENCH_DATABASE_URL)" || { echo "PostgreSQL is not reachable at $(BENCH_DATABASE_URL)"; exit 1; }
	@psql "$(BENCH_DATABASE_URL)" -Atqc 'select 1' >/dev/null 2>&1 || \
		psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc 'CREATE DATABASE "$(notdir $(BENCH_DATABASE_URL))"'
	$(BENCH_ENV) $(FLASK) db upgrade
	$(BENCH_ENV) $(FLASK) refdata load
	$(BENCH_ENV) $(FLASK) seed-bulk --cases $(BENCH_CASES)
	psql "$(BENCH_DATABASE_URL)" -qc 'VACUUM (ANALYZE) cases, reports, photos, case_notes, audit_events'
	$(BENCH_ENV) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
