"""Conversion goes through the write path: what it links to the contact is on each record's history, the
lead's events are never rewritten, and the contact's timeline reads the lead's past through the conversion."""

from __future__ import annotations

from sencrm.activities.services import activity_create
from sencrm.events import selectors as event_selectors
from sencrm.events.models import Event
from sencrm.events.tests.log import log_rows
from sencrm.sales import services


def test_the_leads_events_stay_as_written_and_the_contact_reads_them(org, make_lead, make_contact):
    lead = make_lead(full_name="Lê Quang Vinh", company="Công ty TNHH An Phát")
    # A colleague's call on the lead, and a note that already names another contact.
    call = activity_create(
        actor=org["manager"], data={"kind": "call", "subject": "Gọi tư vấn", "lead": lead, "status": "done"}
    )
    other = make_contact(full_name="Người giới thiệu", phones=["0911 000 999"])
    note = activity_create(
        actor=org["sales1"],
        data={"kind": "note", "subject": "Được giới thiệu", "lead": lead, "contact": other, "status": "done"},
    )
    before = log_rows()

    result = services.lead_convert(lead, actor=org["sales1"], create_opportunity=True)

    after = log_rows()
    assert {pk: after[pk] for pk in before} == before  # the log only grew
    contact, account = result.contact, result.account
    call.refresh_from_db()
    note.refresh_from_db()
    assert (call.contact_id, call.account_id, call.owner) == (contact.pk, account.pk, org["manager"])
    assert (note.contact_id, note.account_id) == (other.pk, account.pk)  # its own contact is kept
    moved = Event.objects.get(type="activity.updated", subject_id=call.pk)
    assert moved.data["changes"]["contact"] == [None, contact.pk] and moved.actor_label == f"lead#{lead.pk}"
    assert moved.customer_id == contact.pk
    converted = Event.objects.get(type="lead.converted")
    assert converted.data["moved"] == {"activities.Activity": {"count": 2, "ids": sorted([call.pk, note.pk])}}
    assert result.opportunity.lead_id == lead.pk
    assert Event.objects.get(type="opportunity.created").data["record"]["lead"] == lead.pk

    events, _more = event_selectors.customer_timeline(user=org["sales1"], customer=contact, limit=100)
    subjects = {(e.type, e.subject_id) for e in events}
    assert {("lead.created", lead.pk), ("activity.created", call.pk), ("lead.converted", lead.pk)} <= subjects
    assert ("contact.created", contact.pk) in subjects
