"""The care call and ratings pages: who may open them, the list filters, logging a call from the list,
planning from a segment, the survey pages, and the customer's public rating page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sencrm.support import carecalls, reviews
from sencrm.support.models import Call, CareCall, Review
from sencrm.support.tests.care_helpers import (  # noqa: F401  (fixtures)
    events,
    make_segment_fixture,
    make_ticket_fixture,
    resolved,
    smtp_fixture,
)

XSS = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def lan(make_contact):
    return make_contact(full_name="Nguyễn Thị Lan", phones=("0903 111 222",), emails=("lan@example.vn",))


@pytest.fixture
def planned(org, lan):
    return carecalls.carecall_create(
        actor=org["care"], data={"contact": lan, "purpose": "Hỏi thăm", "due_date": timezone.localdate()}
    )


@pytest.fixture
def survey(org, make_segment):
    return reviews.survey_create(
        actor=org["manager"],
        data={"name": "NPS quý 3", "segment": make_segment(owner="manager"), "question": "Giới thiệu?"},
    )


LISTS = [
    "carecall_list",
    "carecall_create",
    "carecall_from_segment",
    "review_list",
    "survey_list",
    "survey_create",
]


@pytest.mark.parametrize("name", LISTS)
def test_care_opens_the_pages_and_sales_gets_403(client_as, name):
    assert client_as("care").get(reverse(f"support:{name}")).status_code == 200
    assert client_as("sales1").get(reverse(f"support:{name}")).status_code == 403


def test_a_record_outside_the_readers_scope_is_a_404(client_as, planned, survey):
    client = client_as("sales1")
    assert client.get(reverse("support:carecall_done", args=[planned.pk])).status_code == 404
    assert (
        client.post(reverse("support:carecall_done", args=[planned.pk]), {"outcome": "reached"}).status_code
        == 404
    )
    assert client.get(reverse("support:survey_detail", args=[survey.pk])).status_code == 404
    assert client.post(reverse("support:survey_send", args=[survey.pk])).status_code == 404
    assert CareCall.objects.get(pk=planned.pk).status == "planned" and survey.sent_at is None
    assert client_as("care").get(reverse("support:survey_detail", args=[survey.pk])).status_code == 200


def test_the_list_shows_todays_and_overdue_calls_escaped(org, client_as, lan):
    today = timezone.localdate()
    mine = carecalls.carecall_create(
        actor=org["care"], data={"contact": lan, "purpose": XSS, "due_date": today}
    )
    CareCall.objects.filter(pk=mine.pk).update(due_date=today - dt.timedelta(days=2))  # overdue since
    carecalls.carecall_create(
        actor=org["care"],
        data={"contact": lan, "purpose": "Tuần sau", "due_date": today + dt.timedelta(days=9)},
    )
    html = client_as("care").get(reverse("support:carecall_list")).content.decode()
    assert html.count('data-testid="carecall-row"') == 1 and 'data-testid="overdue"' in html
    assert XSS not in html and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "+84903111222" in html or "0903 111 222" in html


def test_the_list_filters_by_agent_for_a_wide_reader_and_refuses_bad_filters(org, client_as, lan, planned):
    client = client_as("care")
    url = reverse("support:carecall_list")
    assert (
        client.get(url, {"agent": str(org["admin"].pk)}).content.decode().count('data-testid="carecall-row"')
        == 0
    )
    assert client.get(url, {"agent": "all"}).content.decode().count('data-testid="carecall-row"') == 1
    assert client.get(url, {"when": "yesterday"}).status_code == 400
    assert client.get(url, {"agent": "1 OR 1=1"}).status_code == 400
    assert client.get(url, {"cursor": "forged"}).status_code == 400


def test_logging_a_call_from_the_list_with_minutes_and_seconds(org, client_as, lan, planned):
    client = client_as("care")
    back = reverse("support:carecall_list") + "?when=week"
    response = client.post(
        reverse("support:carecall_done", args=[planned.pk]),
        {"outcome": "reached", "duration": "3:25", "notes": "Máy chạy tốt", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    call = Call.objects.get()
    assert (call.duration, call.outcome, call.notes) == (205, "reached", "Máy chạy tốt")
    assert CareCall.objects.get(pk=planned.pk).status == "done"


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "reached", "duration": "3 phút"},
        {"outcome": "call_back"},
        {"outcome": "reached", "recording_url": "javascript:alert(1)"},
        {"outcome": "bogus"},
    ],
)
def test_a_bad_call_log_is_a_400_and_changes_nothing(client_as, planned, data):
    response = client_as("care").post(reverse("support:carecall_done", args=[planned.pk]), data)
    assert response.status_code == 400
    assert not Call.objects.exists() and CareCall.objects.get(pk=planned.pk).status == "planned"


def test_an_outside_next_is_not_followed(client_as, planned):
    response = client_as("care").post(
        reverse("support:carecall_done", args=[planned.pk]),
        {"outcome": "reached", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("support:carecall_list")


def test_planning_by_hand_finds_the_customer_then_saves(org, client_as, lan):
    client = client_as("care")
    found = client.get(reverse("support:carecall_create"), {"q": "Lan"}).content.decode()
    assert f"?contact={lan.pk}" in found
    form = client.get(reverse("support:carecall_create"), {"contact": lan.pk})
    assert form.status_code == 200 and "Nguyễn Thị Lan" in form.content.decode()
    due = (timezone.localdate() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    response = client.post(
        reverse("support:carecall_create"),
        {"contact": lan.pk, "purpose": "Nhắc vệ sinh máy", "due_date": due, "owner": org["care"].pk},
    )
    assert response.status_code == 302
    assert CareCall.objects.get().purpose == "Nhắc vệ sinh máy"
    again = client.post(
        reverse("support:carecall_create"),
        {"contact": lan.pk, "purpose": "Nhắc vệ sinh máy", "due_date": due, "owner": org["care"].pk},
    )
    assert again.status_code == 400 and CareCall.objects.count() == 1


def test_planning_for_a_contact_outside_the_scope_reads_as_no_contact(org, client_as, make_contact):
    hcm = make_contact(owner="sales2", full_name="Võ Minh Khoa", phones=("0903 000 003",))
    due = timezone.localdate().strftime("%d/%m/%Y")
    response = client_as("manager").post(
        reverse("support:carecall_create"),
        {"contact": hcm.pk, "purpose": "Gọi", "due_date": due, "owner": org["manager"].pk},
    )
    assert response.status_code == 400 and not CareCall.objects.exists()


def test_planning_from_a_segment_through_the_page(org, client_as, lan, make_segment):
    segment = make_segment(owner="admin")
    response = client_as("admin").post(
        reverse("support:carecall_from_segment"),
        {
            "segment": segment.pk,
            "purpose": "Chúc Tết",
            "due_date": timezone.localdate().strftime("%d/%m/%Y"),
            "agents": [org["care"].pk],
        },
    )
    assert response.status_code == 302
    assert list(CareCall.objects.values_list("contact", "owner")) == [(lan.pk, org["care"].pk)]
    assert (
        client_as("care")
        .get(reverse("support:carecall_from_segment"))
        .content.decode()
        .count('data-testid="no-segments"')
        == 1
    )


def test_the_reviews_page_shows_the_summaries_by_agent(org, client_as, lan):
    now = timezone.now()
    for score in (5, 4, 2):
        Review.objects.create(
            kind="csat", owner=org["care"], contact=lan, score=score, answered_at=now, comment=XSS
        )
    html = client_as("care").get(reverse("support:review_list")).content.decode()
    assert 'data-testid="csat-average">3.67<' in html or 'data-testid="csat-average">3,67<' in html
    assert html.count('data-testid="agent-row"') == 1 and XSS not in html
    assert client_as("care").get(reverse("support:review_list"), {"kind": "bogus"}).status_code == 400


def test_creating_and_sending_a_survey_through_the_pages(
    org, client_as, lan, make_segment, smtp, django_capture_on_commit_callbacks
):
    client = client_as("manager")
    segment = make_segment(owner="manager")
    response = client.post(
        reverse("support:survey_create"), {"name": "NPS", "segment": segment.pk, "question": "Giới thiệu?"}
    )
    assert response.status_code == 302
    survey = reviews.Survey.objects.get()
    assert (
        'data-testid="send"'
        in client.get(reverse("support:survey_detail", args=[survey.pk])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("support:survey_send", args=[survey.pk]))
    assert len(smtp.to("lan@example.vn")) == 1
    client.post(reverse("support:survey_send", args=[survey.pk]))
    assert Review.objects.filter(survey=survey).count() == 1
    assert client.get(reverse("support:survey_send", args=[survey.pk])).status_code == 405
    assert (
        client.post(
            reverse("support:survey_create"), {"name": "", "segment": "999999", "question": ""}
        ).status_code
        == 400
    )


# --- the customer's page ----------------------------------------------------------------------------


@pytest.fixture
def csat(org, lan, make_ticket):
    return reviews.request_for_ticket(
        make_ticket(lan, status="resolved", resolved_at=resolved(0), subject=XSS)
    )


def _url(review):
    return reverse("support:public_review", args=[reviews.review_token(review)])


def test_the_customer_rates_once_without_an_account(client, lan, csat):
    url = _url(csat)
    page = client.get(url, {"score": "5"})
    assert page.status_code == 200 and 'id="score-5" value="5" required checked' in page.content.decode()
    assert XSS not in page.content.decode()  # the ticket's subject, escaped
    assert Review.objects.get(pk=csat.pk).answered_at is None  # a GET records nothing
    done = client.post(url, {"score": "5", "comment": "Rất hài lòng"})
    assert done.status_code == 200 and 'data-testid="review-thanks"' in done.content.decode()
    assert events("review.received", subject=csat, customer=lan).count() == 1
    second = client.post(url, {"score": "1"})
    assert second.status_code == 409 and 'data-testid="review-already"' in second.content.decode()
    assert 'data-testid="review-already"' in client.get(url).content.decode()
    assert Review.objects.get(pk=csat.pk).score == 5


@pytest.mark.parametrize("score", ["0", "6", "abc", ""])
def test_an_out_of_range_score_is_a_400(client, csat, score):
    response = client.post(_url(csat), {"score": score})
    assert response.status_code == 400 and 'data-testid="review-error"' in response.content.decode()
    assert Review.objects.get(pk=csat.pk).answered_at is None


def test_a_tampered_or_expired_link_is_a_400(client, csat, monkeypatch):
    import time

    token = reviews.review_token(csat)
    forged = reverse("support:public_review", args=[token[:-3] + "xyz"])
    response = client.post(forged, {"score": "5"})
    assert response.status_code == 400 and 'data-testid="review-bad"' in response.content.decode()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 31 * 86400)
    old = _url(csat)
    monkeypatch.setattr(time, "time", real)
    expired = client.get(old)
    assert expired.status_code == 400 and "30" in expired.content.decode()
    assert client.get("/r/" + "A" * 600 + "/").status_code == 400
    assert Review.objects.get(pk=csat.pk).answered_at is None


def test_an_nps_review_asks_0_to_10(org, client, lan, survey):
    review = Review.objects.create(kind="nps", owner=org["manager"], contact=lan, survey=survey)
    html = client.get(_url(review)).content.decode()
    assert 'id="score-0"' in html and 'id="score-10"' in html and "Giới thiệu?" in html
    assert client.post(_url(review), {"score": "11"}).status_code == 400
    assert client.post(_url(review), {"score": "0"}).status_code == 200


def test_the_list_of_40_calls_takes_a_fixed_number_of_queries(
    org, client_as, make_contact, django_assert_max_num_queries
):
    today = timezone.localdate()
    for index in range(40):
        person = make_contact(full_name=f"Khách {index:02d}", phones=(f"0912 100 {index:03d}",))
        carecalls.carecall_create(
            actor=org["care"], data={"contact": person, "purpose": "Hỏi thăm", "due_date": today}
        )
    client = client_as("care")
    with django_assert_max_num_queries(14):  # 12 measured: session, user, grants, counts, page, labels
        response = client.get(reverse("support:carecall_list"))
    assert response.content.decode().count('data-testid="carecall-row"') == 40
