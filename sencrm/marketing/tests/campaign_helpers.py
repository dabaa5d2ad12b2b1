"""Fixtures for the campaign tests (imported by them): campaigns made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sencrm.sales.tests.conftest import pipelines  # noqa: F401  (shared fixture)


@pytest.fixture
def make_campaign(org):
    from sencrm.marketing import services

    def make(owner="marketing", name="Fanpage T8 - Điều hòa Inverter", channel="facebook_ads", **data):
        values = {"name": name, "channel": channel, "start_date": dt.date(2026, 8, 1), **data}
        values.setdefault("budget", Decimal(20_000_000))
        return services.campaign_create(actor=org[owner], data=values)

    return make
