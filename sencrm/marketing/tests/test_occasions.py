"""Care campaigns on dates (sencrm/marketing/occasions.py): Tết for 2026–2030, birthdays (29/2 too),
fixed dates with days ahead, days after a purchase, contract anniversaries; once per person, occasion and
year; within the owner's view and the segment; clear errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sencrm.activities.models import Activity
from sencrm.marketing import occasions
from sencrm.marketing.models import OccasionTouch

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("year", "day"),
    [
        (2026, dt.date(2026, 2, 17)),
        (2027, dt.date(2027, 2, 6)),
        (2028, dt.date(2028, 1, 26)),
        (2029, dt.date(2029, 2, 13)),
        # The new moon falls at 23:07 Vietnam time on 2 February 2030, 00:07 on the 3rd in China: Vietnam's
        # Tết is a day before China's that year.
        (2030, dt.date(2030, 2, 2)),
    ],
)
def test_tet_by_the_vietnamese_lunar_calendar(year, day):
    assert occasions.tet(year) == day


def occasion(org, **data):
    base = {"name": "Dịp", "task_subject": "Gọi chúc mừng", "kind": "birthday"}
    return occasions.occasion_create(actor=org["marketing"], data={**base, **data})


def tasks():
    return sorted(Activity.objects.filter(kind="task").values_list("contact__full_name", "owner__username"))


def test_birthdays_days_ahead_once_a_year(org, make_contact):
    make_contact(full_name="Nguyễn Văn Sinh", phones=("0912 100 001",), date_of_birth=dt.date(1990, 12, 6))
    make_contact(owner="sales2", full_name="Lê Thị Nhuận", phones=("0912 100 002",),
                 date_of_birth=dt.date(1992, 2, 29))  # fmt: skip
    make_contact(full_name="Trần Văn Khác", phones=("0912 100 003",), date_of_birth=dt.date(1990, 12, 7))
    birthday = occasion(org, name="Sinh nhật", days_before=2)
    assert occasions.run(birthday, dt.date(2026, 12, 4)) == 1
    assert tasks() == [("Nguyễn Văn Sinh", "sales1")]  # the task goes to the person's owner
    task = Activity.objects.get()
    assert task.subject == "Gọi chúc mừng – Nguyễn Văn Sinh" and task.due_at.date() == dt.date(2026, 12, 4)
    assert occasions.run(birthday, dt.date(2026, 12, 4)) == 0  # a second run gives nothing twice
    assert OccasionTouch.objects.get().year == 2026
    # Born on 29/2: remembered on the 28th in a common year, on the 29th in a leap year.
    assert occasions.run(birthday, dt.date(2027, 2, 26)) == 1
    assert occasions.run(birthday, dt.date(2028, 2, 26)) == 0
    assert occasions.run(birthday, dt.date(2028, 2, 27)) == 1


def test_fixed_dates_and_tet_reach_the_segment_only(org, make_contact, hanoi):
    from sencrm.marketing.segments import segment_create

    make_contact(full_name="Chị Hoa", phones=("0912 100 011",), gender="female")
    make_contact(full_name="Anh Nam", phones=("0912 100 012",), gender="male")
    women = segment_create(
        actor=org["marketing"],
        data={
            "name": "Khách nữ",
            "rules": {"match": "all", "rules": [{"field": "gender", "op": "in", "value": ["female"]}]},
        },  # fmt: skip
    )
    march = occasion(org, name="8/3", kind="date", day=8, month=3, days_before=1, segment=women)
    assert occasions.run(march, dt.date(2027, 3, 6)) == 0  # not yet: two days ahead
    assert occasions.run(march, dt.date(2027, 3, 7)) == 1
    assert tasks() == [("Chị Hoa", "sales1")]
    new_year = occasion(org, name="Tết", kind="tet", days_before=3)
    assert occasions.run(new_year, dt.date(2027, 2, 2)) == 0
    assert occasions.run(new_year, dt.date(2027, 2, 3)) == 2  # Tết 2027 is 6/2: three days ahead


def test_days_after_a_purchase_and_contract_anniversaries(org, make_contact):
    from decimal import Decimal

    from sencrm.catalog.services import product_create
    from sencrm.commerce.services import contract_create, contract_sign, order_confirm, order_create

    buyer = make_contact(full_name="Khách Mua", phones=("0912 100 021",))
    signer = make_contact(full_name="Khách Hợp Đồng", phones=("0912 100 022",))
    product = product_create(actor=org["manager"], data={"code": "DH-1", "name": "Điều hòa", "unit": "bộ",
                                                         "list_price": Decimal(9_000_000)})  # fmt: skip
    today = dt.date(2026, 12, 4)
    order = order_create(
        actor=org["sales1"],
        data={"contact": buyer, "issue_date": today - dt.timedelta(days=3)},
        lines=[{"product": product, "quantity": 1, "unit_price": 9_000_000}],
    )
    order_confirm(order, actor=org["sales1"])
    after = occasion(org, name="Hỏi thăm sau mua", kind="purchase", days_after=3, task_subject="Hỏi thăm")
    assert occasions.run(after, today) == 1
    contract = contract_create(
        actor=org["sales1"],
        data={"contact": signer, "name": "Bảo trì 2025", "start_date": dt.date(2025, 12, 4)},
        lines=[{"product": product, "quantity": 1, "unit_price": 1_000_000}],
    )
    contract_sign(contract, actor=org["sales1"])
    anniversary = occasion(org, name="Kỷ niệm hợp đồng", kind="contract", task_subject="Chúc mừng")
    assert occasions.run(anniversary, today) == 1
    assert occasions.run(anniversary, dt.date(2025, 12, 4)) == 0  # the signing day is not an anniversary
    assert tasks() == [("Khách Hợp Đồng", "sales1"), ("Khách Mua", "sales1")]


def test_a_background_job_reaches_no_further_than_its_owner(org, make_contact):
    make_contact(full_name="Của Sales1", phones=("0912 100 031",), date_of_birth=dt.date(1990, 1, 5))
    make_contact(
        owner="sales2", full_name="Của Sales2", phones=("0912 100 032",), date_of_birth=dt.date(1991, 1, 5)
    )
    mine = occasions.occasion_create(
        actor=org["manager"], data={"name": "Sinh nhật", "kind": "birthday", "task_subject": "Gọi"},
        owner=org["sales1"],
    )  # fmt: skip
    assert occasions.run(mine, dt.date(2027, 1, 5)) == 1
    assert tasks() == [("Của Sales1", "sales1")]
    # run_all runs every active occasion, and skips a paused one.
    paused = occasion(org, name="Tạm dừng", is_active=False)
    assert paused.pk not in occasions.run_all(dt.date(2027, 1, 5))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "date", "day": 31, "month": 2}, "day"),
        ({"kind": "date", "day": None, "month": 3}, "day"),
        ({"kind": "purchase", "days_after": 0}, "days_after"),
        ({"kind": "birthday", "days_before": 400}, "days_before"),
        ({"kind": "easter"}, "kind"),
        ({"kind": "birthday", "task_subject": "  "}, "task_subject"),
    ],
)
def test_bad_occasions_are_clear_errors(org, data, field):
    with pytest.raises(ValidationError) as caught:
        occasion(org, **data)
    assert field in caught.value.message_dict


def test_only_marketing_may_create_occasions(org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        occasions.occasion_create(actor=org["care"], data={"name": "X", "kind": "tet", "task_subject": "Gọi"})


def test_the_pages(org, client_as):
    from django.urls import reverse

    mine = client_as("marketing")
    made = mine.post(
        reverse("marketing:occasion_create"),
        {
            "name": "Tết 2027",
            "kind": "tet",
            "days_before": "7",
            "task_subject": "Gửi quà Tết",
            "is_active": "on",
        },
    )
    assert made.status_code == 302
    listed = mine.get(reverse("marketing:occasion_list"))
    assert listed.status_code == 200 and "Tết 2027" in listed.content.decode()
    bad = mine.post(
        reverse("marketing:occasion_create"),
        {
            "name": "Ngày sai",
            "kind": "date",
            "day": "31",
            "month": "2",
            "task_subject": "x",
            "is_active": "on",
        },
    )
    assert bad.status_code == 400
    from sencrm.marketing.models import CareOccasion

    assert list(CareOccasion.objects.values_list("name", flat=True)) == ["Tết 2027"]
    occasion = CareOccasion.objects.get()
    edited = mine.post(
        reverse("marketing:occasion_edit", args=[occasion.pk]),
        {"name": "Tết 2027", "kind": "tet", "days_before": "5", "task_subject": "Gửi quà Tết",
         "version": occasion.version},
    )  # fmt: skip
    assert edited.status_code == 302
    occasion.refresh_from_db()
    assert (occasion.days_before, occasion.is_active) == (5, False)
    assert client_as("care").get(reverse("marketing:occasion_list")).status_code == 403
    assert client_as("sales1").get(reverse("marketing:occasion_create")).status_code == 403
    assert client_as("sales1").get(reverse("marketing:occasion_edit", args=[occasion.pk])).status_code == 403
