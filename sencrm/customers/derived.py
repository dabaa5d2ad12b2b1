"""The fields contacts and accounts derive from their name, phones and emails — one function per
record type, used by the services (one record) and the spine's bulk path (imports) alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sencrm.core.keys import name_keys, search_fields
from sencrm.customers.models import Account, Contact, Email, Phone
from sencrm.events.children import Spec
from sencrm.events.children import register as register_spec


def contact_derived(values: Mapping[str, Any], e164s: Sequence[str], emails: Sequence[str]) -> dict[str, Any]:
    """Name parts and sort key (lists sort by the given name), search key, primary phone and email."""
    family, middle, given, sort_key, folded = name_keys(values.get("full_name") or "")
    return {
        "family_name": family,
        "middle_name": middle,
        "given_name": given,
        "sort_key": sort_key,
        **search_fields([folded], e164s, emails),
    }


def account_derived(values: Mapping[str, Any], e164s: Sequence[str], emails: Sequence[str]) -> dict[str, Any]:
    """Sort key (the folded name), search key (with the tax code), primary phone and email."""
    folded = name_keys(values.get("name") or "")[4]
    return {"sort_key": folded, **search_fields([folded], e164s, emails, values.get("tax_code") or "")}


def register() -> None:
    """Called from CustomersConfig.ready(): how the spine writes contacts' and accounts' children."""

    register_spec(
        Spec(Contact, Phone, "contact_id", Email, "contact_id", contact_derived, phone_label=True, tags=True)
    )
    register_spec(
        Spec(
            Account,
            Phone,
            "account_id",
            Email,
            "account_id",
            account_derived,
            name_field="name",
            phone_label=True,
        )
    )
