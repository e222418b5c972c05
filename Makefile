# Aushang: `make run` starts the example board, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTANCE ?= instances/nordstadt.toml
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run demo init test lint typecheck pytest interop-deps messages en-messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

init: $(STAMP)
	$(BIN)/aushang init --instance $(INSTANCE)

run: init
	$(BIN)/aushang serve --instance $(INSTANCE) --host $(HOST) --port $(PORT)

# Three example boards over TLS that follow and share each other; Ctrl-C stops them.
# DEMO_PORTS=a,b,c and DEMO_DIR=folder choose ports and data folder, DEMO_ARGS=--keep keeps the data.
demo: $(STAMP)
	$(BIN)/python -m demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

interop-deps:
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error

pytest: $(STAMP) interop-deps
	$(BIN)/pytest -q -n 2

test: lint pytest

# Two domains: "messages" (all interface languages) and "staff" (staff pages, de and en).
# New and changed English ids appear with an empty msgstr in every catalogue; `make en-messages`
# then copies the ids into the English catalogues.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o locales/messages.pot --no-location --omit-header .
	$(BIN)/pybabel extract -F babel-staff.cfg -o locales/staff.pot --no-location --omit-header .
	$(BIN)/python tools/split_staff.py locales
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel update -i locales/staff.pot -d locales -D staff --no-fuzzy-matching --ignore-obsolete

en-messages: $(STAMP)
	$(BIN)/python tools/fill_translations.py --copy-ids locales/en/LC_MESSAGES/messages.po
	$(BIN)/python tools/fill_translations.py --copy-ids locales/en/LC_MESSAGES/staff.po

# End-to-end benchmarks (not part of `make test`): BENCH_ARGS=--quick, --json PATH; see README.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
