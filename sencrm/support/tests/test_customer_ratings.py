"""The customer's page shows their ratings beside their open tickets: the CSAT average and count, and
the last NPS answer."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sencrm.support.models import Review

pytestmark = pytest.mark.django_db


def test_the_contact_page_shows_the_customers_ratings(client_as, org, make_contact):
    person = make_contact(owner="sales1", full_name="Lê Văn Toàn")
    now = timezone.now()
    for score in (5, 4):
        Review.objects.create(kind="csat", owner=org["care"], contact=person, score=score, answered_at=now)
    Review.objects.create(kind="csat", owner=org["care"], contact=person)  # asked, not answered
    Review.objects.create(kind="nps", owner=org["manager"], contact=person, score=9, answered_at=now)

    html = client_as("care").get(person.get_absolute_url()).content.decode()
    start = html.index('data-testid="customer-ratings"')
    ratings = html[start : html.index("</p>", start)]
    assert "4.5" in ratings or "4,5" in ratings
    assert "9 / 10" in ratings
    # A salesperson (no customer care module) gets no ticket panel and no ratings.
    assert (
        'data-testid="customer-ratings"'
        not in client_as("sales1").get(person.get_absolute_url()).content.decode()
    )
