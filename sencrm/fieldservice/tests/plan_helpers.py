"""Fixtures of the maintenance plan tests: a customer with an email, a signed maintenance contract, a plan
written through the service, and the work-order maker the daily job calls.

`work_orders_from_visits` uses the real `services.work_order_from_visit` when the work-order services are
there; while they are being written, a minimal stand-in writes the work order with the ORM (the same
fields: kind maintenance, the plan, the customer, the plan's assets)."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import sys
import types

import pytest

from sencrm.fieldservice.tests.fs_helpers import aircon_fixture, make_asset_fixture  # noqa: F401

_numbers = itertools.count(1)


@pytest.fixture(name="lan")
def lan_fixture(make_contact):
    return make_contact(
        owner="care", full_name="Nguyễn Thị Lan", phones=("0903 111 222",), emails=("lan@example.vn",)
    )


@pytest.fixture(name="contract")
def contract_fixture(org, lan, aircon):
    """A signed two-year maintenance contract of Lan's, with the air conditioner on a line."""
    from sencrm.commerce.models import Contract, ContractLine

    n = next(_numbers)
    start = dt.date(2026, 1, 31)
    contract = Contract.objects.create(
        number=f"HD-PLAN-{n:05d}",
        name="Hợp đồng bảo trì điều hòa 2 năm",
        contact=lan,
        owner=org["care"],
        status="signed",
        start_date=start,
        end_date=dt.date(2028, 1, 30),
    )
    ContractLine.objects.create(contract=contract, product=aircon, description=aircon.name, quantity=1)
    return contract


def _stand_in_work_order_from_visit(visit, *, actor=None):
    from sencrm.fieldservice.models import VisitStatus, WorkKind, WorkOrder, WorkOrderAsset
    from sencrm.fieldservice.plan_selectors import plan_assets

    plan = visit.plan
    wo = WorkOrder.objects.create(
        number=f"CV-STANDIN-{next(_numbers):05d}",
        kind=WorkKind.MAINTENANCE,
        title=plan.name,
        contact=plan.contact,
        account=plan.account,
        plan=plan,
        owner=plan.owner,
        chargeable=False,
    )
    for asset in plan_assets(plan):
        WorkOrderAsset.objects.create(work_order=wo, asset=asset)
    visit.work_order, visit.status = wo, VisitStatus.ORDERED
    visit.save(update_fields=["work_order", "status"])
    return wo


@pytest.fixture(name="work_orders_from_visits")
def work_orders_from_visits_fixture(monkeypatch):
    """The real work_order_from_visit when it exists, else the stand-in above."""
    try:
        services = importlib.import_module("sencrm.fieldservice.services")
    except ImportError:
        services = types.ModuleType("sencrm.fieldservice.services")
        monkeypatch.setitem(sys.modules, "sencrm.fieldservice.services", services)
    if not hasattr(services, "work_order_from_visit"):
        monkeypatch.setattr(services, "work_order_from_visit", _stand_in_work_order_from_visit, raising=False)
    return services


@pytest.fixture(name="make_plan")
def make_plan_fixture(org, lan, aircon):
    from sencrm.fieldservice import plans

    def make(actor="care", *, assets=(), **data):
        values = {
            "name": "Vệ sinh điều hòa 6 tháng",
            "contact": lan,
            "product": aircon,
            "interval_months": 6,
            "start_date": dt.date(2026, 1, 31),
            **data,
        }
        return plans.plan_create(
            actor=org[actor] if isinstance(actor, str) else actor, data=values, assets=assets
        )

    return make
