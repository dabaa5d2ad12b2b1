"""Merging two contacts: the survivor keeps everything of both, in one transaction, on the timeline.

Every change goes through the write path, so each is on a history:
- the survivor gains the loser's missing fields, phones, emails, tags, consents and custom field values
  through `contact_update` (one `contact.updated` event);
- every record that points at the loser (activities, opportunities, leads… found from the models'
  metadata, so a module added later is covered) is re-pointed through `record_update` (one event each);
- the loser hands its phones, emails, tags and consents over (`contact_update`, its own history keeps
  them), is marked merged into the survivor and goes to the trash through `record_delete`;
- `contact.merged` on the survivor lists what was added and moved, with counts and ids, and
  `contact.merged_away` hands the loser's journey to the survivor: its past events are never rewritten,
  the survivor's timeline reads them through that event (docs/decisions.md, "Merge and conversion hand a
  journey over").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.models import Record
from sencrm.core.modules import Action
from sencrm.customers.consents import consents_carried
from sencrm.customers.models import Consent, Contact, Email, Phone
from sencrm.customers.services import contact_update
from sencrm.customfields import custom_fields
from sencrm.events.services import event_emit, record_delete, record_update

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
# The loser's own child rows: handed to the survivor by `contact_update`, not re-pointed.
CHILD_ROWS = (Phone, Email, Consent)
EMPTY: tuple[Any, ...] = (None, "", [])


def _custom_values(survivor: Contact, loser: Contact) -> dict[str, Any]:
    """The loser's custom field values for the fields the survivor has no value in (fields that still
    exist, with values they still accept; anything else stays on the loser, in the trash)."""
    taken = {}
    for field in custom_fields.definitions(Contact):
        value = loser.custom_field_data.get(field.key)
        if value in EMPTY or survivor.custom_field_data.get(field.key) not in EMPTY:
            continue
        try:
            taken[field.key] = custom_fields.clean_value(field, value)
        except ValidationError:
            continue
    return taken


def merge_preview(survivor: Contact, loser: Contact) -> dict[str, Any]:
    """What the merge would do: fields the survivor gains, phones/emails it adds, and the consents, tags
    and custom field values it takes."""
    filled = {
        name: getattr(loser, name)
        for name in FILLABLE
        if getattr(survivor, name) in (None, "") and getattr(loser, name) not in (None, "")
    }
    have_phones = set(survivor.phones.values_list("e164", flat=True))
    have_emails = set(survivor.emails.values_list("address_key", flat=True))
    have_tags = set(survivor.tags.values_list("pk", flat=True))
    return {
        "filled": filled,
        "phones": [p for p in loser.phones.all() if p.e164 not in have_phones],
        "emails": [e for e in loser.emails.all() if e.address_key not in have_emails],
        "consents": consents_carried(loser, survivor, newer_wins=True),
        "tags": [t for t in loser.tags.all() if t.pk not in have_tags],
        "custom_fields": _custom_values(survivor, loser),
    }


def _relations() -> list[Any]:
    """Every relation pointing at a contact, those without a reverse accessor (related_name="+": the
    quotes, orders, contracts, invoices, payments, campaign members, conversations…) included; not the
    loser's own child rows (handed over by `contact_update`), its tags (the same) nor `merged_into`
    (contacts merged into the loser earlier keep pointing at it, and it at the survivor)."""
    out = []
    for rel in Contact._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        model: Any = rel.related_model
        if model in CHILD_ROWS or model is Contact or model is Contact.tags.through:
            continue
        out.append(rel)
    return out


def _drop_duplicates(model: Any, name: str, rows: Any, survivor: Contact) -> None:
    """Rows of the loser that would repeat one of the survivor's under a unique constraint (the same
    campaign's audience twice): deleted, the survivor's row stands for both."""
    for constraint in model._meta.constraints:
        fields = list(getattr(constraint, "fields", ()))
        if name not in fields or getattr(constraint, "condition", None) is not None:
            continue
        others = [f for f in fields if f != name]
        if not others:
            continue
        kept = set(model._base_manager.filter(**{name: survivor}).values_list(*others))
        for pk, *values in rows.values_list("pk", *others):
            if tuple(values) in kept:
                model._base_manager.filter(pk=pk).delete()


def _repoint_related(survivor: Contact, loser: Contact, *, actor: Any) -> dict[str, Any]:
    """Every other row that points at the loser points at the survivor: {model label: {count, ids}}.

    Records (activities, opportunities, leads…) go through `record_update`, so each move is an event on
    the record's history and the survivor's journey; `system=True`: the merge is a rule applied to them,
    not the actor editing each (a colleague's call on the duplicate moves too). Rows without a history
    of their own (the through rows of a many-to-many) are re-pointed in place and listed in the
    `contact.merged` event."""
    moved: dict[str, Any] = {}
    label = f"system:merge#{loser.pk}"
    for rel in _relations():
        model: Any = rel.related_model
        if rel.many_to_many:
            through: Any = rel.through
            fks = [f for f in through._meta.fields if f.is_relation]
            mine = next(f for f in fks if f.related_model is Contact)
            other = next(f for f in fks if f is not mine)
            kept = list(
                through._default_manager.filter(**{mine.name: survivor}).values_list(other.attname, flat=True)
            )
            rows = through._default_manager.filter(**{mine.name: loser})
            rows.filter(**{f"{other.attname}__in": kept}).delete()
            ids = list(rows.values_list("pk", flat=True))
            rows.update(**{mine.name: survivor})
        elif issubclass(model, Record):
            ids = []
            for row in model.all_objects.filter(**{rel.field.name: loser}).order_by("pk"):
                record_update(
                    row,
                    actor=actor,
                    changes={rel.field.name: survivor},
                    version=None,
                    system=True,
                    actor_label=label,
                )
                ids.append(row.pk)
        else:
            rows = model._base_manager.filter(**{rel.field.name: loser})
            _drop_duplicates(model, rel.field.name, rows, survivor)
            ids = list(rows.values_list("pk", flat=True))
            rows.update(**{rel.field.name: survivor})
        if ids:
            moved[model._meta.label] = {"count": len(ids), "ids": ids}
    return moved


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
    moved = _repoint_related(survivor, loser, actor=actor)

    # The survivor keeps its own and gains the loser's others (the same number, address or channel is
    # not doubled; a consent answered more recently on the loser wins).
    changes: dict[str, Any] = dict(preview["filled"])
    if loser.first_touch_at and (
        survivor.first_touch_at is None or loser.first_touch_at < survivor.first_touch_at
    ):
        changes["first_touch_at"] = loser.first_touch_at
    if preview["custom_fields"]:
        changes["custom_field_data"] = preview["custom_fields"]
    survivor = contact_update(
        survivor,
        actor=actor,
        changes=changes,
        version=None,
        phones=[
            *({"number": p.number, "label": p.label} for p in survivor.phones.all()),
            *({"number": p.number, "label": p.label} for p in preview["phones"]),
        ],
        emails=[*(e.address for e in survivor.emails.all()), *(e.address for e in preview["emails"])],
        tags=[*survivor.tags.all(), *preview["tags"]],
        consents=preview["consents"],
    )
    # The loser hands its child rows over (so that no row points at it; its history keeps them) and is
    # marked merged before it goes to the trash.
    loser = contact_update(
        loser,
        actor=actor,
        changes={"merged_into": survivor},
        version=None,
        phones=[],
        emails=[],
        tags=[],
        consents=dict.fromkeys(loser.consents.values_list("channel", flat=True)),
    )
    loser = record_delete(loser, actor=actor)
    event_emit(
        type="contact.merged",
        subject=survivor,
        actor=actor,
        data={
            "merged": {"id": loser.pk, "full_name": loser.full_name},
            "phones": [p.number for p in preview["phones"]],
            "emails": [e.address for e in preview["emails"]],
            "consents": sorted(preview["consents"]),
            "tags": sorted(t.name for t in preview["tags"]),
            "custom_fields": sorted(preview["custom_fields"]),
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
