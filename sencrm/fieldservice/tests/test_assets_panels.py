"""The customer's "Installed products" and "Work orders" panels, and the caller card's after-sales section:
what each reader may see, and query counts that do not grow with the customer's history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401  (fixtures)
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
    tech2_fixture,
)

TODAY = timezone.localdate()


@pytest.fixture
def lan(make_contact):
    return make_contact(owner="sales1", full_name="Phạm Thị Lan", phones=("0977 111 222",))


def test_the_contact_page_shows_installed_products_and_work_orders(
    client, org, lan, make_asset, make_work_order
):
    in_warranty = make_asset(lan, serial_number="PANEL-IN", installed_on=TODAY - dt.timedelta(days=30))
    make_asset(lan, serial_number="PANEL-OUT", installed_on=TODAY - dt.timedelta(days=365 * 3))
    make_work_order(lan, technician="tech", assets=[in_warranty], title="Sửa rò gas")
    client.force_login(org["care"])
    page = client.get(lan.get_absolute_url()).content.decode()
    assert 'data-testid="customer-assets"' in page and "PANEL-IN" in page and "PANEL-OUT" in page
    assert 'data-testid="warranty-in"' in page and 'data-testid="warranty-out"' in page
    assert 'data-testid="customer-work-orders"' in page and "Sửa rò gas" in page


def test_the_panels_follow_the_gate(client, org, lan, make_asset, make_work_order, tech2):
    mine = make_asset(lan, serial_number="TECH-OWN")
    make_asset(lan, serial_number="NOT-MINE")
    make_work_order(lan, technician="tech", assets=[mine])
    client.force_login(org["tech"])
    page = client.get(lan.get_absolute_url()).content.decode()
    assert "TECH-OWN" in page and "NOT-MINE" not in page
    client.force_login(org["sales1"])  # the owner of the contact, no after-sales right
    page = client.get(lan.get_absolute_url()).content.decode()
    assert 'data-testid="customer-assets"' not in page and "TECH-OWN" not in page


def test_the_contact_page_queries_do_not_grow_with_assets(
    client, org, lan, make_asset, make_work_order, django_assert_max_num_queries
):
    make_asset(lan)
    make_work_order(lan, technician="tech")
    client.force_login(org["care"])
    url = lan.get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(200) as small:
        assert client.get(url).status_code == 200
    for n in range(12):
        asset = make_asset(lan)
        make_work_order(lan, technician="tech", assets=[asset], status="done" if n % 2 else "scheduled")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_caller_card_shows_the_callers_assets_with_warranty_in_fixed_queries(
    org, lan, make_asset, make_work_order, django_assert_max_num_queries
):
    from sencrm.support.card import caller_card

    make_asset(lan, serial_number="CARD-1", installed_on=TODAY - dt.timedelta(days=10))
    care = org["care"]
    card = caller_card(user=care, number="+84977111222")
    with django_assert_max_num_queries(40) as small:
        card = caller_card(user=care, number="+84977111222")
    templates = [t for t, _data in card.sections]
    assert "fieldservice/partials/asset_caller_card.html" in templates
    html = render_to_string("support/partials/caller_card.html", {"card": card})
    assert "CARD-1" in html and 'data-testid="warranty-in"' in html
    for _ in range(10):
        make_work_order(lan, technician="tech", assets=[make_asset(lan)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        caller_card(user=care, number="+84977111222")
    # A role without after-sales (sales) gets no section; a technician only their jobs' assets.
    assert caller_card(user=org["sales1"], number="+84977111222").sections == []
