"""The technician's day data (field.py): own work orders only, route order, fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sencrm.fieldservice import field
from sencrm.fieldservice.models import WorkStatus
from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
    tech2_fixture,
)


def _at(hour: int) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(timezone.localdate(), dt.time(hour), tzinfo=tz)


def test_day_is_own_jobs_in_route_order(org, tech2, make_contact, make_asset, make_work_order):
    lan = make_contact(full_name="Nguyễn Thị Lan")
    late = make_work_order(lan, start=_at(15), assets=[make_asset(lan)])
    early = make_work_order(lan, start=_at(8), assets=[make_asset(lan), make_asset(lan)])
    make_work_order(lan, start=_at(10), status=WorkStatus.CANCELLED)
    make_work_order(lan, technician=tech2, start=_at(9))
    make_work_order(lan, start=_at(9) + dt.timedelta(days=1))

    jobs = field.technician_day(org["tech"], timezone.localdate())
    assert [j.pk for j in jobs] == [early.pk, late.pk]
    assert field.day_summary(org["tech"])["next"].pk == early.pk
    assert field.technician_day(org["sales1"], timezone.localdate()) == []


def test_day_queries_are_fixed(org, make_contact, make_asset, make_work_order, django_assert_max_num_queries):
    lan = make_contact(full_name="Trần Văn Nam")
    for hour in range(7, 17):
        make_work_order(lan, start=_at(hour), minutes=30, assets=[make_asset(lan), make_asset(lan)])
    with django_assert_max_num_queries(4):
        jobs = field.technician_day(org["tech"], timezone.localdate())
        names = [(j.contact.full_name, [a.asset.product.name for a in j.asset_links.all()]) for j in jobs]
    assert len(names) == 10 and all(len(assets) == 2 for _, assets in names)
