#!/usr/bin/env bash
# Runs the web server and the background worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
# The demo serves plain http on the loopback address: cookies cannot be "Secure" there.
export HTTPS="${HTTPS:-false}"
.venv/bin/python manage.py collectstatic --noinput -v 0
.venv/bin/python manage.py run_huey --workers 2 &
WORKER=$!
.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers 2 --access-logfile - &
WEB=$!
trap 'kill $WORKER $WEB 2>/dev/null; wait' INT TERM EXIT
cat <<MSG

  Sen CRM is running at http://127.0.0.1:$PORT/
  Demo logins (password "demo"): admin, manager, sales1, sales2, marketing, care, tech, board
  Press Ctrl-C to stop the web server and the worker.

MSG
wait -n $WORKER $WEB
