"""Reads of personal-data requests: the register (scoped by the gate), the open ones for a home page, and
the person behind a request with everything the CRM holds that refers to them (for the export and the
anonymisation).

"Everything" is found generically: every model with a foreign key to a contact or a lead (the first
ring: activities, opportunities, documents, payments, conversations, consents…), then every model with
a foreign key to a row of the first ring (the second ring: document lines, messages, allocations, bank
lines…). A module added later is covered without a change here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Case, When
from django.db.models.functions import Least
from django.utils import timezone

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.privacy.models import OPEN_STATUSES, DataRequest, RequestStatus

# Models never walked: the person's own records (handled by name), and the log and its readers (the
# event log names its rows by plain ids and is read by subject and customer, see anonymise.py).
SKIP_LABELS = frozenset({"customers.contact", "sales.lead", "events.event"})


def requests_scoped(user: Any) -> models.QuerySet[Any]:
    """The requests the user may see, with the next deadline annotated (acknowledging until it is done,
    then completing) for sorting and highlighting."""
    deadline = Case(
        When(status=RequestStatus.RECEIVED, then=Least("acknowledge_due_at", "due_at")),
        default="due_at",
    )
    return access.scope(user, DataRequest, Action.VIEW).annotate(deadline=deadline)


def open_requests(user: Any, limit: int = 6) -> list[DataRequest]:
    """The user's open requests, the soonest deadline first, each with `overdue_now` and the person's
    name as the user may read it (`person_label`). Empty for a role without the PRIVACY module."""
    if not access.can(user, DataRequest.access_module, Action.VIEW):
        return []
    now = timezone.now()
    rows = list(
        requests_scoped(user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("contact", "lead")
        .order_by("deadline", "id")[: max(1, min(int(limit), 100))]
    )
    label_people(user, rows)
    for row in rows:
        row.overdue_now = row.deadline < now
    return rows


def label_people(user: Any, rows: list[DataRequest]) -> None:
    """`person_label` on each request: the contact's or lead's name, or "(not visible to you)"."""
    access.label_related(user, rows, "contact")
    access.label_related(user, rows, "lead")
    for row in rows:
        row.person_label = row.contact_label if row.contact_id else row.lead_label  # type: ignore[attr-defined]


def person_records(request: DataRequest) -> tuple[list[Any], list[Any]]:
    """The contacts and leads that are the request's person: the contact, the contacts merged into it and
    the leads converted into them; for a lead, the lead and the contact it became (and theirs)."""
    from sencrm.customers.models import Contact
    from sencrm.sales.models import Lead

    contact = request.contact
    lead = request.lead
    if contact is None and lead is not None and lead.converted_contact_id:
        contact = Contact.all_objects.get(pk=lead.converted_contact_id)
    contacts: list[Any] = []
    leads: list[Any] = []
    if contact is not None:
        contacts = [contact, *Contact.all_objects.filter(merged_into=contact).exclude(pk=contact.pk)]
        leads = list(Lead.all_objects.filter(converted_contact__in=contacts).order_by("id"))
    if lead is not None and lead.pk not in {row.pk for row in leads}:
        leads.append(lead)
    return contacts, leads


def _fk_fields(
    model: type[models.Model], targets: set[type[models.Model]]
) -> list[models.ForeignKey[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model in targets
    ]


def related_rows(contacts: list[Any], leads: list[Any]) -> dict[type[models.Model], set[Any]]:
    """{model: primary keys} of every row that refers to the person (first ring) or to such a row
    (second ring), trash included. Contacts and leads themselves are not in it."""
    from sencrm.customers.models import Contact
    from sencrm.sales.models import Lead

    people: dict[type[models.Model], set[Any]] = {
        Contact: {c.pk for c in contacts},
        Lead: {lead.pk for lead in leads},
    }
    found: dict[type[models.Model], set[Any]] = defaultdict(set)
    candidates = [m for m in apps.get_models() if m._meta.label_lower not in SKIP_LABELS]
    for ring_targets in (people, None):
        targets = people if ring_targets is not None else {m: set(ids) for m, ids in found.items() if ids}
        for model in candidates:
            condition = models.Q()
            for field in _fk_fields(model, set(targets)):
                ids = targets[field.related_model]
                if ids:
                    condition |= models.Q(**{f"{field.attname}__in": sorted(ids)})
            if condition:
                pks = model._base_manager.filter(condition).values_list("pk", flat=True)
                found[model].update(pks)
    return {model: ids for model, ids in found.items() if ids}
