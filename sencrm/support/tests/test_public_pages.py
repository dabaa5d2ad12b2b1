"""The customer's doors without an account: the signed page of a ticket (status, conversation without
internal notes, replying, expired and changed links) and the web form (matching an existing contact,
bad input, the honeypot, the rate limit, framing)."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from sencrm.events.models import Event
from sencrm.marketing.tests import email_helpers
from sencrm.marketing.tests.email_helpers import local, text_of
from sencrm.support import public_links, services
from sencrm.support.models import Ticket, TicketMessage
from sencrm.support.tests import ticket_helpers

desk = ticket_helpers.desk  # shared fixtures
make_ticket = ticket_helpers.make_ticket
smtp = email_helpers.smtp

NEW = "/support/new/"
XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()  # the web form counts requests per address in the cache
    yield
    cache.clear()


def page_of(ticket: Ticket) -> str:
    return public_links.path_for(ticket)


# --- the signed page -----------------------------------------------------------------------------------


def test_the_page_shows_the_ticket_and_the_conversation_but_never_notes(desk, make_ticket, org, client):
    ticket = make_ticket(subject="Điều hòa kêu to", description="Từ hôm qua")
    services.ticket_reply(ticket, actor=org["care"], body="Kỹ thuật viên sẽ gọi chị")
    services.ticket_note(ticket, actor=org["care"], body="BÍ MẬT: khách nợ tiền")
    services.ticket_customer_message(ticket, body="Cảm ơn em")
    response = client.get(page_of(ticket))
    html = response.content.decode()
    assert response.status_code == 200
    assert ticket.number in html and "Điều hòa kêu to" in html and "Từ hôm qua" in html
    assert str(Ticket.objects.get(pk=ticket.pk).get_status_display()) in html
    assert "Kỹ thuật viên sẽ gọi chị" in html and "Cảm ơn em" in html
    assert "BÍ MẬT" not in html
    assert response["X-Frame-Options"] == "DENY" and response["Referrer-Policy"] == "no-referrer"


def test_the_customer_replies_on_the_page(desk, make_ticket, org, client):
    ticket = services.ticket_transition(make_ticket(), actor=org["care"], status="waiting")
    response = client.post(page_of(ticket), {"body": "Em gửi ảnh máy ạ"})
    assert response.status_code == 303 and response["Location"].endswith("?sent=1")
    message = TicketMessage.objects.get(ticket=ticket, kind="customer")
    assert message.body == "Em gửi ảnh máy ạ" and message.author is None
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    assert Event.objects.filter(type="ticket.customer_replied", subject_id=ticket.pk).exists()
    assert client.get(response["Location"]).status_code == 200


def test_the_reply_form_is_csrf_protected(desk, make_ticket):
    ticket = make_ticket()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(page_of(ticket), {"body": "Không có token"}).status_code == 403
    page = strict.get(page_of(ticket))
    token = page.cookies["csrftoken"].value
    answer = strict.post(page_of(ticket), {"body": "Có token", "csrfmiddlewaretoken": token})
    assert answer.status_code == 303
    assert list(TicketMessage.objects.values_list("body", flat=True)) == ["Có token"]


def test_an_empty_reply_answers_400(desk, make_ticket, client):
    ticket = make_ticket()
    response = client.post(page_of(ticket), {"body": "   "})
    assert response.status_code == 400 and 'data-testid="error-body"' in response.content.decode()
    assert not TicketMessage.objects.exists()


def test_an_expired_link_answers_400_with_a_clear_message(desk, make_ticket, client, settings, monkeypatch):
    settings.SUPPORT_LINK_DAYS = 90
    ticket = make_ticket()
    real = signing.time.time
    with monkeypatch.context() as clock:
        clock.setattr(signing.time, "time", lambda: real() - 91 * 24 * 3600)
        old = public_links.path_for(ticket)
    with monkeypatch.context() as clock:
        clock.setattr(signing.time, "time", lambda: real() - 89 * 24 * 3600)
        recent = public_links.path_for(ticket)
    response = client.get(old)
    assert response.status_code == 400
    assert 'data-testid="public-link-expired"' in response.content.decode()
    assert client.post(old, {"body": "Còn không?"}).status_code == 400
    assert client.get(recent).status_code == 200
    assert not TicketMessage.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature changed
        lambda token: token.replace(token[2], "Z" if token[2] != "Z" else "Y", 1),  # the data changed
        lambda token: "x",
        lambda token: token + "." * 2000,
    ],
)
def test_a_changed_link_answers_400(desk, make_ticket, client, change):
    token = public_links.token_for(make_ticket())
    response = client.get(reverse("support:public_ticket", args=[change(token)]))
    assert response.status_code == 400
    assert 'data-testid="public-link-bad"' in response.content.decode()


def test_a_link_signed_for_another_purpose_is_refused(desk, make_ticket, client):
    ticket = make_ticket()
    forged = signing.dumps(
        {"t": ticket.pk, "n": ticket.number}, salt="sencrm.privacy.unsubscribe.email-marketing"
    )
    assert client.get(reverse("support:public_ticket", args=[forged])).status_code == 400


def test_a_deleted_ticket_is_gone(desk, make_ticket, org, client):
    ticket = make_ticket()
    path = page_of(ticket)
    services.ticket_delete(ticket, actor=org["admin"])
    assert client.get(path).status_code == 404


def test_a_closed_ticket_shows_no_form_and_refuses_a_message(desk, make_ticket, org, client):
    ticket = services.ticket_transition(make_ticket(), actor=org["care"], status="resolved")
    ticket = services.ticket_transition(ticket, actor=org["care"], status="closed")
    html = client.get(page_of(ticket)).content.decode()
    assert 'data-testid="public-reply-form"' not in html and 'data-testid="public-ticket-closed"' in html
    assert client.post(page_of(ticket), {"body": "Mở lại giúp"}).status_code == 400
    assert not TicketMessage.objects.filter(kind="customer").exists()


def test_a_merged_duplicates_link_leads_to_the_kept_ticket(desk, make_ticket, org, client):
    kept, duplicate = make_ticket(subject="Bản chính"), make_ticket(subject="Bản trùng")
    path = page_of(duplicate)
    services.ticket_merge(duplicate, into=kept, actor=org["care"])
    html = client.get(path).content.decode()
    assert kept.number in html and "Bản chính" in html


def test_what_the_customer_and_agents_wrote_is_escaped(desk, make_ticket, org, client):
    ticket = make_ticket(subject=XSS, description="<svg/onload=alert(1)>")
    services.ticket_reply(ticket, actor=org["care"], body="<iframe/src=javascript:confirm(2)>")
    html = client.get(page_of(ticket)).content.decode()
    assert "<img src=x" not in html and "<svg/onload" not in html and "<iframe/src" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# --- the web form ----------------------------------------------------------------------------------------


def request_data(**changes):
    return {
        "name": "Nguyễn Thị Ánh Tuyết",
        "phone": "0912 345 678",
        "email": "tuyet@example.com",
        "subject": "Điều hòa không lạnh",
        "description": "Máy mua tháng trước, bật 16 độ vẫn nóng.",
        "website": "",
        **changes,
    }


def test_the_form_is_embeddable_and_has_a_honeypot(desk, client):
    response = client.get(NEW)
    html = response.content.decode()
    assert response.status_code == 200 and "X-Frame-Options" not in response
    assert 'name="website"' in html and "frame-ancestors *" in response["Content-Security-Policy"]


def test_a_request_becomes_a_ticket_answered_with_its_number_and_link(
    desk, client, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, request_data())
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert ticket.channel == "web" and ticket.contact is None and ticket.created_by is None
    assert (ticket.requester_name, ticket.requester_email, ticket.requester_phone) == (
        "Nguyễn Thị Ánh Tuyết",
        "tuyet@example.com",
        "+84912345678",
    )
    assert ticket.queue == desk.first and ticket.owner in desk.agents
    created = Event.objects.get(type="ticket.created", subject_id=ticket.pk)
    assert created.actor is None and created.actor_label == "webform:support"
    answer = client.get(response["Location"])
    html = answer.content.decode()
    assert answer.status_code == 200 and "X-Frame-Options" not in answer
    assert ticket.number in html
    link = re.search(r'data-testid="public-sent-link">([^<]+)<', html).group(1)
    assert client.get(local(link)).status_code == 200
    (mail,) = smtp.to("tuyet@example.com")
    assert mail["Subject"].strip().startswith(f"[{ticket.number}]") and "/t/" in text_of(mail)


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"phone": "+84 912 345 678", "email": ""}, "phone"),
        ({"phone": "", "email": "Tuyet.Nguyen@Example.com"}, "email"),
    ],
)
def test_a_request_is_matched_to_the_existing_contact(desk, client, make_contact, typed, field):
    contact = make_contact(phones=["0912 345 678"], emails=["tuyet.nguyen@example.com"])
    assert client.post(NEW, request_data(**typed)).status_code == 303
    assert Ticket.objects.get().contact == contact


def test_a_phone_and_an_email_of_two_different_people_match_nobody(desk, client, make_contact):
    make_contact(phones=["0912 345 678"])
    make_contact(full_name="Trần Văn Bình", phones=["0987 654 321"], emails=["binh@example.com"])
    assert client.post(NEW, request_data(email="binh@example.com")).status_code == 303
    assert Ticket.objects.get().contact is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"phone": "", "email": ""}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"subject": ""}, "subject"),
        ({"description": ""}, "description"),
        ({"subject": "x" * 201}, "subject"),
    ],
)
def test_bad_input_answers_400_with_the_forms_errors(desk, client, changes, field):
    response = client.post(NEW, request_data(**changes))
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_honeypot_creates_nothing(desk, client):
    response = client.post(NEW, request_data(website="http://spam.example"))
    assert response.status_code == 200 and 'data-testid="public-received"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_too_many_requests_from_one_address_answer_429(desk, client, settings):
    settings.WEBFORM_RATE_LIMIT = 2
    assert [client.post(NEW, request_data()).status_code for _ in range(3)] == [303, 303, 429]
    assert Ticket.objects.count() == 2


def test_html_in_the_form_is_kept_as_text(desk, client):
    assert client.post(NEW, request_data(subject=XSS, name=XSS)).status_code == 303
    ticket = Ticket.objects.get()
    assert ticket.subject == XSS and ticket.requester_name == XSS
    html = client.get(page_of(ticket)).content.decode()
    assert "<img src=x" not in html
