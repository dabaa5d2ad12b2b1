"""Every page of a care user listens for their calls (the layout's floating box); pages with a place of
their own for the card (the care home page) keep theirs, and other roles get neither."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_care_pages_carry_the_floating_screen_pop_and_sales_pages_do_not(client_as):
    page = client_as("care").get("/contacts/").content.decode()
    assert 'id="screenpop-float" data-live-url="/live/events/"' in page
    assert "js/screenpop.js" in page
    home = client_as("care").get("/").content.decode()
    assert 'id="screenpop"' in home  # the home page's own place, which the script prefers
    sales = client_as("sales1").get("/contacts/").content.decode()
    assert "screenpop" not in sales
