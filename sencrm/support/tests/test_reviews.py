"""Ratings: the CSAT request after a ticket (once, emailed by consent), the answer written once, the
signed link, NPS surveys sent once to a segment, and the CSAT/NPS arithmetic."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sencrm.customers import ledger
from sencrm.marketing.tests.email_helpers import text_of
from sencrm.support import reviews
from sencrm.support.models import Review, Survey
from sencrm.support.tests.care_helpers import (  # noqa: F401  (fixtures)
    events,
    make_segment_fixture,
    make_ticket_fixture,
    resolved,
    smtp_fixture,
)


@pytest.fixture
def lan(make_contact):
    return make_contact(full_name="Nguyễn Thị Lan", phones=("0903 111 222",), emails=("lan@example.vn",))


def withdraw(contact, purpose="care"):
    ledger.consent_append(person=contact, channel="email", purpose=purpose, granted=False, source="form")


# --- CSAT after a ticket ----------------------------------------------------------------------------


def test_a_resolved_ticket_asks_once_for_a_rating_by_email(
    org, lan, make_ticket, smtp, django_capture_on_commit_callbacks
):
    ticket = make_ticket(lan, status="resolved", resolved_at=resolved(0))
    with django_capture_on_commit_callbacks(execute=True):
        review = reviews.request_for_ticket(ticket, actor=org["care"])
    assert (review.kind, review.owner, review.ticket, review.contact) == ("csat", org["care"], ticket, lan)
    [message] = smtp.to("lan@example.vn")
    assert ticket.number in message["Subject"]
    link = reviews.review_link(review)
    assert link.split("/r/")[0] == "http://localhost:8000" and "/r/" in text_of(message)
    review.refresh_from_db()
    assert review.sent_to == "lan@example.vn"
    assert events("review.created", subject=review, customer=lan).count() == 1
    assert events("review.requested", subject=review, customer=lan).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        again = reviews.request_for_ticket(ticket, actor=org["care"])
    assert again == review and len(smtp.messages) == 1 and Review.objects.count() == 1


def test_a_withdrawn_care_consent_keeps_the_email_but_not_the_link(
    org, lan, make_ticket, smtp, django_capture_on_commit_callbacks
):
    withdraw(lan)
    with django_capture_on_commit_callbacks(execute=True):
        review = reviews.request_for_ticket(make_ticket(lan, status="resolved", resolved_at=resolved(0)))
    assert review is not None and review.sent_to == "" and smtp.messages == []
    assert reviews.review_link(review).startswith(
        "http://localhost:8000/r/"
    )  # the agent may still send it by Zalo


def test_a_marketing_unsubscribe_does_not_stop_the_rating_request(
    org, lan, make_ticket, smtp, django_capture_on_commit_callbacks
):
    withdraw(lan, purpose="marketing")
    with django_capture_on_commit_callbacks(execute=True):
        reviews.request_for_ticket(make_ticket(lan, status="resolved", resolved_at=resolved(0)))
    assert len(smtp.to("lan@example.vn")) == 1


def test_a_ticket_from_the_web_form_is_rated_by_its_requester(
    org, make_ticket, smtp, django_capture_on_commit_callbacks
):
    ticket = make_ticket(
        None,
        status="resolved",
        resolved_at=resolved(0),
        requester_email="khach@example.vn",
        requester_name="Khách lẻ",
    )
    with django_capture_on_commit_callbacks(execute=True):
        reviews.request_for_ticket(ticket)
    [message] = smtp.to("khach@example.vn")
    assert "Khách lẻ" in text_of(message)


def test_no_address_no_email(org, make_contact, make_ticket, smtp, django_capture_on_commit_callbacks):
    contact = make_contact(full_name="Không Email", phones=("0903 333 444",))
    with django_capture_on_commit_callbacks(execute=True):
        review = reviews.request_for_ticket(make_ticket(contact, status="resolved", resolved_at=resolved(0)))
    assert review is not None and smtp.messages == []


# --- the answer -------------------------------------------------------------------------------------


@pytest.fixture
def csat(org, lan, make_ticket):
    return reviews.request_for_ticket(make_ticket(lan, status="resolved", resolved_at=resolved(0)))


def test_an_answer_is_written_once_on_the_customers_timeline(org, lan, csat):
    answered = reviews.review_answer(csat, score="4", comment="  Kỹ thuật viên\u200b nhiệt tình  ")
    assert (answered.score, answered.comment) == (4, "Kỹ thuật viên nhiệt tình")
    event = events("review.received", subject=csat, customer=lan).get()
    assert event.data["score"] == 4 and event.actor is None
    with pytest.raises(reviews.AlreadyAnswered):
        reviews.review_answer(csat, score=1)
    assert Review.objects.get(pk=csat.pk).score == 4


@pytest.mark.parametrize("score", ["0", "6", "-1", "abc", "", "4.5", None, True, "１"])
def test_a_csat_score_is_a_whole_number_from_1_to_5(csat, score):
    with pytest.raises(ValidationError):
        reviews.review_answer(csat, score=score)
    assert Review.objects.get(pk=csat.pk).answered_at is None


def test_the_token_names_one_review_tampering_or_age_breaks_it(csat, monkeypatch):
    token = reviews.review_token(csat)
    assert reviews.review_from_token(token) == csat
    with pytest.raises(reviews.BadToken) as bad:
        reviews.review_from_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert not bad.value.expired
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 31 * 86400)
    old = reviews.review_token(csat)
    monkeypatch.setattr(time, "time", real)
    with pytest.raises(reviews.BadToken) as bad:
        reviews.review_from_token(old)
    assert bad.value.expired
    csat.delete()
    with pytest.raises(reviews.BadToken):
        reviews.review_from_token(token)


# --- NPS surveys ------------------------------------------------------------------------------------


@pytest.fixture
def audience(make_contact):
    return {
        "a": make_contact(
            owner="sales1", full_name="Phạm Văn An", phones=("0903 000 011",), emails=("an@example.vn",)
        ),
        "b": make_contact(
            owner="manager", full_name="Lê Thị Bình", phones=("0903 000 012",), emails=("binh@example.vn",)
        ),
        "no_email": make_contact(owner="sales1", full_name="Trần Không Mail", phones=("0903 000 013",)),
        "withdrawn": make_contact(
            owner="sales1", full_name="Đỗ Từ Chối", phones=("0903 000 014",), emails=("tuchoi@example.vn",)
        ),
        "hcm": make_contact(
            owner="sales2", full_name="Võ Sài Gòn", phones=("0903 000 015",), emails=("sg@example.vn",)
        ),
    }


@pytest.fixture
def survey(org, audience, make_segment):
    withdraw(audience["withdrawn"])
    return reviews.survey_create(
        actor=org["manager"],
        data={
            "name": "NPS quý 3",
            "segment": make_segment(owner="manager"),
            "question": "Bạn có giới thiệu Điều Hòa Sen không?",
        },
    )


def test_a_survey_goes_once_to_the_members_with_an_email_the_sender_may_see(
    org, audience, survey, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = reviews.survey_send(survey, actor=org["manager"])
    assert sent.sent_at is not None
    asked = Review.objects.filter(survey=survey)
    assert {r.contact for r in asked} == {audience["a"], audience["b"]}
    assert all(r.kind == "nps" and r.owner == org["manager"] for r in asked)
    assert sorted(m["To"] for m in smtp.messages) == ["an@example.vn", "binh@example.vn"]
    assert smtp.messages[0]["Subject"].strip() == "Bạn có giới thiệu Điều Hòa Sen không?"
    assert "?score=10" in text_of(smtp.messages[0]) or "/r/" in text_of(smtp.messages[0])
    assert events("survey.sent", subject=survey).get().data["recipients"] == 2
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        reviews.survey_send(survey, actor=org["manager"])
    assert asked.count() == 2 and len(smtp.messages) == 2


def test_a_survey_with_nobody_to_write_to_is_not_sent(org, make_segment):
    survey = reviews.survey_create(
        actor=org["manager"],
        data={"name": "Trống", "segment": make_segment(owner="manager"), "question": "?"},
    )
    with pytest.raises(ValidationError):
        reviews.survey_send(survey, actor=org["manager"])
    assert Survey.objects.get(pk=survey.pk).sent_at is None


def test_a_survey_needs_a_segment_the_creator_may_see(org, make_segment):
    segment = make_segment(owner="manager")
    outside = make_segment(owner="admin", name="Của quản trị")  # no team: the manager may not see it
    with pytest.raises(ValidationError) as raised:  # the same words as a missing one
        reviews.survey_create(actor=org["manager"], data={"name": "NPS", "segment": outside, "question": "?"})
    assert "segment" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        reviews.survey_create(actor=org["manager"], data={"name": " ", "segment": "x", "question": "q" * 301})
    assert set(raised.value.message_dict) == {"name", "segment", "question"}
    with pytest.raises(PermissionDenied):
        reviews.survey_create(actor=org["sales1"], data={"name": "NPS", "segment": segment, "question": "?"})


def test_nps_scores_go_from_0_to_10(org, audience, survey):
    reviews.survey_send(survey, actor=org["manager"])
    review = Review.objects.filter(survey=survey).first()
    with pytest.raises(ValidationError):
        reviews.review_answer(review, score=11)
    assert reviews.review_answer(review, score=0).score == 0


# --- results ----------------------------------------------------------------------------------------


def _answered(org, contact, kind, scores, owner="care"):
    now = timezone.now()
    for score in scores:
        Review.objects.create(kind=kind, owner=org[owner], contact=contact, score=score, answered_at=now)


def test_csat_counts_the_satisfied_as_4_and_5(org, lan):
    _answered(org, lan, "csat", [5, 4, 3, 1])
    _answered(org, lan, "csat", [5, 5], owner="manager")
    Review.objects.create(kind="csat", owner=org["care"], contact=lan)  # not answered: not counted
    assert reviews.csat_summary(Review.objects.filter(owner=org["care"])) == {
        "count": 4, "average": 3.25, "satisfied": 2, "satisfied_pct": 50.0,
    }  # fmt: skip
    by_agent = {row["id"]: row for row in reviews.csat_by(Review.objects.all(), "agent")}
    assert by_agent[org["manager"].pk]["satisfied_pct"] == 100.0 and by_agent[org["care"].pk]["count"] == 4
    assert reviews.csat_by(Review.objects.all(), "contact")[0]["count"] == 6
    assert reviews.csat_summary(Review.objects.none())["average"] is None
    with pytest.raises(ValidationError):
        reviews.csat_by(Review.objects.all(), "password")


def test_nps_is_the_share_of_promoters_minus_the_share_of_detractors(org, lan):
    _answered(org, lan, "nps", [10, 9, 9, 8, 7, 6, 0])
    summary = reviews.nps_summary(Review.objects.all())
    assert (summary["promoters"], summary["passives"], summary["detractors"], summary["count"]) == (
        3,
        2,
        2,
        7,
    )
    assert summary["nps"] == round(100 * (3 - 2) / 7, 1) == 14.3
    _answered(org, lan, "nps", [0, 0, 0, 0, 0])
    assert reviews.nps_summary(Review.objects.all())["nps"] == round(100 * (3 - 7) / 12, 1)
    assert reviews.nps_summary(Review.objects.none())["nps"] is None
    assert reviews.csat_summary(Review.objects.all())["count"] == 0  # NPS answers are not CSAT answers
