"""Imported leads (sencrm/imports): batches through the same rules as lead_create/lead_update —
derived fields as `_write_children` computes them, the access gate, one event per lead."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.phones import search_digits
from sencrm.core.text import fold
from sencrm.sales.choices import LeadStatus
from sencrm.sales.models import Lead, LeadEmail, LeadPhone


def _lead_derived(values: dict[str, Any], e164s: list[str], emails: list[str]) -> dict[str, Any]:
    from sencrm.imports.values import fast_display, name_keys

    _family, _middle, _given, sort_key, folded = name_keys(values["full_name"])
    parts = [folded, fold(values.get("company") or ""), *(search_digits(e) for e in e164s)]
    parts += [a.lower() for a in emails]
    return {
        "sort_key": sort_key,
        "search_key": " ".join(p for p in parts if p),
        "primary_phone": fast_display(e164s[0]) if e164s else "",
        "primary_email": emails[0] if emails else "",
    }


def _refuse(values: dict[str, Any]) -> str | None:
    # A converted lead belongs to its contact now (lead_update refuses such changes too).
    return "converted" if values.get("status") == LeadStatus.CONVERTED else None


def import_kind() -> Any:
    """How leads are written in batches (sencrm.imports.bulk.Kind)."""
    from sencrm.imports.bulk import Kind

    return Kind(
        Lead,
        LeadPhone,
        "lead_id",
        LeadEmail,
        "lead_id",
        _lead_derived,
        refuse=_refuse,
        refuse_fields=("status",),
    )


@transaction.atomic
def leads_import_batch(
    *, actor: Any, job: Any, creates: list[Any], updates: list[Any], prepared: Any = None
) -> Any:
    """Create and update a batch of imported leads (see sencrm.imports.bulk)."""
    from sencrm.imports.bulk import write_batch

    access.check_module(actor, Module.LEADS, Action.IMPORT)
    return write_batch(
        import_kind(), actor=actor, job=job, creates=creates, updates=updates, prepared=prepared
    )


@transaction.atomic
def leads_import_undo(
    *, actor: Any, job: Any, created_ids: list[int], updated: dict[str, Any], versions: dict[int, int]
) -> Any:
    from sencrm.imports.undo import undo_batch

    access.check_module(actor, Module.LEADS, Action.IMPORT)
    return undo_batch(
        import_kind(), actor=actor, job=job, created_ids=created_ids, updated=updated, versions=versions
    )
