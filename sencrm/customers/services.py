"""Writes for accounts and contacts: every one goes through the spine (access gate + event)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from sencrm.core.phones import to_e164
from sencrm.core.text import clean_text
from sencrm.customers.consents import Answers, consents_write
from sencrm.customers.derived import account_derived, contact_derived
from sencrm.customers.models import Account, Contact, Tag
from sencrm.customfields import custom_fields
from sencrm.events.children import refresh_derived, write_children
from sencrm.events.services import record_create, record_delete, record_update

TEXT_FIELDS = {"full_name", "name", "ward", "street", "notes", "title", "industry", "tax_code"}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """NFC-normalise text on the way in (forms, API and imports alike)."""
    cleaned = dict(data)
    for name in TEXT_FIELDS & cleaned.keys():
        if cleaned[name] is not None:
            cleaned[name] = clean_text(cleaned[name]) if name != "notes" else str(cleaned[name]).strip()
    return cleaned


def normalise_phones(phones: Iterable[dict[str, str] | str]) -> list[dict[str, str]]:
    """[{number, label}] → validated, de-duplicated by E.164 (ValidationError names the bad ones)."""
    result: list[dict[str, str]] = []
    seen: set[str] = set()
    bad = []
    for item in phones:
        entry = {"number": item} if isinstance(item, str) else dict(item)
        number = clean_text(entry.get("number", ""))
        if not number:
            continue
        e164 = to_e164(number)
        if e164 is None:
            bad.append(number)
            continue
        if e164 not in seen:
            seen.add(e164)
            result.append({"number": number, "e164": e164, "label": entry.get("label") or "mobile"})
    if bad:
        raise ValidationError(
            {"phones": _("Not a valid phone number: %(numbers)s") % {"numbers": ", ".join(bad)[:200]}}
        )
    return result


def normalise_emails(emails: Iterable[str]) -> list[str]:
    from django.core.validators import validate_email

    result: list[str] = []
    bad = []
    for raw in emails:
        address = clean_text(raw)
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
            continue
        if address.lower() not in {a.lower() for a in result}:
            result.append(address)
    if bad:
        raise ValidationError(
            {"emails": _("Not a valid email address: %(emails)s") % {"emails": ", ".join(bad)[:200]}}
        )
    return result


def _refresh_search_key(customer: Contact | Account) -> None:
    """The derived fields again, from the phones and emails in the database (a merge moves them)."""
    refresh_derived(customer)


@transaction.atomic
def contact_create(
    *,
    actor: Any,
    data: dict[str, Any],
    phones: Iterable[dict[str, str] | str] = (),
    emails: Iterable[str] = (),
    tags: list[Tag] | None = None,
    consents: Answers | None = None,
    owner: Any = None,
    team: Any = None,
    actor_label: str = "",
) -> Contact:
    data = _clean(data)
    data["custom_field_data"] = custom_fields.validate(
        Contact, data.get("custom_field_data") or {}, partial=False
    )
    phone_rows, email_rows = normalise_phones(phones), normalise_emails(emails)
    data.update(contact_derived(data, [p["e164"] for p in phone_rows], email_rows))

    def children(contact: Contact) -> dict[str, list[Any]]:
        return {
            **write_children(contact, phone_rows, email_rows, tags),
            **consents_write(contact, consents, actor=actor),
        }

    return record_create(
        Contact, actor=actor, data=data, owner=owner, team=team, actor_label=actor_label, related=children
    )


@transaction.atomic
def contact_update(
    contact: Contact,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    phones: Iterable[dict[str, str] | str] | None = None,
    emails: Iterable[str] | None = None,
    tags: list[Tag] | None = None,
    consents: Answers | None = None,
    actor_label: str = "",
) -> Contact:
    changes = _clean(changes)
    if "custom_field_data" in changes:
        changes["custom_field_data"] = custom_fields.validate(
            Contact, changes["custom_field_data"] or {}, partial=True, existing=contact.custom_field_data
        )
    phone_rows = normalise_phones(phones) if phones is not None else None
    email_rows = normalise_emails(emails) if emails is not None else None

    def children(current: Contact) -> dict[str, list[Any]]:
        return {
            **write_children(current, phone_rows, email_rows, tags),
            **consents_write(current, consents, actor=actor),
        }

    return record_update(
        contact, actor=actor, changes=changes, version=version, actor_label=actor_label, related=children
    )


def contact_delete(contact: Contact, *, actor: Any) -> Contact:
    return record_delete(contact, actor=actor)


@transaction.atomic
def account_create(
    *,
    actor: Any,
    data: dict[str, Any],
    phones: Iterable[dict[str, str] | str] = (),
    emails: Iterable[str] = (),
    owner: Any = None,
    team: Any = None,
    actor_label: str = "",
) -> Account:
    data = _clean(data)
    data["custom_field_data"] = custom_fields.validate(
        Account, data.get("custom_field_data") or {}, partial=False
    )
    phone_rows, email_rows = normalise_phones(phones), normalise_emails(emails)
    data.update(account_derived(data, [p["e164"] for p in phone_rows], email_rows))
    return record_create(
        Account,
        actor=actor,
        data=data,
        owner=owner,
        team=team,
        actor_label=actor_label,
        related=lambda a: write_children(a, phone_rows, email_rows),
    )


@transaction.atomic
def account_update(
    account: Account,
    *,
    actor: Any,
    changes: dict[str, Any],
    version: int | None,
    phones: Iterable[dict[str, str] | str] | None = None,
    emails: Iterable[str] | None = None,
) -> Account:
    changes = _clean(changes)
    if "custom_field_data" in changes:
        changes["custom_field_data"] = custom_fields.validate(
            Account, changes["custom_field_data"] or {}, partial=True, existing=account.custom_field_data
        )
    phone_rows = normalise_phones(phones) if phones is not None else None
    email_rows = normalise_emails(emails) if emails is not None else None
    return record_update(
        account,
        actor=actor,
        changes=changes,
        version=version,
        related=lambda a: write_children(a, phone_rows, email_rows),
    )


def account_delete(account: Account, *, actor: Any) -> Account:
    return record_delete(account, actor=actor)


BULK_ACTIONS = ("assign", "add_tag", "remove_tag", "set_group", "set_stage", "delete")


def contacts_bulk_apply(*, actor: Any, ids: list[int], action: str, value: Any = None) -> dict[str, int]:
    """Apply one change to many contacts, each through its service (gate, version, event).

    Contacts the actor may not change are skipped and counted, never touched.
    """
    from sencrm.core import access
    from sencrm.core.exceptions import StaleRecord
    from sencrm.core.modules import Action

    if action not in BULK_ACTIONS:
        raise ValueError(action)
    gate_action = Action.DELETE if action == "delete" else Action.EDIT
    allowed = access.scope(actor, Contact, gate_action).filter(pk__in=ids).prefetch_related("tags")
    result = {"done": 0, "skipped": 0, "failed": 0}
    seen = 0
    for contact in allowed.iterator(chunk_size=500):
        seen += 1
        try:
            with transaction.atomic():
                if action == "delete":
                    contact_delete(contact, actor=actor)
                elif action in ("add_tag", "remove_tag"):
                    tags = {t.pk: t for t in contact.tags.all()}
                    if action == "add_tag":
                        tags[value.pk] = value
                    else:
                        tags.pop(value.pk, None)
                    contact_update(contact, actor=actor, changes={}, version=None, tags=list(tags.values()))
                else:
                    field = {
                        "assign": "owner",
                        "set_group": "customer_group",
                        "set_stage": "lifecycle_stage",
                    }[action]
                    contact_update(contact, actor=actor, changes={field: value}, version=None)
        except (ValidationError, PermissionDenied, Http404, StaleRecord):
            # This contact is left as it was (its own transaction rolled back); the others go on.
            result["failed"] += 1
            continue
        result["done"] += 1
    result["skipped"] = len(set(ids)) - seen
    return result


# The lifecycle only moves forward through business rules (a rule never demotes a customer).
_LIFECYCLE_ORDER = ["target", "lead", "prospect", "customer"]


def customer_promote(
    customer: Contact | Account, *, stage: str, actor: Any, actor_label: str = ""
) -> Contact | Account:
    """Move a customer forward in the lifecycle because of something that happened elsewhere (a deal
    won, an order signed): a business rule, so not gated by the actor's right to edit the customer.
    Recorded as an update on the customer's timeline; a customer already there is left as it is."""
    current = customer.lifecycle_stage
    if current == stage:
        return customer
    if current in _LIFECYCLE_ORDER and _LIFECYCLE_ORDER.index(current) > _LIFECYCLE_ORDER.index(stage):
        return customer
    return record_update(
        customer,
        actor=actor,
        changes={"lifecycle_stage": stage},
        version=None,
        actor_label=actor_label,
        system=True,
    )


def customer_groups_ensure(names: list[str]) -> dict[str, int]:
    """{name: id} of these customer groups, creating the missing ones (imports name new groups)."""
    from sencrm.customers.models import CustomerGroup

    result = {}
    for name in names:
        group = CustomerGroup.objects.filter(name__iexact=clean_text(name)[:80]).first()
        group = group or CustomerGroup.objects.create(name=clean_text(name)[:80])
        result[name] = group.pk
    return result


def tags_ensure(names: list[str]) -> dict[str, int]:
    """{name: id} of these tags, creating the missing ones."""
    result = {}
    for name in names:
        tag = Tag.objects.filter(name__iexact=clean_text(name)[:50]).first()
        tag = tag or Tag.objects.create(name=clean_text(name)[:50])
        result[name] = tag.pk
    return result
