"""Anonymisation of a person (a completed deletion request, or the administrator's own action): no
personal data left in any table, while every aggregate stays (revenue, counts, the funnel).

What happens, in one transaction:
- the contact(s) and lead(s) that are the person keep their rows (documents, payments and reports count
  them) under the name "Đã ẩn danh #<id>"; their phones, emails and current consent answers are deleted;
  street, ward, birth date, gender, job title, notes, custom fields and search keys are cleared (the
  province, source, campaigns and first-touch dates stay: reports group by them, none names anyone);
- every row that refers to the person (sencrm/privacy/selectors.py: related_rows, two rings of foreign
  keys, so modules added later are covered) is scrubbed: the person's name (with or without diacritics,
  any case), phone numbers (in any format: 0912 000 111, +84 912.000.111…), email addresses and street
  are replaced wherever they appear in a text or JSON field; some fields are blanked outright
  (OVERRIDES: the messages' text, the activities' notes, a conversation's name, phone and platform id…).
  Amounts, dates, statuses and links are untouched;
- the consent ledger keeps its rows (channel, purpose, date: no personal data besides the link) and gets
  a withdrawal for every consent still given, with the request as evidence;
- the EVENT LOG is scrubbed too: events whose subject is one of these rows or whose customer is the
  person lose the personal values in their data and their subject's name. The log is append-only by
  design; anonymisation is its one documented exception (docs/decisions.md), because the law's right to
  deletion covers the audit trail as well. Notifications and webhook deliveries of those events are
  scrubbed the same way;
- finally `contact.anonymised` / `lead.anonymised` is recorded: the log's entry that the deletion
  happened, naming the request, with counts and no personal data.

The writes here are bulk updates across modules' tables: the one place where the privacy module writes
other modules' rows, because it must reach every one of them in the same transaction.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.phones import to_e164
from sencrm.core.text import fold
from sencrm.events.models import Event
from sencrm.events.services import event_emit
from sencrm.privacy.models import DataRequest
from sencrm.privacy.selectors import person_records, related_rows

LABEL = "Đã ẩn danh #{pk}"  # stored data, in the company's language (not the reader's)
MASK = "***"
BATCH = 500
MIN_NAME = 4  # shorter "names" (a given name alone) are not searched for: they would blank other words
FOLDED_FIELDS = ("search_key", "sort_key", "address_key")

# Fields blanked outright on the rows that refer to the person ({model label: {field: value or callable}}).
OVERRIDES: dict[str, dict[str, Any]] = {
    "marketing.conversation": {
        "display_name": lambda obj: LABEL.format(pk=obj.pk),
        "phone": "",
        "platform_user_id": lambda obj: f"anonymised-{obj.pk}",
    },
    "marketing.conversationmessage": {"text": ""},
    "activities.activity": {"description": "", "place": "", "recording_url": ""},
    "privacy.datarequest": {"details": ""},
    "sales.webformsubmission": {"ip_hash": ""},
}
# The person's own fields that events must not keep (in "record", "changes" and "labels").
PERSON_FIELDS = frozenset(
    {
        "full_name", "family_name", "middle_name", "given_name", "sort_key", "search_key", "primary_phone",
        "primary_email", "street", "ward", "notes", "custom_field_data", "date_of_birth", "gender", "title",
        "phones", "emails", "interest", "next_action", "unqualified_reason", "referrer",
    }
)  # fmt: skip


# --- the scrubber: finds the person's values in any text ------------------------------------------------


def _fold_char(ch: str) -> str:
    if ch.isspace():
        return " "
    decomposed = unicodedata.normalize("NFD", ch)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def _phone_pattern(national: str) -> re.Pattern[str]:
    """A national number (912000111) in any written form: 0912 000 111, +84 912.000.111, 84912000111…"""
    sep = r"[\s.\-()]*"
    prefix = rf"(?:(?:\+|00)?84{sep}0?|0)?"
    return re.compile(rf"(?<!\d){prefix}{sep}{sep.join(national)}(?!\d)")


class Scrubber:
    """Replaces the person's name, phones, emails and street wherever they appear."""

    def __init__(self, *, texts: Iterable[str], phones: Iterable[str], label: str) -> None:
        self.label = label
        folded = {fold(t) for t in texts if t and len(fold(t)) >= MIN_NAME}
        # Longest first: "nguyen thi an danh" before "an danh".
        self.needles = sorted(folded, key=len, reverse=True)
        nationals = set()
        for raw in phones:
            e164 = to_e164(raw) if raw else None
            if e164 and e164.startswith("+84"):
                nationals.add(e164[3:])
            elif e164:
                nationals.add(e164.lstrip("+"))
        self.phones = [_phone_pattern(n) for n in sorted(nationals, key=len, reverse=True) if len(n) >= 6]

    def text(self, value: str, *, folded: bool = False) -> str:
        if not value:
            return value
        for pattern in self.phones:
            value = pattern.sub(MASK, value)
        return self._names(value, fold(self.label) if folded else self.label)

    def _names(self, value: str, replacement: str) -> str:
        if not self.needles:
            return value
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(value):
            folded = _fold_char(ch)
            if folded == " " and chars and chars[-1] == " ":
                continue  # a run of spaces reads as one (the folded search keys collapse them too)
            for c in folded:
                chars.append(c)
                origin.append(i)
        haystack = "".join(chars)
        spans: list[tuple[int, int]] = []
        for needle in self.needles:
            start = haystack.find(needle)
            while start != -1:
                end = start + len(needle)
                span = (origin[start], origin[end - 1] + 1)
                if not any(a < span[1] and span[0] < b for a, b in spans):
                    spans.append(span)
                start = haystack.find(needle, end)
        for a, b in sorted(spans, reverse=True):
            value = value[:a] + replacement + value[b:]
        return value

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        return value


def _scrubber(
    contacts: list[Any], leads: list[Any], extra_rows: dict[type[models.Model], set[Any]]
) -> Scrubber:
    from sencrm.customers.models import Email, Phone
    from sencrm.marketing.models import Conversation
    from sencrm.sales.models import LeadEmail, LeadPhone

    texts: list[str] = []
    phones: list[str] = []
    for person in [*contacts, *leads]:
        texts += [person.full_name, person.primary_email, getattr(person, "street", "")]
        phones.append(person.primary_phone)
    texts += Email.objects.filter(contact__in=contacts).values_list("address", flat=True)
    texts += LeadEmail.objects.filter(lead__in=leads).values_list("address", flat=True)
    phones += Phone.objects.filter(contact__in=contacts).values_list("e164", flat=True)
    phones += LeadPhone.objects.filter(lead__in=leads).values_list("e164", flat=True)
    conversations = Conversation.objects.filter(pk__in=sorted(extra_rows.get(Conversation, ())))
    for name, phone in conversations.values_list("display_name", "phone"):
        texts.append(name)
        phones.append(phone)
    label = LABEL.format(pk=contacts[0].pk if contacts else leads[0].pk)
    return Scrubber(texts=[t for t in texts if t], phones=[p for p in phones if p], label=label)


# --- rows -----------------------------------------------------------------------------------------------


def _text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.primary_key
    ]


def _fit(field: models.Field[Any, Any], value: Any) -> Any:
    limit = getattr(field, "max_length", None)
    return value[:limit] if isinstance(value, str) and limit else value


def scrub_rows(model: type[models.Model], pks: Iterable[Any], scrubber: Scrubber) -> int:
    """Scrub the rows `pks` of `model` (trash included); answers how many changed."""
    fields = _text_fields(model)
    overrides = OVERRIDES.get(model._meta.label_lower, {})
    if not fields:
        return 0
    changed_rows = 0
    ids = sorted(pks)
    for start in range(0, len(ids), BATCH):
        rows = list(model._base_manager.filter(pk__in=ids[start : start + BATCH]))
        dirty: list[models.Model] = []
        names: set[str] = set()
        for obj in rows:
            touched = False
            for field in fields:
                old = getattr(obj, field.attname)
                if field.name in overrides:
                    rule = overrides[field.name]
                    new = rule(obj) if callable(rule) else rule
                elif isinstance(field, models.JSONField):
                    new = scrubber.json(old)
                elif isinstance(old, str):
                    new = scrubber.text(old, folded=field.name in FOLDED_FIELDS)
                else:
                    continue
                new = _fit(field, new)
                if new != old:
                    setattr(obj, field.attname, new)
                    names.add(field.name)
                    touched = True
            if touched:
                dirty.append(obj)
        if dirty:
            model._base_manager.bulk_update(dirty, sorted(names))
            changed_rows += len(dirty)
    return changed_rows


def _blank(value: Any) -> Any:
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    return None


def _person_data(data: Any, label: str) -> Any:
    """An event of the person's own record: the personal fields' values dropped from it."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for part in ("record", "changes", "labels"):
        values = out.get(part)
        if not isinstance(values, dict):
            continue
        cleaned = dict(values)
        for name in PERSON_FIELDS & cleaned.keys():
            value = cleaned[name]
            if part == "changes" and isinstance(value, list) and len(value) == 2:
                cleaned[name] = [label if name == "full_name" else _blank(v) for v in value]
            else:
                cleaned[name] = label if name == "full_name" else _blank(value)
        out[part] = cleaned
    return out


def _override_data(data: Any, overrides: dict[str, Any]) -> Any:
    """An event of a row with blanked fields: those fields blanked in its data as well."""
    if not isinstance(data, dict) or not overrides:
        return data
    out = dict(data)
    for part in ("record", "changes"):
        values = out.get(part)
        if isinstance(values, dict):
            out[part] = {
                k: ([_blank(x) for x in v] if part == "changes" and isinstance(v, list) else _blank(v))
                if k in overrides
                else v
                for k, v in values.items()
            }
    return out


def scrub_events(
    *,
    subjects: dict[type[models.Model], set[Any]],
    people: dict[type[models.Model], set[Any]],
    scrubber: Scrubber,
) -> int:
    """Scrub the events whose subject is one of `subjects` (or the person) or whose customer is the
    person, and their notifications and webhook deliveries. Answers how many events changed."""
    from sencrm.events.models import Notification, WebhookDelivery

    condition = models.Q()
    person_types: dict[int, set[Any]] = {}
    override_types: dict[int, dict[str, Any]] = {}
    for model, ids in [*people.items(), *subjects.items()]:
        if not ids:
            continue
        type_id = ContentType.objects.get_for_model(model, for_concrete_model=False).pk
        condition |= models.Q(subject_type_id=type_id, subject_id__in=sorted(ids))
        if model in people:
            person_types[type_id] = set(ids)
            condition |= models.Q(customer_type_id=type_id, customer_id__in=sorted(ids))
        if model._meta.label_lower in OVERRIDES:
            override_types[type_id] = OVERRIDES[model._meta.label_lower]
    if not condition:
        return 0
    changed: list[Event] = []
    total = 0
    event_ids: list[int] = []
    for event in Event.objects.filter(condition).order_by("id").iterator(chunk_size=BATCH):
        event_ids.append(event.pk)
        data, repr_ = event.data, event.subject_repr
        if event.subject_id in person_types.get(event.subject_type_id, ()):
            label = LABEL.format(pk=event.subject_id)
            data, repr_ = _person_data(data, label), label
        elif event.subject_type_id in override_types:
            data = _override_data(data, override_types[event.subject_type_id])
        data, repr_ = scrubber.json(data), scrubber.text(repr_)[:200]
        if data != event.data or repr_ != event.subject_repr:
            event.data, event.subject_repr = data, repr_
            changed.append(event)
        if len(changed) >= BATCH:
            Event.objects.bulk_update(changed, ["data", "subject_repr"])
            total += len(changed)
            changed = []
    if changed:
        Event.objects.bulk_update(changed, ["data", "subject_repr"])
        total += len(changed)
    for start in range(0, len(event_ids), BATCH):
        chunk = event_ids[start : start + BATCH]
        notes = list(Notification.objects.filter(event_id__in=chunk))
        for note in notes:
            note.params = scrubber.json(note.params)
        Notification.objects.bulk_update(notes, ["params"])
        deliveries = list(WebhookDelivery.objects.filter(event_id__in=chunk))
        for delivery in deliveries:
            delivery.body = _scrub_body(delivery.body, scrubber)
        WebhookDelivery.objects.bulk_update(deliveries, ["body"])
    return total


def _scrub_body(body: str, scrubber: Scrubber) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return scrubber.text(body)
    return json.dumps(scrubber.json(payload), ensure_ascii=False, separators=(",", ":"))


# --- the person -----------------------------------------------------------------------------------------


def _anonymise_contact(contact: Any, actor: Any) -> None:
    from sencrm.customers.derived import contact_derived
    from sencrm.customers.models import Consent, Contact, Email, Phone

    label = LABEL.format(pk=contact.pk)
    Phone.objects.filter(contact=contact).delete()
    Email.objects.filter(contact=contact).delete()
    Consent.objects.filter(contact=contact).delete()
    Contact.all_objects.filter(pk=contact.pk).update(
        full_name=label,
        street="",
        ward="",
        notes="",
        custom_field_data={},
        date_of_birth=None,
        gender="",
        title="",
        version=models.F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor if getattr(actor, "pk", None) else None,
        **contact_derived({"full_name": label}, [], []),
    )


def _anonymise_lead(lead: Any, actor: Any, scrubber: Scrubber) -> None:
    from sencrm.sales.derived import lead_derived
    from sencrm.sales.models import Lead, LeadConsent, LeadEmail, LeadPhone

    label = LABEL.format(pk=lead.pk)
    LeadPhone.objects.filter(lead=lead).delete()
    LeadEmail.objects.filter(lead=lead).delete()
    LeadConsent.objects.filter(lead=lead).delete()
    company = scrubber.text(lead.company)
    Lead.all_objects.filter(pk=lead.pk).update(
        full_name=label,
        company=company,
        title="",
        interest="",
        next_action="",
        unqualified_reason=scrubber.text(lead.unqualified_reason),
        referrer=scrubber.text(lead.referrer),
        utm=scrubber.json(lead.utm),
        custom_field_data={},
        version=models.F("version") + 1,
        updated_at=timezone.now(),
        updated_by=actor if getattr(actor, "pk", None) else None,
        **lead_derived({"full_name": label, "company": company}, [], []),
    )


def _scrub_admin_log(people: dict[type[models.Model], set[Any]], scrubber: Scrubber) -> None:
    from django.contrib.admin.models import LogEntry

    for model, ids in people.items():
        entries = list(
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model), object_id__in=[str(i) for i in ids]
            )
        )
        for entry in entries:
            entry.object_repr = scrubber.text(entry.object_repr)[:200]
            entry.change_message = scrubber.text(entry.change_message)
        LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"])


def _scrub_imports(people: dict[type[models.Model], set[Any]], scrubber: Scrubber) -> None:
    """Imports keep two things about people: an update's former values (for its undo) and rejected or
    warned rows as they were typed (for the downloadable file). Both are scrubbed; an undo then puts back
    the anonymised values, never the former ones. (The uploaded files themselves are deleted when the
    import ends: sencrm/imports/tasks.py.)"""
    from sencrm.customers.models import Contact
    from sencrm.imports.models import ImportChunk, ImportRowError, ImportTarget
    from sencrm.sales.models import Lead

    targets: dict[Any, str] = {Contact: ImportTarget.CONTACTS, Lead: ImportTarget.LEADS}
    for model, ids in people.items():
        target = targets.get(model)
        if target is None or not ids:
            continue
        keys = models.Q()
        for pk in ids:
            keys |= models.Q(updated__has_key=str(pk))
        chunks = list(ImportChunk.objects.filter(keys, job__target=target))
        for chunk in chunks:
            chunk.updated = {
                key: scrubber.json(value) if key in {str(pk) for pk in ids} else value
                for key, value in chunk.updated.items()
            }
        ImportChunk.objects.bulk_update(chunks, ["updated"], batch_size=BATCH)
    changed: list[Any] = []
    for row in ImportRowError.objects.only("pk", "cells", "message").iterator(chunk_size=BATCH):
        cells, message = scrubber.json(row.cells), scrubber.text(row.message)
        if cells != row.cells or message != row.message:
            row.cells, row.message = cells, message
            changed.append(row)
    ImportRowError.objects.bulk_update(changed, ["cells", "message"], batch_size=BATCH)


def anonymise_preview(contacts: list[Any], leads: list[Any]) -> list[tuple[str, int]]:
    """What an anonymisation would touch: (the kind of record, how many), for the confirmation page."""
    rows = related_rows(contacts, leads)
    counts = [(str(m._meta.verbose_name_plural), len(ids)) for m, ids in rows.items()]
    return sorted(counts, key=lambda item: (-item[1], item[0]))


@transaction.atomic
def person_anonymise(
    *, actor: Any, request: DataRequest | None = None, contact: Any = None, lead: Any = None
) -> dict[str, int]:
    """Anonymise the person of `request` (a deletion request being completed) or the given contact or
    lead (the administrator's own action: PRIVACY edit right and the person visible). Running it again
    changes nothing more. Answers {model label: rows scrubbed}."""
    from sencrm.customers.models import Contact
    from sencrm.privacy.services import ledger_withdraw
    from sencrm.sales.models import Lead

    if request is not None:
        access.check(actor, Action.EDIT, request)
        contacts, leads = person_records(request)
        evidence = request.number
    else:
        access.check_module(actor, Module.PRIVACY, Action.EDIT)
        person = contact if contact is not None else lead
        if person is None:
            raise ValueError("a request, a contact or a lead")
        access.check(actor, Action.VIEW, person)
        probe = DataRequest(contact=contact, lead=lead)
        contacts, leads = person_records(probe)
        evidence = f"{type(person)._meta.model_name}#{person.pk}"
    rows = related_rows(contacts, leads)
    scrubber = _scrubber(contacts, leads, rows)
    people: dict[type[models.Model], set[Any]] = {
        Contact: {c.pk for c in contacts},
        Lead: {x.pk for x in leads},
    }
    # The ledger first (its rows are kept): the withdrawal of what is still given names the request.
    withdrawn = ledger_withdraw(contacts=contacts, leads=leads, actor=actor, evidence=evidence)
    counts: dict[str, int] = {}
    for model, ids in rows.items():
        changed = scrub_rows(model, ids, scrubber)
        if changed:
            counts[model._meta.label_lower] = changed
    for person in contacts:
        _anonymise_contact(person, actor)
    for person in leads:
        _anonymise_lead(person, actor, scrubber)
    counts["events.event"] = scrub_events(subjects=rows, people=people, scrubber=scrubber)
    _scrub_admin_log(people, scrubber)
    _scrub_imports(people, scrubber)
    data = {"request": evidence, "withdrawn": len(withdrawn), "rows": sum(counts.values())}
    for person in [*contacts, *leads]:
        fresh = type(person).all_objects.get(pk=person.pk)
        event_emit(
            type=f"{type(person).event_type_prefix()}.anonymised", subject=fresh, actor=actor, data=data
        )
    return counts
