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
# The ASGI application under gunicorn's uvicorn workers: pages and the API as before (each request's
# Django code runs in a thread), and the screen pop's server-sent events (/live/events/) held open by the
# event loop without tying up a worker. With REDIS_URL set, a call event received by one worker reaches
# a browser connected to the other; without Redis the messages stay inside one process, so one worker
# (it serves requests in threads).
WORKERS=2; [ -n "${REDIS_URL:-}" ] || WORKERS=1
.venv/bin/gunicorn config.asgi:application --config config/gunicorn.py \
  --worker-class uvicorn_worker.UvicornWorker --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --graceful-timeout 5 --access-logfile - &
WEB=$!
trap 'kill $WORKER $WEB 2>/dev/null; wait' INT TERM EXIT
cat <<MSG

  Sen CRM is running at http://127.0.0.1:$PORT/
  Demo logins (password "demo"): admin, manager, sales1, sales2, marketing, care, tech, board
  Press Ctrl-C to stop the web server and the worker.

MSG
wait -n $WORKER $WEB
