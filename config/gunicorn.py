"""gunicorn settings (scripts/run.sh and the HTTP benchmark start the server with this file)."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded Django, move everything alive (apps, URL patterns, templates, the
    schema…) out of the garbage collector's reach: a full collection then no longer walks it in the
    middle of a request. Full collections were the slow mode of the API lists' p95 (docs/benchmarks.md,
    "Commerce (issue 13)")."""
    gc.freeze()
