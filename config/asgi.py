"""The ASGI application: every page and the API, and the live screen pop's server-sent events
(`/live/events/`, an async view that holds no worker while it waits). scripts/run.sh serves it with
gunicorn and uvicorn workers (config/gunicorn.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
