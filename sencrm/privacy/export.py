"""Everything the CRM holds about the person of a request (the right of access, Law 91/2025/QH15):
as JSON (for a machine, or another controller) and as a readable PDF (for the person).

The person is the request's contact or lead with the records that are the same person (contacts merged
into it, leads converted into it: sencrm/privacy/selectors.py). Their own fields, phones, emails,
current consents and the consent ledger come first; then every row of every model that refers to them
(found by walking the foreign keys, so a module added later is in the export without a change here):
activities, opportunities, quotes, orders, contracts, invoices, payments, conversations and messages,
campaign memberships, requests…; then the events of their timeline.

The export is the request handler's tool (module PRIVACY): it holds what the CRM holds, whoever owns the
records. Internal keys (search keys, hashes, file paths) are left out: they are derived, not data about
the person.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.events.models import Event
from sencrm.privacy.deadlines import VIETNAM
from sencrm.privacy.models import DataRequest
from sencrm.privacy.selectors import person_records, related_rows

FORMAT = "sencrm.person-export/1"
MAX_EVENTS = 20_000
# Internal keys and hashes: derived or technical, not data about the person.
LEFT_OUT = frozenset(
    {"search_key", "sort_key", "address_key", "fingerprint", "lock_token", "ip_hash", "key_hash",
     "stored_name", "signed_file", "secret_encrypted", "token_encrypted", "password"}
)  # fmt: skip


@dataclass
class Section:
    """One kind of record in the PDF: its title and its rows, each a title and (label, text) pairs."""

    title: str
    rows: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


@dataclass
class PersonExport:
    data: dict[str, Any]
    sections: list[Section]
    name: str


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(VIETNAM).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a file
        return value.name or ""
    return value


def _shown(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dt.datetime):
        local = value.astimezone(VIETNAM) if timezone.is_aware(value) else value
        return local.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return f"{value:,.0f}".replace(",", ".") if value == value.to_integral() else str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    return str(value)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.name not in LEFT_OUT and not f.primary_key]


def _fk_labels(
    rows: Sequence[models.Model], fields: list[models.Field[Any, Any]]
) -> dict[tuple[str, Any], str]:
    """The names of the linked records of these rows: one query per linked model."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for f in fields:
        if isinstance(f, models.ForeignKey):
            for obj in rows:
                pk = getattr(obj, f.attname)
                if pk is not None:
                    wanted[f.related_model].add(pk)
    labels: dict[tuple[str, Any], str] = {}
    for model, pks in wanted.items():
        for pk, obj in model._base_manager.in_bulk(sorted(pks)).items():
            labels[(model._meta.label_lower, pk)] = str(obj)
    return labels


def _rows(model: type[models.Model], objs: Sequence[models.Model]) -> tuple[list[dict[str, Any]], Section]:
    fields = _fields(model)
    labels = _fk_labels(objs, fields)
    section = Section(str(model._meta.verbose_name_plural).capitalize())
    out = []
    for obj in objs:
        values: dict[str, Any] = {}
        shown: list[tuple[str, str]] = []
        for f in fields:
            raw = getattr(obj, f.attname)
            if isinstance(f, models.ForeignKey):
                label = labels.get((f.related_model._meta.label_lower, raw), "") if raw is not None else ""
                values[f.name] = None if raw is None else {"id": raw, "label": label}
                text = label
            else:
                values[f.name] = _plain(raw)
                text = _shown(getattr(obj, f"get_{f.name}_display")() if f.choices else raw)
            if text:
                shown.append((str(f.verbose_name).capitalize(), text))
        out.append({"model": model._meta.label_lower, "id": obj.pk, "label": str(obj), "fields": values})
        section.rows.append((f"{obj} (#{obj.pk})", shown))
    return out, section


def _timeline(contacts: list[Any], leads: list[Any], rows: dict[type[models.Model], set[Any]]) -> list[Event]:
    from sencrm.events.selectors import journey_parts

    condition = models.Q()
    for person in [*contacts, *leads]:
        for type_id, ids in journey_parts(person).items():
            condition |= models.Q(customer_type_id=type_id, customer_id__in=sorted(ids))
            condition |= models.Q(subject_type_id=type_id, subject_id__in=sorted(ids))
    for model, ids in rows.items():
        type_id = ContentType.objects.get_for_model(model, for_concrete_model=False).pk
        condition |= models.Q(subject_type_id=type_id, subject_id__in=sorted(ids))
    if not condition:
        return []
    return list(
        Event.objects.filter(condition).select_related("actor").order_by("occurred_at", "id")[:MAX_EVENTS]
    )


def person_export(request: DataRequest, *, user: Any) -> PersonExport:
    """The export of the request's person (the user may view the request, or 404)."""
    from sencrm.customers.models import Contact
    from sencrm.events.formatting import event_title
    from sencrm.sales.models import Lead

    access.check(user, Action.VIEW, request)
    contacts, leads = person_records(request)
    rows = related_rows(contacts, leads)
    sections: list[Section] = []
    data: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": _plain(timezone.now()),
        "request": {
            "number": request.number,
            "kind": request.kind,
            "received_at": _plain(request.received_at),
        },
        "person": {},
        "records": [],
        "timeline": [],
    }
    person_models: list[tuple[type[models.Model], list[Any], str]] = [
        (Contact, contacts, "contacts"),
        (Lead, leads, "leads"),
    ]
    for person_model, people, key in person_models:
        if people:
            values, section = _rows(person_model, people)
            data["person"][key] = values
            sections.append(section)
    for model in sorted(rows, key=lambda m: m._meta.label_lower):
        objs = list(model._base_manager.filter(pk__in=sorted(rows[model])).order_by("pk"))
        values, section = _rows(model, objs)
        data["records"].append(
            {"model": model._meta.label_lower, "name": str(model._meta.verbose_name_plural), "rows": values}
        )
        sections.append(section)
    events = _timeline(contacts, leads, rows)
    timeline = Section(str(Event._meta.verbose_name_plural).capitalize())
    for event in events:
        title = event_title(event)
        data["timeline"].append(
            {
                "id": event.pk,
                "occurred_at": _plain(event.occurred_at),
                "type": event.type,
                "title": title,
                "subject": event.subject_repr,
                "actor": event.actor_display,
                "data": event.data,
            }
        )
        timeline.rows.append((f"{_shown(event.occurred_at)} · {title}", [("", event.subject_repr)]))
    sections.append(timeline)
    person = contacts[0] if contacts else leads[0]
    return PersonExport(data=data, sections=sections, name=str(person))


def export_json_response(request: DataRequest, *, user: Any) -> HttpResponse:
    export = person_export(request, user=user)
    body = json.dumps(export.data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{request.number}.json"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_pdf(request: DataRequest, *, user: Any) -> bytes:
    """The readable export: the company's name, the person, then one section per kind of record."""
    from sencrm.documents.pdf import DOCUMENT_LANGUAGE, html_to_pdf
    from sencrm.documents.selectors import company_profile

    # Printed in Vietnamese whatever the reader's language (the person reads it), like the documents.
    with translation.override(DOCUMENT_LANGUAGE):
        export = person_export(request, user=user)
        html = render_to_string(
            "privacy/export_pdf.html",
            {
                "export": export,
                "request_obj": request,
                "company": company_profile(),
                "generated_at": timezone.now().astimezone(VIETNAM),
            },
        )
    return html_to_pdf(html, shared_fonts=True)


def export_pdf_response(request: DataRequest, *, user: Any) -> HttpResponse:
    from sencrm.documents.pdf import pdf_response

    return pdf_response(export_pdf(request, user=user), filename=f"{request.number}.pdf", inline=False)
