"""Sales history in words: the doors that act (a web form, an API token) are named, and durations
("Time in stage") read Vietnamese in the Vietnamese UI."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.events import formatting
from sencrm.events.consumers import run_consumer
from sencrm.events.messages import render_notification
from sencrm.events.models import Event, Notification
from sencrm.sales.models import Lead, StageChange
from sencrm.sales.services import settings as settings_services
from sencrm.sales.services.webforms import lead_capture
from sencrm.users.services import api_token_create

ENGLISH_UNITS = re.compile(r"\b(years?|months?|weeks?|days?|hours?|minutes?|ago|from now)\b")


@pytest.fixture
def webform(org, pipelines):
    from sencrm.customers.models import SourceChannel

    return settings_services.webform_save(
        actor=org["admin"],
        name="Form tư vấn trên website",
        fields=["phone", "interest"],
        required_fields=["phone"],
        owner=org["sales1"],
        source=SourceChannel.objects.get(code="website"),
    )


def capture(webform) -> Lead:
    return lead_capture(
        form=webform,
        data={"full_name": "Trần Thị Bích Ngọc"},
        phones=["0912 345 678"],
        emails=[],
        consent=False,
        consent_text="",
        utm={},
        referrer="",
        ip="203.0.113.9",
    )


def test_a_lead_from_a_web_form_names_the_form_in_its_history_and_notification(client_as, org, webform):
    lead = capture(webform)
    event = Event.objects.get(type="lead.created", subject_id=lead.pk)
    with translation.override("vi"):
        assert formatting.actor_name(event) == "Biểu mẫu web ‘Form tư vấn trên website’"
    run_consumer("notifications")
    note = Notification.objects.get(recipient=org["sales1"], kind="assigned")
    with translation.override("vi"):
        text = render_notification(note)
    assert text.startswith("Biểu mẫu web ‘Form tư vấn trên website’ ") and "webform#" not in text
    # The same words on the pages that show them.
    home = client_as("sales1").get(reverse("home")).content.decode()
    assert "Biểu mẫu web ‘Form tư vấn trên website’" in home and "webform#" not in home
    notes = client_as("sales1").get(reverse("events:notification_list")).content.decode()
    assert "Biểu mẫu web ‘Form tư vấn trên website’" in notes


def test_a_change_through_the_api_names_the_token_and_its_owner(org, make_lead):
    lead = make_lead(owner="sales1")
    _token, raw = api_token_create(user=org["sales1"], name="Tổng đài")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.patch(
        f"/api/v1/leads/{lead.pk}/",
        {"company": "Công ty Gió Mát", "version": lead.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    event = Event.objects.filter(type="lead.updated", subject_id=lead.pk).latest("id")
    assert event.actor_id == org["sales1"].pk
    with translation.override("vi"):
        assert formatting.actor_name(event) == f"Token API ‘Tổng đài’ của {org['sales1']}"


def test_time_in_stage_reads_vietnamese(client_as, org, make_opportunity):
    opp = make_opportunity()
    StageChange.objects.filter(opportunity=opp).update(
        entered_at=timezone.now() - dt.timedelta(days=106, hours=1)
    )
    page = client_as("sales1").get(reverse("sales:opportunity_detail", args=[opp.pk])).content.decode()
    table = page[page.index('data-testid="stage-history"') :].split("</table>")[0].replace("\xa0", " ")
    assert "3 tháng, 2 tuần" in table
    assert not ENGLISH_UNITS.search(table)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (dt.timedelta(days=-106, hours=-1), "3 tháng, 2 tuần trước"),
        (dt.timedelta(days=-400), "1 năm, 1 tháng trước"),
        (dt.timedelta(hours=-5), "5 giờ trước"),
        (dt.timedelta(days=10, minutes=5), "1 tuần, 3 ngày nữa"),
    ],
)
def test_humanized_durations_read_vietnamese(db, delta, expected):
    template = Template("{% load humanize %}{{ when|naturaltime }}|{{ when|timesince }}|{{ when|timeuntil }}")
    with translation.override("vi"):
        shown = template.render(Context({"when": timezone.now() + delta})).replace("\xa0", " ")
    assert shown.split("|")[0] == expected
    assert not ENGLISH_UNITS.search(shown)
