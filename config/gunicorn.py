"""gunicorn settings (scripts/run.sh and the HTTP benchmark start the server with this file)."""
