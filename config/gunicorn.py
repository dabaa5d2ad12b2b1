"""gunicorn settings (scripts/run.sh and the HTTP benchmark start the server with this file)."""

from __future__ import annotations

import gc
from typing import Any

GC_THRESHOLDS = (10_000, 20, 100)


def post_worker_init(worker: Any) -> None:
    """Once the worker has loaded Django, move everything alive (apps, URL patterns, templates, the
    schema…) out of the garbage collector's reach: a full collection then no longer walks it in the
    middle of a request. Full collections were the slow mode of the API lists' p95 (docs/benchmarks.md,
    "Commerce (issue 13)").

    Then collect less often: a 50-row API page leaves about 1 MB of cyclic garbage (model instances and
    their prefetch caches), so the default thresholds (700, 10, 10) ran a full collection every 13
    requests or so — the slow 5 % of list and search. With (10000, 20, 100) the young generations are
    collected every request or two and a full collection is rare; memory stays bounded (docs/benchmarks.md,
    "Search and list: the garbage collector")."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
