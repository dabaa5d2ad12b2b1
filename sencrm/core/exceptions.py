from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class StaleRecord(Exception):
    """Raised when a save carries an older version than the stored record (optimistic concurrency)."""

    message = _(
        "Someone else changed this record after you opened it. Your changes were not saved: "
        "reload the record to see the current version, then make your changes again."
    )

    def __init__(self, current_version: int) -> None:
        super().__init__(str(self.message))
        self.current_version = current_version
