"""Exit 0 when the PostgreSQL server of the given URL accepts connections (used by scripts/test.sh)."""

import sys

import psycopg

url = sys.argv[1]
# Connect to the maintenance database: the test database itself is created by the test run.
base, _, _ = url.rpartition("/")
try:
    psycopg.connect(f"{base}/postgres", connect_timeout=3).close()
except psycopg.OperationalError as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
