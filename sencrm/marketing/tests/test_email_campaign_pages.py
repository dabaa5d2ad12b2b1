"""Email campaigns' pages: the list (without N+1), the form (a bad template is a 400 with the reason in the
form, never a 500), the campaign's page with its reach and its sandboxed preview, the test send, sending
now or later through a real SMTP server, the progress partial, the gate by role, and the public links."""

# The shared fixtures (people, segment, email) are imported: arguments naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from sencrm.marketing import emailing
from sencrm.marketing.models import EmailCampaign, EmailRecipient
from sencrm.marketing.tests.email_helpers import html_of
from sencrm.marketing.tests.test_email_campaigns import BODY, email, people, segment  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.django_db

SUBJECT = "{{ contact.first_name }} ơi, ưu đãi hè"


def url(name, *args):
    return reverse(f"marketing:{name}", args=args)


def form_data(chosen=None, **changes):
    data = {"name": "Ưu đãi Tết", "segment": chosen.pk if chosen else "", "subject": SUBJECT, "body": BODY}
    return {**data, **changes}


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'data-testid="([^"]+)"', html))


# --- the pages -------------------------------------------------------------------------------------


def test_the_pages_render_for_marketing(client_as, people, email, segment):
    client = client_as("marketing")
    listed = client.get(url("email_list"))
    assert listed.status_code == 200
    page = listed.content.decode()
    assert {"email-table", "email-row", "new-email"} <= ids_in(page)
    assert "Bảo dưỡng mùa hè" in page and "Khách miền Bắc" in page and email.get_absolute_url() in page
    assert client.get(url("email_list"), {"status": "sent"}).content.decode().count("email-row") == 0
    assert client.get(url("email_list"), {"status": "<x>", "page": "abc"}).status_code == 200

    new = client.get(url("email_create"), {"segment": segment.pk})
    assert new.status_code == 200
    page = new.content.decode()
    for name in ("name", "segment", "subject", "body"):
        assert f'id="id_{name}"' in page
    assert re.search(rf'<option value="{segment.pk}" selected>', page)
    assert "{{ contact.first_name }}" in page  # the merge fields are explained

    detail = client.get(email.get_absolute_url())
    assert detail.status_code == 200
    page = detail.content.decode()
    assert {"email-title", "email-reach", "email-progress", "email-send-now", "email-test-form",
            "email-preview", "email-edit"} <= ids_in(page)  # fmt: skip
    reach = re.search(r'data-testid="email-reach">([^<]*)<', page).group(1)
    assert re.findall(r"\d+", reach) == ["2"]  # An and Bình: Cường said no, Dũng has no address
    iframe = re.search(r'<iframe[^>]*data-testid="email-preview"[^>]*>', page).group(0)
    assert " sandbox " in iframe
    assert f'src="{url("email_preview", email.pk)}?contact={people["an"].pk}"' in iframe
    assert "Nguyễn Văn An" in page  # the preview's contact is named

    edit = client.get(url("email_edit", email.pk))
    assert edit.status_code == 200
    page = edit.content.decode()
    assert 'value="Bảo dưỡng mùa hè"' in page and 'name="version"' in page

    progress = client.get(url("email_progress", email.pk))
    assert progress.status_code == 200 and progress["Cache-Control"].startswith("max-age=0")
    assert 'data-status="draft"' in progress.content.decode()
    assert "<html" not in progress.content.decode()  # a fragment for htmx


def test_creating_through_the_form(client_as, org, people, segment):
    client = client_as("marketing")
    answer = client.post(url("email_create"), form_data(segment))
    created = EmailCampaign.objects.get()
    assert answer.status_code == 302 and answer["Location"] == created.get_absolute_url()
    assert created.owner == org["marketing"] and created.segment == segment and created.status == "draft"
    assert created.campaign.channel == "email" and created.campaign.name == "Ưu đãi Tết"
    # Without a segment too (chosen later); sending it is then refused.
    answer = client.post(url("email_create"), form_data(None, name="Chưa có tệp"))
    assert answer.status_code == 302
    assert EmailCampaign.objects.get(name="Chưa có tệp").segment is None


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("body", "{{ settings.SECRET_KEY }}"),
        ("body", "{{ ''.__class__ }}"),
        ("body", "{% include 'base.html' %}"),
        ("body", "{{ contact.name"),
        ("body", ""),
        ("body", "x" * 200_001),
        ("subject", "{{ settings.SECRET_KEY }}"),
        ("subject", "{{ ''.__class__.__mro__ }}"),
        ("segment", "999999"),
        ("segment", "abc"),
        ("segment", "99999999999999999999"),
    ],
)
def test_a_bad_form_is_a_400_with_the_reason_in_the_form(client_as, segment, field, bad):
    client = client_as("marketing")
    answer = client.post(url("email_create"), form_data(segment, **{field: bad}))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert f'data-testid="error-{field}"' in page
    assert 'data-testid="email-form"' in page
    assert not EmailCampaign.all_objects.exists()


def test_editing_through_the_form(client_as, email, segment):
    client = client_as("marketing")
    data = form_data(segment, name="Hè 2026", version=email.version)
    bad = client.post(url("email_edit", email.pk), {**data, "body": "{{ contact.__dict__ }}"})
    assert bad.status_code == 400 and 'data-testid="error-body"' in bad.content.decode()
    answer = client.post(url("email_edit", email.pk), data)
    assert answer.status_code == 302
    email.refresh_from_db()
    assert email.name == "Hè 2026" and email.campaign.name == "Hè 2026"


def test_a_manager_cannot_pick_a_segment_out_of_reach(client_as, segment):
    """Their grants are their team's: the marketing user's segment is not a choice, like a missing one."""
    client = client_as("manager")
    form = client.get(url("email_create")).content.decode()
    assert "Khách miền Bắc" not in form
    answer = client.post(url("email_create"), form_data(segment))
    missing = client.post(url("email_create"), form_data(segment, segment=str(segment.pk + 1000)))
    assert answer.status_code == missing.status_code == 400
    error = re.compile(r'data-testid="error-segment">([^<]*)<')
    assert error.search(answer.content.decode()).group(1) == error.search(missing.content.decode()).group(1)
    assert not EmailCampaign.all_objects.exists()


# --- preview and test send -------------------------------------------------------------------------


def test_the_preview_is_the_merged_html_in_a_sandbox(client_as, org, people, email, make_contact):
    client = client_as("marketing")
    answer = client.get(url("email_preview", email.pk), {"contact": people["binh"].pk})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/html")
    html = answer.content.decode()
    assert "Trần Thị Bình" in html and "Nguyễn Văn An" not in html
    assert "<title>Bình ơi, ưu đãi hè</title>" in html
    assert "https://senco.vn/uu-dai?ma=HE&amp;x=1" in html and "/e/c/" not in html  # untracked
    assert "/e/o/" not in html  # no pixel in a preview
    policy = answer["Content-Security-Policy"]
    assert re.search(r"(^|;)\s*sandbox\b", policy), policy
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert answer["X-Frame-Options"] == "SAMEORIGIN"
    # Without a contact: the first person of the audience; an unknown id falls back to them too.
    assert "Nguyễn Văn An" in client.get(url("email_preview", email.pk)).content.decode()
    assert (
        "Nguyễn Văn An" in client.get(url("email_preview", email.pk), {"contact": "9" * 30}).content.decode()
    )
    # Odd contact ids are no contact (never a 500): "²" passes str.isdigit() but not int().
    for odd_id in ("²", "٣", "1\x00", "-1", "abc"):
        for name in ("email_preview", "email_detail"):
            assert client.get(url(name, email.pk), {"contact": odd_id}).status_code == 200, (name, odd_id)
    assert client.get(url("email_create"), {"segment": "²"}).status_code == 200
    # A name is data, never markup: escaped in the body and in the title.
    odd = make_contact(full_name='Ô "</title><script>alert(1)</script>', phones=("0912 000 009",))
    html = client.get(url("email_preview", email.pk), {"contact": odd.pk}).content.decode()
    assert "<script>" not in html and "&lt;/title&gt;" in html


def test_the_test_form_sends_one_message(client_as, org, people, email, smtp, make_contact):
    client = client_as("marketing")
    answer = client.post(url("email_test_send", email.pk), {"to": "me@senco.vn"}, follow=True)
    assert answer.status_code == 200 and 'data-testid="messages"' in answer.content.decode()
    assert [m["To"] for m in smtp.messages] == ["me@senco.vn"]
    message = smtp.messages[0]
    assert message["Subject"] == "An ơi, ưu đãi hè"
    assert "Nguyễn Văn An" in html_of(message) and "/e/c/" not in html_of(message)
    # Merged with the preview's contact; the subject is plain text, not HTML-escaped.
    other = make_contact(full_name="Công ty O'Hara & Co", phones=("0912 000 010",))
    client.post(f"{url('email_test_send', email.pk)}?contact={other.pk}", {"to": "me@senco.vn"})
    assert smtp.messages[1]["Subject"] == "Co ơi, ưu đãi hè"
    assert "O&#39;Hara &amp; Co" in html_of(smtp.messages[1]) or "O&#x27;Hara &amp; Co" in html_of(
        smtp.messages[1]
    )
    # A bad address is said on the page; nothing is sent.
    for bad in ("not an address", "a@b.c\r\nBcc: x@evil.example", "me@", "@senco.vn"):
        answer = client.post(url("email_test_send", email.pk), {"to": bad})
        assert answer.status_code == 302 and answer["Location"] == email.get_absolute_url()
    assert len(smtp.messages) == 2
    email.refresh_from_db()
    assert email.sent == 0 and EmailRecipient.objects.count() == 0
    assert client.get(url("email_test_send", email.pk)).status_code == 405


# --- sending ---------------------------------------------------------------------------------------


def test_send_now_reaches_the_audience(client_as, people, email, smtp, django_capture_on_commit_callbacks):
    client = client_as("marketing")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url("email_send", email.pk))
    assert answer.status_code == 302 and answer["Location"] == email.get_absolute_url()
    assert sorted(m["To"] for m in smtp.messages) == ["an@khach.vn", "binh@khach.vn"]
    email.refresh_from_db()
    assert email.status == "sent" and email.sent == 2
    page = client.get(email.get_absolute_url()).content.decode()
    assert 'data-status="sent"' in page and "an@khach.vn" in page and "binh@khach.vn" in page
    assert 'data-testid="email-send-now"' not in page and 'data-testid="email-edit"' not in page
    progress = client.get(url("email_progress", email.pk)).content.decode()
    assert re.search(r'data-testid="email-sent">2<', progress)
    # Again: refused with a message, nothing more is sent; the edit page sends back to the campaign.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url("email_send", email.pk), follow=True)
    assert again.status_code == 200 and len(smtp.messages) == 2
    assert client.get(url("email_edit", email.pk)).status_code == 302


def test_schedule_then_cancel_through_the_page(
    client_as, people, email, smtp, django_capture_on_commit_callbacks
):
    client = client_as("marketing")
    for bad in ("garbage", "0102-01-01T09:00", "2026-02-31T10:00", "2020-01-01T09:00"):
        answer = client.post(url("email_send", email.pk), {"scheduled_at": bad})
        assert answer.status_code == 302, bad
    email.refresh_from_db()
    assert email.status == "draft"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(url("email_send", email.pk), {"scheduled_at": "2030-01-01T09:00"})
    assert callbacks == [] and smtp.messages == []
    email.refresh_from_db()
    assert email.status == "scheduled" and email.scheduled_at.year == 2030
    page = client.get(email.get_absolute_url()).content.decode()
    assert 'data-status="scheduled"' in page and 'data-testid="email-cancel"' in page
    assert client.post(url("email_cancel", email.pk)).status_code == 302
    email.refresh_from_db()
    assert email.status == "cancelled"


def test_the_progress_partial_polls_while_sending(client_as, people, email, smtp):
    from django.utils import timezone

    from sencrm.marketing import email_sender

    EmailCampaign.objects.filter(pk=email.pk).update(status="scheduled", scheduled_at=timezone.now())
    email_sender.start(email.pk)  # queued, not sent yet: what a page sees while the worker runs
    client = client_as("marketing")
    fragment = client.get(url("email_progress", email.pk)).content.decode()
    assert 'data-status="sending"' in fragment
    assert f'hx-get="{url("email_progress", email.pk)}"' in fragment and 'hx-trigger="every 2s"' in fragment
    assert re.search(r'<progress[^>]*value="0"', fragment)
    email_sender.send(email.pk)
    fragment = client.get(url("email_progress", email.pk)).content.decode()
    assert 'data-status="sent"' in fragment and "hx-get" not in fragment  # done: it stops polling
    assert re.search(r'data-testid="email-sent">2<', fragment)


def test_send_without_a_segment_says_why(client_as, org, smtp):
    draft = emailing.email_create(actor=org["marketing"], data={"name": "X", "subject": "a", "body": "b"})
    client = client_as("marketing")
    page = client.get(draft.get_absolute_url()).content.decode()
    assert 'data-testid="email-reach"' not in page and 'data-testid="email-send-now"' not in page
    preview = client.get(url("email_preview", draft.pk))  # nobody to merge with: a sample name
    assert preview.status_code == 200 and "<title>a</title>b" in preview.content.decode()
    answer = client.post(url("email_send", draft.pk))
    assert answer.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "draft" and smtp.messages == []


# --- the gate --------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["care", "tech", "board", "accountant"])
def test_roles_without_the_marketing_module_get_403(client_as, email, username):
    client = client_as(username)
    assert client.get(url("email_list")).status_code == 403
    assert client.get(url("email_create")).status_code == 403
    assert client.get(email.get_absolute_url()).status_code in (403, 404)


def test_sales_reads_but_does_not_write(client_as, email, smtp):
    client = client_as("sales1")
    listed = client.get(url("email_list"))
    assert listed.status_code == 200 and 'data-testid="new-email"' not in listed.content.decode()
    assert client.get(url("email_create")).status_code == 403
    page = client.get(email.get_absolute_url())
    assert page.status_code == 200 and 'data-testid="email-send-now"' not in page.content.decode()
    for name in ("email_edit", "email_send", "email_cancel", "email_delete", "email_test_send"):
        assert client.post(url(name, email.pk)).status_code == 403, name
    assert EmailCampaign.objects.get(pk=email.pk).status == "draft" and smtp.messages == []


def test_out_of_scope_and_missing_ids_are_404(client_as, email):
    client = client_as("manager")  # their team's records only: the marketing user's are out of reach
    for name in ("email_detail", "email_edit", "email_progress", "email_preview"):
        assert client.get(url(name, email.pk)).status_code == 404, name
    for name in ("email_send", "email_cancel", "email_test_send", "email_delete"):
        assert client.post(url(name, email.pk)).status_code == 404, name
    marketing = client_as("marketing")
    assert marketing.get(url("email_detail", 999999)).status_code == 404
    assert marketing.get("/emails/99999999999999999999/").status_code == 404


def test_anonymous_goes_to_sign_in(client, email):
    answer = client.get(email.get_absolute_url())
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert client.get(url("email_preview", email.pk)).status_code == 302


# --- the public links ------------------------------------------------------------------------------


def test_the_pixel_is_a_gif_and_a_bad_click_token_is_the_not_valid_page(client):
    pixel = client.get(url("email_open", "garbage"))
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a")
    assert "no-cache" in pixel["Cache-Control"] or "max-age=0" in pixel["Cache-Control"]
    for token in ("garbage", "a" * 5000):
        bad = client.get(url("email_click", token) + "?u=https://evil.example/")
        assert bad.status_code == 400 and "Location" not in bad
        page = bad.content.decode()
        assert 'data-testid="email-link-bad"' in page and "evil.example" not in page
    english = client.get(url("email_click", "garbage"), HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400


# --- cost ------------------------------------------------------------------------------------------


def test_the_list_page_does_not_query_per_row(client_as, org, segment, django_assert_max_num_queries):
    client = client_as("marketing")

    def make(n):
        for i in range(n):
            data = {"name": f"Thư {i}", "segment": segment, "subject": "Chào", "body": "<p>x</p>"}
            emailing.email_create(actor=org["marketing"], data=data)

    make(1)
    client.get(url("email_list"))  # warm the caches (session, content types)
    with django_assert_max_num_queries(30) as one:
        assert client.get(url("email_list")).status_code == 200
    make(5)
    with django_assert_max_num_queries(len(one.captured_queries)) as six:
        page = client.get(url("email_list"))
    assert page.content.decode().count('data-testid="email-row"') == 6
    assert len(six.captured_queries) == len(one.captured_queries)
