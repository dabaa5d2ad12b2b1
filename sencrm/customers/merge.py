"""Merging two contacts: the survivor keeps everything of both, in one transaction, on the timeline."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.customers.models import Consent, Contact, Email, Phone
from sencrm.events.models import Event
from sencrm.events.services import event_emit, record_update

# Fields an empty survivor takes from the loser.
FILLABLE = [
    "gender",
    "date_of_birth",
    "title",
    "account",
    "province",
    "ward",
    "street",
    "customer_group",
    "source",
    "notes",
]


def merge_preview(survivor: Contact, loser: Contact) -> dict[str, Any]:
    """What the merge would do: fields the survivor gains, phones/emails it adds, counts it moves."""
    filled = {
        name: getattr(loser, name)
        for name in FILLABLE
        if getattr(survivor, name) in (None, "") and getattr(loser, name) not in (None, "")
    }
    have_phones = set(survivor.phones.values_list("e164", flat=True))
    have_emails = set(survivor.emails.values_list("address_key", flat=True))
    return {
        "filled": filled,
        "phones": [p for p in loser.phones.all() if p.e164 not in have_phones],
        "emails": [e for e in loser.emails.all() if e.address_key not in have_emails],
    }


def _repoint_related(survivor: Contact, loser: Contact) -> dict[str, int]:
    """Every other row that points at the loser points at the survivor (found from the models' metadata,
    so a module added later is covered without changing this function)."""
    moved: dict[str, int] = {}
    for rel in Contact._meta.related_objects:
        model: Any = rel.related_model
        if model in (Phone, Email, Consent):
            continue  # de-duplicated above
        if rel.many_to_many:
            through: Any = rel.through  # type: ignore[attr-defined]
            fks = [f for f in through._meta.fields if f.is_relation]
            mine = next(f for f in fks if f.related_model is Contact)
            other = next(f for f in fks if f is not mine)
            kept = list(
                through._default_manager.filter(**{mine.name: survivor}).values_list(other.attname, flat=True)
            )
            rows = through._default_manager.filter(**{mine.name: loser})
            rows.filter(**{f"{other.attname}__in": kept}).delete()
            count = rows.update(**{mine.name: survivor})
        else:
            count = model._base_manager.filter(**{rel.field.name: loser}).update(**{rel.field.name: survivor})
        if count:
            moved[model._meta.label] = count
    return moved


def _refresh(contact: Contact) -> dict[str, list[Any]]:
    from sencrm.customers.services import _refresh_search_key

    _refresh_search_key(contact)
    return {}


@transaction.atomic
def contact_merge(*, actor: Any, survivor: Contact, loser: Contact) -> Contact:
    if survivor.pk == loser.pk:
        raise ValidationError(_("A contact cannot be merged with itself."))
    survivor = Contact.all_objects.select_for_update().get(pk=survivor.pk)
    loser = Contact.all_objects.select_for_update().get(pk=loser.pk)
    access.check(actor, Action.EDIT, survivor)
    access.check(actor, Action.DELETE, loser)
    if survivor.is_deleted or loser.is_deleted:
        raise ValidationError(_("Deleted contacts cannot be merged; restore them first."))

    preview = merge_preview(survivor, loser)
    # Phones, emails and consents: the survivor keeps its own and gains the loser's others.
    Phone.objects.filter(pk__in=[p.pk for p in preview["phones"]]).update(contact=survivor)
    Email.objects.filter(pk__in=[e.pk for e in preview["emails"]]).update(contact=survivor)
    mine = {c.channel: c for c in survivor.consents.all()}
    for consent in loser.consents.all():
        current = mine.get(consent.channel)
        if current is None:
            consent.contact = survivor
            consent.save(update_fields=["contact"])
        elif consent.recorded_at > current.recorded_at:
            current.granted, current.recorded_at, current.source = (
                consent.granted,
                consent.recorded_at,
                consent.source,
            )
            current.save(update_fields=["granted", "recorded_at", "source"])
    # What the survivor already had (same number, address or channel) is redundant: the loser's
    # copies go, so that no row points at the loser; its event history keeps them.
    loser.phones.all().delete()
    loser.emails.all().delete()
    loser.consents.all().delete()
    survivor.tags.add(*loser.tags.all())
    loser.tags.clear()
    moved = _repoint_related(survivor, loser)
    # The loser's journey becomes the survivor's (its own audit trail stays under its id).
    ct = ContentType.objects.get_for_model(Contact)
    moved["events"] = Event.objects.filter(customer_type=ct, customer_id=loser.pk).update(
        customer_id=survivor.pk
    )

    changes: dict[str, Any] = dict(preview["filled"])
    if loser.first_touch_at and (
        survivor.first_touch_at is None or loser.first_touch_at < survivor.first_touch_at
    ):
        changes["first_touch_at"] = loser.first_touch_at
    survivor = record_update(survivor, actor=actor, changes=changes, version=None, related=_refresh)
    Contact.all_objects.filter(pk=loser.pk).update(
        merged_into=survivor, deleted_at=timezone.now(), deleted_by=actor, version=models.F("version") + 1
    )
    event_emit(
        type="contact.merged",
        subject=survivor,
        actor=actor,
        data={
            "merged": {"id": loser.pk, "full_name": loser.full_name},
            "phones": [p.number for p in preview["phones"]],
            "emails": [e.address for e in preview["emails"]],
            "filled": sorted(preview["filled"]),
            "moved": moved,
        },
    )
    event_emit(
        type="contact.merged_away",
        subject=loser,
        customer=survivor,
        actor=actor,
        data={"into": {"id": survivor.pk, "full_name": survivor.full_name}},
    )
    return survivor
