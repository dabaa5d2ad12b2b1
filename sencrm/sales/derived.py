"""The fields leads derive from their name, company, phones and emails — one function, used by the
lead services (one lead) and the spine's bulk path (imports) alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sencrm.core.keys import name_keys, search_fields
from sencrm.core.text import fold
from sencrm.events.children import Spec
from sencrm.events.children import register as register_spec
from sencrm.sales.choices import LeadStatus
from sencrm.sales.models import Lead, LeadEmail, LeadPhone


def lead_derived(values: Mapping[str, Any], e164s: Sequence[str], emails: Sequence[str]) -> dict[str, Any]:
    """Sort key (given name first), search key (name, company, phones, emails), primary phone and email."""
    _family, _middle, _given, sort_key, folded = name_keys(values.get("full_name") or "")
    return {"sort_key": sort_key, **search_fields([folded, fold(values.get("company") or "")], e164s, emails)}


def lead_refused(values: Mapping[str, Any]) -> str | None:
    """A converted lead belongs to its contact now: bulk updates leave it alone (as lead_update does)."""
    return "converted" if values.get("status") == LeadStatus.CONVERTED else None


def register() -> None:
    """Called from SalesConfig.ready(): how the spine writes leads' children."""

    register_spec(
        Spec(
            Lead,
            LeadPhone,
            "lead_id",
            LeadEmail,
            "lead_id",
            lead_derived,
            refuse=lead_refused,
            refuse_fields=("status",),
        )  # fmt: skip
    )
