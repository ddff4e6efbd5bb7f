# Baogong: `make run` serves the demo (with a background-job worker when a Redis answers at
# REDIS_URL or 127.0.0.1:6379), `make test` runs the whole suite.
# Both set up everything they need first (system packages when run as root, .venv, requirements,
# compiled translations, database migrations).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
export FLASK_APP := app

.PHONY: run test system-deps system-deps-test translations extract-messages lint db-upgrade

run: system-deps $(VENV)/.runtime translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	@scripts/serve.sh $(BIN) $(PORT) $(WORKERS)

test: system-deps-test $(VENV)/.dev translations
	$(BIN)/pytest $(PYTEST_ARGS)

system-deps:
	@PYTHON=$(PYTHON) scripts/system-deps.sh run

system-deps-test:
	@PYTHON=$(PYTHON) scripts/system-deps.sh test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Compiled catalogues (.mo) are built, never committed.
translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -d translations

# After adding user-facing strings: extract them, then translate the new entries in the .po file.
extract-messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --project Baogong --ignore-dirs '.* _* tests migrations bench' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

db-upgrade: $(VENV)/.runtime
	$(BIN)/flask db upgrade

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
