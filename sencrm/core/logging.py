"""Logging filters of the product."""

from __future__ import annotations

import logging


class OneLineClientErrors(logging.Filter):
    """An expected 4xx (a 403 for a missing right, a 404 for a record outside the scope) is one line in
    the server log, not a traceback: Django logs PermissionDenied with its exception attached. 5xx keep
    their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
