"""`/api/v1/reviews/`: customers' ratings read through the gate, asked for a resolved ticket (once), and
the CSAT/NPS figures of `/api/v1/reviews/summary/`."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sencrm.support.models import Review, TicketStatus
from sencrm.support.tests.api_helpers import HIDDEN, bearer, care_desk, make_review, make_ticket, patch, post

URL = "/api/v1/reviews/"
CONTRACT = (
    "id", "kind", "score", "comment", "contact", "account", "ticket", "survey", "agent", "requested_at",
    "answered_at",
)  # fmt: skip


@pytest.fixture
def desk(org, make_contact):
    return care_desk(org, make_contact)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_review_has_the_fields_of_the_contract(org, desk):
    ticket = make_ticket(desk, status=TicketStatus.RESOLVED)
    review = make_review(desk, ticket=ticket, score=5, comment="Kỹ thuật viên nhiệt tình")
    body = bearer(org, "care").get(f"{URL}{review.pk}/").json()
    assert set(CONTRACT) <= set(body)
    assert (body["kind"], body["score"], body["comment"], body["ticket"], body["agent"]) == (
        "csat",
        5,
        "Kỹ thuật viên nhiệt tình",
        ticket.pk,
        org["care"].pk,
    )
    assert body["contact"] == desk.customer.pk and body["answered_at"] is not None


def test_filters(org, desk):
    ticket = make_ticket(desk, status=TicketStatus.RESOLVED)
    a = make_review(desk, ticket=ticket, score=4)
    b = make_review(desk, owner="tech", contact=desk.far_customer)
    c = make_review(desk, kind="nps", score=9)
    api = bearer(org, "care")

    def found(query: str) -> set[int]:
        return set(ids(api.get(f"{URL}?{query}")))

    assert found("kind=nps") == {c.pk}
    assert found(f"ticket={ticket.pk}") == {a.pk}
    assert found(f"contact={desk.far_customer.pk}") == {b.pk}
    assert found(f"agent={org['tech'].pk}") == {b.pk}
    assert found("answered=true") == {a.pk, c.pk}
    assert found("answered=false") == {b.pk}
    assert ids(api.get(f"{URL}?ordering=answered_at"))[-1] == b.pk  # not answered: last


@pytest.mark.parametrize(
    "query",
    ["kind=stars", "answered=perhaps", "ticket=abc", f"contact={HIDDEN}", "agent=x", "ordering=score;--"],
)
def test_a_bad_filter_is_a_400(org, desk, query):
    assert bearer(org, "care").get(f"{URL}?{query}").status_code == 400


def test_the_summary_gives_csat_and_nps_figures_of_the_filtered_reviews(org, desk):
    for score in (5, 4, 2):
        make_review(desk, score=score)
    make_review(desk)  # asked, not answered
    make_review(desk, owner="tech", score=1)
    for score in (10, 9, 7, 3):
        make_review(desk, kind="nps", score=score, owner="manager")
    api = bearer(org, "care")
    figures = api.get(f"{URL}summary/?agent={org['care'].pk}").json()
    assert figures["csat"] == {
        "asked": 4,
        "count": 3,
        "average": 3.67,
        "satisfied": 2,
        "satisfied_pct": 66.7,
    }
    everyone = api.get(f"{URL}summary/").json()
    assert (everyone["csat"]["asked"], everyone["csat"]["count"]) == (5, 4)
    nps = everyone["nps"]
    assert [nps[k] for k in ("count", "promoters", "passives", "detractors", "nps")] == [4, 2, 1, 1, 25.0]
    # A manager's figures count only the reviews of their team.
    managers = bearer(org, "manager").get(f"{URL}summary/").json()
    assert (managers["csat"]["count"], managers["nps"]["count"]) == (0, 4)
    assert api.get(f"{URL}summary/?kind=nope").status_code == 400


def test_asking_for_a_rating_of_a_resolved_ticket_once(org, desk, django_capture_on_commit_callbacks):
    ticket = make_ticket(desk, status=TicketStatus.RESOLVED)
    api = bearer(org, "care")
    with django_capture_on_commit_callbacks(execute=True):
        asked = post(api, URL, {"ticket": ticket.pk})
    assert asked.status_code == 201, asked.json()
    body = asked.json()
    assert (body["kind"], body["ticket"], body["contact"], body["agent"], body["score"]) == (
        "csat",
        ticket.pk,
        desk.customer.pk,
        org["care"].pk,
        None,
    )
    assert [m.to for m in mail.outbox] == [["tuyet@example.vn"]]
    with django_capture_on_commit_callbacks(execute=True):
        again = post(api, URL, {"ticket": ticket.pk})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Review.objects.filter(ticket=ticket).count() == 1 and len(mail.outbox) == 1


def test_a_rating_is_asked_only_for_a_resolved_ticket(org, desk):
    ticket = make_ticket(desk, status=TicketStatus.OPEN)
    response = post(bearer(org, "care"), URL, {"ticket": ticket.pk})
    assert response.status_code == 400 and "ticket" in response.json()["errors"]
    assert not Review.objects.exists()


@pytest.mark.parametrize("body", [{}, {"ticket": "abc"}, {"ticket": HIDDEN}, {"ticket": None}, [1]])
def test_bad_input_is_a_400(org, desk, body):
    response = post(bearer(org, "care"), URL, body)
    assert response.status_code == 400, response.content
    assert not Review.objects.exists()


def test_a_ticket_outside_the_scope_is_refused_like_a_missing_one(org, desk):
    ticket = make_ticket(desk, status=TicketStatus.RESOLVED)  # care's: outside the manager's scope
    manager = bearer(org, "manager")
    hidden = post(manager, URL, {"ticket": ticket.pk})
    missing = post(manager, URL, {"ticket": HIDDEN})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"]["ticket"] == [
        m.replace(str(HIDDEN), str(ticket.pk)) for m in missing.json()["errors"]["ticket"]
    ]
    assert not Review.objects.exists()


def test_reviews_are_answered_by_customers_not_written_through_the_api(org, desk):
    review = make_review(desk)
    api = bearer(org, "care")
    assert patch(api, f"{URL}{review.pk}/", {"score": 5}).status_code == 405
    assert api.put(f"{URL}{review.pk}/", {"score": 5}, content_type="application/json").status_code == 405
    assert api.delete(f"{URL}{review.pk}/").status_code == 405
    assert Review.objects.get(pk=review.pk).score is None


def test_the_gate(org, desk):
    cares = make_review(desk, score=5)
    managers = make_review(desk, owner="manager", score=3)
    sales = bearer(org, "sales1")
    assert sales.get(URL).status_code == 403
    assert sales.get(f"{URL}summary/").status_code == 403
    assert post(sales, URL, {"ticket": make_ticket(desk, status=TicketStatus.RESOLVED).pk}).status_code == 403
    assert set(ids(bearer(org, "care").get(URL))) == {cares.pk, managers.pk}
    manager = bearer(org, "manager")
    assert ids(manager.get(URL)) == [managers.pk]
    hidden, missing = manager.get(f"{URL}{cares.pk}/"), manager.get(f"{URL}{HIDDEN}/")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    assert not Review.objects.filter(ticket__isnull=False).exists()


def test_the_list_costs_the_same_queries_for_3_or_30_reviews(org, desk, django_assert_max_num_queries):
    ticket = make_ticket(desk, status=TicketStatus.RESOLVED)
    api = bearer(org, "care")
    for _ in range(3):
        make_review(desk, score=4, kind="nps")
    api.get(URL)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(api.get(URL))) == 3
    make_review(desk, ticket=ticket, score=5)
    for n in range(26):
        make_review(desk, owner="tech" if n % 2 else "care", score=n % 6 or None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api.get(URL))) == 30
