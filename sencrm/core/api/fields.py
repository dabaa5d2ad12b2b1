"""Serializer fields that every API serializer gets (see CoreConfig.ready)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers


class ApiDateTimeField(serializers.DateTimeField):
    """ISO 8601 in the user's time zone, as DRF's; but a moment whose offset there has seconds (local
    mean time before ~1906 in Asia/Ho_Chi_Minh: +07:06:30) is written in UTC, since RFC 3339 (the
    schema's date-time) allows no seconds in an offset."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            local = self.enforce_timezone(value)
            offset = local.utcoffset()
            if offset is not None and offset.total_seconds() % 60:
                return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return super().to_representation(value)
