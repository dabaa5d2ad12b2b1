# Sen CRM — the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PORT ?= 8000
export DATA_DIR ?= $(CURDIR)/var
PY := .venv/bin/python

.PHONY: setup demo run test lint typecheck pytest pytest-pg browser bench messages clean

setup:            ## virtualenv (uv, uv.lock), front-end assets (npm), compiled translations
	@bash scripts/setup.sh

demo: setup       ## migrate the SQLite database in DATA_DIR, load the demo data, run web server + worker
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@PORT=$(PORT) bash scripts/run.sh

run:              ## run web server + worker without touching the data
	@PORT=$(PORT) bash scripts/run.sh

test:             ## setup, lint, types, pytest on SQLite and PostgreSQL, browser tests
	@bash scripts/test.sh

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck:
	.venv/bin/mypy sencrm

messages:         ## re-extract translatable strings into locale/*/LC_MESSAGES/django.po
	$(PY) manage.py makemessages -l vi -l en --no-obsolete --no-location --no-wrap --ignore=node_modules --ignore=.venv --ignore=static_build --ignore=var --ignore='sencrm/core/tests/*'
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

bench: setup      ## benchmarks (figures go into docs/benchmarks.md)
	$(PY) bench/run.py

clean:
	rm -rf .venv .tools node_modules static_build
