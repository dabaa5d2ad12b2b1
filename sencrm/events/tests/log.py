"""A picture of the whole event log, to prove that a change only appended to it (nothing rewritten)."""

from __future__ import annotations

from sencrm.events.models import Event


def log_rows() -> dict[int, tuple[object, ...]]:
    """Every event's id → what it says (type, subject, customer, data, time)."""
    return {
        e.pk: (
            e.type,
            e.subject_type_id,
            e.subject_id,
            e.customer_type_id,
            e.customer_id,
            e.data,
            e.occurred_at,
        )
        for e in Event.objects.all()
    }
