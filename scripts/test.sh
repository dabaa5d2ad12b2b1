#!/usr/bin/env bash
# `make test`: set-up, lint, types, pytest on SQLite and on PostgreSQL, browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
SETUP_BROWSER=1 bash scripts/setup.sh

# Tests never touch the demo data: they get a data directory of their own.
DATA_DIR="$(mktemp -d)"
export DATA_DIR
trap 'rm -rf "$DATA_DIR"' EXIT
unset DATABASE_URL REDIS_URL

echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Tests run in parallel (pytest-xdist): one worker per core, each with its own database.
WORKERS="${TEST_WORKERS:-auto}"
echo "==> mypy sencrm (strict)"
.venv/bin/mypy sencrm

echo "==> pytest on SQLite"
.venv/bin/pytest -m "not browser" -q -n "$WORKERS"

PG_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/sencrm}"
if .venv/bin/python scripts/pg_ready.py "$PG_URL"; then
  echo "==> pytest on PostgreSQL ($PG_URL, a fresh test database): the tests that use the database"
  # The others (a third: parsers, settings, PDFs, worker processes on their own SQLite file) cannot
  # reach the database and just ran on SQLite (conftest.py, DB_TESTS_ONLY).
  DB_TESTS_ONLY=1 DATABASE_URL="$PG_URL" .venv/bin/pytest -m "not browser" -q --create-db -n "$WORKERS"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PG_URL: CI requires it." >&2
  exit 1
else
  echo "!! PostgreSQL is not reachable at $PG_URL: skipped (outside CI only)." >&2
fi

echo "==> browser tests (Playwright + Chromium)"
.venv/bin/pytest -m browser -q
