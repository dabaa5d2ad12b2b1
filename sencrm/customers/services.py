"""Writes for accounts and contacts: every one goes through the spine (access gate + event)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core.phones import display, search_digits, to_e164
from sencrm.core.text import clean_text, fold, name_sort_key, split_vietnamese_name
from sencrm.customers.models import Account, Consent, Contact, Email, Phone, Tag
from sencrm.customfields import custom_fields
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


def _owner_kwargs(customer: Contact | Account) -> dict[str, Any]:
    return {"contact": customer} if isinstance(customer, Contact) else {"account": customer}


def _write_children(
    customer: Contact | Account,
    phones: list[dict[str, str]] | None,
    emails: list[str] | None,
    tags: list[Tag] | None = None,
) -> dict[str, list[Any]]:
    """Replace phones/emails/tags when given; refresh the search key; return what changed."""
    changed: dict[str, list[Any]] = {}
    owner = _owner_kwargs(customer)
    if phones is not None:
        before = [p.number for p in customer.phones.all()]
        after = [p["number"] for p in phones]
        if before != after:
            customer.phones.all().delete()
            Phone.objects.bulk_create(
                Phone(number=p["number"], e164=p["e164"], label=p["label"], position=i, **owner)
                for i, p in enumerate(phones)
            )
            changed["phones"] = [before, after]
    if emails is not None:
        before = [e.address for e in customer.emails.all()]
        if before != emails:
            customer.emails.all().delete()
            Email.objects.bulk_create(
                Email(address=a, address_key=a.lower(), position=i, **owner) for i, a in enumerate(emails)
            )
            changed["emails"] = [before, emails]
    if tags is not None and isinstance(customer, Contact):
        before = sorted(t.name for t in customer.tags.all())
        after = sorted(t.name for t in tags)
        if before != after:
            customer.tags.set(tags)
            changed["tags"] = [before, after]
    _refresh_search_key(customer)
    return changed


def _refresh_search_key(customer: Contact | Account) -> None:
    name = customer.full_name if isinstance(customer, Contact) else customer.name
    parts = [fold(name)]
    parts += [search_digits(e) for e in customer.phones.values_list("e164", flat=True)]
    parts += list(customer.emails.values_list("address_key", flat=True))
    if isinstance(customer, Account) and customer.tax_code:
        parts.append(customer.tax_code)
    key = " ".join(p for p in parts if p)
    first_phone = customer.phones.order_by("position", "id").values_list("e164", flat=True).first()
    first_email = customer.emails.order_by("position", "id").values_list("address", flat=True).first()
    derived = {"search_key": key, "primary_phone": display(first_phone), "primary_email": first_email or ""}
    type(customer).all_objects.filter(pk=customer.pk).update(**derived)
    for name, value in derived.items():
        setattr(customer, name, value)


def _derive_contact_names(data: dict[str, Any]) -> None:
    if "full_name" in data:
        family, middle, given = split_vietnamese_name(data["full_name"])
        data.update(
            family_name=family,
            middle_name=middle,
            given_name=given,
            sort_key=name_sort_key(data["full_name"]),
        )


def _set_consents(contact: Contact, consents: dict[str, dict[str, Any]] | None) -> dict[str, list[Any]]:
    """{channel: {granted, source}}; a change of answer is recorded with its date and source."""
    if consents is None:
        return {}
    changed: dict[str, list[Any]] = {}
    current = {c.channel: c for c in contact.consents.all()}
    for channel, answer in consents.items():
        granted = answer.get("granted")
        existing = current.get(channel)
        if granted is None:
            continue
        if existing is None or existing.granted != bool(granted):
            Consent.objects.update_or_create(
                contact=contact,
                channel=channel,
                defaults={
                    "granted": bool(granted),
                    "recorded_at": answer.get("at") or timezone.now(),
                    "source": clean_text(answer.get("source", ""))[:200],
                },
            )
            changed[f"consent_{channel}"] = [existing.granted if existing else None, bool(granted)]
    return changed


@transaction.atomic
def contact_create(
    *,
    actor: Any,
    data: dict[str, Any],
    phones: Iterable[dict[str, str] | str] = (),
    emails: Iterable[str] = (),
    tags: list[Tag] | None = None,
    consents: dict[str, dict[str, Any]] | None = None,
    owner: Any = None,
    team: Any = None,
    actor_label: str = "",
) -> Contact:
    data = _clean(data)
    _derive_contact_names(data)
    data["custom_field_data"] = custom_fields.validate(
        Contact, data.get("custom_field_data") or {}, partial=False
    )
    phone_rows, email_rows = normalise_phones(phones), normalise_emails(emails)

    def children(contact: Contact) -> dict[str, list[Any]]:
        return {**_write_children(contact, phone_rows, email_rows, tags), **_set_consents(contact, consents)}

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
    consents: dict[str, dict[str, Any]] | None = None,
    actor_label: str = "",
) -> Contact:
    changes = _clean(changes)
    _derive_contact_names(changes)
    if "custom_field_data" in changes:
        changes["custom_field_data"] = custom_fields.validate(
            Contact, changes["custom_field_data"] or {}, partial=True, existing=contact.custom_field_data
        )
    phone_rows = normalise_phones(phones) if phones is not None else None
    email_rows = normalise_emails(emails) if emails is not None else None

    def children(current: Contact) -> dict[str, list[Any]]:
        return {**_write_children(current, phone_rows, email_rows, tags), **_set_consents(current, consents)}

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
    if "name" in data:
        data["sort_key"] = fold(data["name"])
    data["custom_field_data"] = custom_fields.validate(
        Account, data.get("custom_field_data") or {}, partial=False
    )
    phone_rows, email_rows = normalise_phones(phones), normalise_emails(emails)
    return record_create(
        Account,
        actor=actor,
        data=data,
        owner=owner,
        team=team,
        actor_label=actor_label,
        related=lambda a: _write_children(a, phone_rows, email_rows),
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
    if "name" in changes:
        changes["sort_key"] = fold(changes["name"])
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
        related=lambda a: _write_children(a, phone_rows, email_rows),
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


# --- Imports (sencrm/imports): many rows at once, through the same rules ----------------------
# The batch writers compute these derived fields exactly as the functions above do (_derive_contact_names,
# _refresh_search_key), gate every batch, and write one event per record.


def _search_fields(folded: str, e164s: list[str], emails: list[str], *extra: str) -> dict[str, str]:
    from sencrm.imports.values import fast_display

    parts = [folded, *(search_digits(e) for e in e164s), *(a.lower() for a in emails), *extra]
    return {
        "search_key": " ".join(p for p in parts if p),
        "primary_phone": fast_display(e164s[0]) if e164s else "",
        "primary_email": emails[0] if emails else "",
    }


def _contact_derived(values: dict[str, Any], e164s: list[str], emails: list[str]) -> dict[str, Any]:
    from sencrm.imports.values import name_keys

    # = split_vietnamese_name, name_sort_key and fold of the name (word by word, cached)
    family, middle, given, sort_key, folded = name_keys(values["full_name"])
    return {
        "family_name": family,
        "middle_name": middle,
        "given_name": given,
        "sort_key": sort_key,
        **_search_fields(folded, e164s, emails),
    }


def _account_derived(values: dict[str, Any], e164s: list[str], emails: list[str]) -> dict[str, Any]:
    from sencrm.imports.values import name_keys

    folded = name_keys(values["name"])[4]
    return {"sort_key": folded, **_search_fields(folded, e164s, emails, values.get("tax_code") or "")}


def import_kind(model: type[Contact] | type[Account]) -> Any:
    """How contacts or accounts are written in batches (sencrm.imports.bulk.Kind)."""
    from sencrm.imports.bulk import Kind

    if model is Contact:
        return Kind(
            Contact, Phone, "contact_id", Email, "contact_id", _contact_derived, phone_label=True, tags=True
        )
    return Kind(
        Account,
        Phone,
        "account_id",
        Email,
        "account_id",
        _account_derived,
        name_field="name",
        phone_label=True,
    )


@transaction.atomic
def contacts_import_batch(
    *, actor: Any, job: Any, creates: list[Any], updates: list[Any], prepared: Any = None
) -> Any:
    """Create and update a batch of imported contacts (see sencrm.imports.bulk)."""
    from sencrm.core import access
    from sencrm.core.modules import Action, Module
    from sencrm.imports.bulk import write_batch

    access.check_module(actor, Module.CUSTOMERS, Action.IMPORT)
    return write_batch(
        import_kind(Contact), actor=actor, job=job, creates=creates, updates=updates, prepared=prepared
    )


@transaction.atomic
def accounts_import_batch(
    *, actor: Any, job: Any, creates: list[Any], updates: list[Any], prepared: Any = None
) -> Any:
    from sencrm.core import access
    from sencrm.core.modules import Action, Module
    from sencrm.imports.bulk import write_batch

    access.check_module(actor, Module.CUSTOMERS, Action.IMPORT)
    return write_batch(
        import_kind(Account), actor=actor, job=job, creates=creates, updates=updates, prepared=prepared
    )


@transaction.atomic
def customers_import_undo(
    model: type[Contact] | type[Account],
    *,
    actor: Any,
    job: Any,
    created_ids: list[int],
    updated: dict[str, Any],
    versions: dict[int, int],
) -> Any:
    """Undo one batch of an import: created records to the trash, updated ones back to their old values."""
    from sencrm.core import access
    from sencrm.core.modules import Action, Module
    from sencrm.imports.undo import undo_batch

    access.check_module(actor, Module.CUSTOMERS, Action.IMPORT)
    return undo_batch(
        import_kind(model), actor=actor, job=job, created_ids=created_ids, updated=updated, versions=versions
    )


def customer_groups_ensure(names: list[str]) -> dict[str, int]:
    """{folded name: id} of these customer groups, creating the missing ones (imports name new groups)."""
    from sencrm.customers.models import CustomerGroup
    from sencrm.imports.lookups import key

    result = {}
    for name in names:
        group = CustomerGroup.objects.filter(name__iexact=clean_text(name)[:80]).first()
        group = group or CustomerGroup.objects.create(name=clean_text(name)[:80])
        result[key(name)] = group.pk
    return result


def tags_ensure(names: list[str]) -> dict[str, int]:
    """{folded name: id} of these tags, creating the missing ones."""
    from sencrm.imports.lookups import key

    result = {}
    for name in names:
        tag = Tag.objects.filter(name__iexact=clean_text(name)[:50]).first()
        tag = tag or Tag.objects.create(name=clean_text(name)[:50])
        result[key(name)] = tag.pk
    return result
