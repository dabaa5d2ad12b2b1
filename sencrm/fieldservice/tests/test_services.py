"""Work-order services: creating (number, customer and site from the asset, checklist, warranty on the
day), statuses (refused moves with their message, stamps, reasons), parts → invoice (warranty parts free,
labour), the rating request, events on the customer's timeline, and the gate (a technician acts only on
their own work orders and never reassigns)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from sencrm.core.exceptions import StaleRecord
from sencrm.events.models import Event
from sencrm.fieldservice import services
from sencrm.fieldservice.models import (
    AssetStatus,
    ChecklistItem,
    WorkKind,
    WorkOrder,
    WorkOrderPart,
    WorkStatus,
)
from sencrm.fieldservice.tests.fs_helpers import (  # noqa: F401
    aircon_fixture,
    make_asset_fixture,
    make_work_order_fixture,
    part_fixture,
    tech2_fixture,
)

pytestmark = pytest.mark.django_db


def tomorrow(hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def lan(make_contact):
    return make_contact(owner="care", full_name="Trần Thị Lan", street="12 Trần Phú", ward="Phường Ba Đình")


def create(org, lan, actor="care", assets=(), **data):
    values = {"title": "Sửa điều hòa không lạnh", "contact": lan, **data}
    return services.work_order_create(actor=org[actor], data=values, assets=assets)


def events(wo, suffix):
    return Event.objects.filter(type=f"work_order.{suffix}", subject_id=wo.pk)


# --- create -------------------------------------------------------------------------------------------


def test_create_numbers_copies_the_checklist_and_takes_the_site_from_the_customer(org, lan, tech2):
    ChecklistItem.objects.create(kind=WorkKind.REPAIR, text="Kiểm tra gas", position=2)
    ChecklistItem.objects.create(kind=WorkKind.REPAIR, text="Đo dòng điện", position=1)
    ChecklistItem.objects.create(kind=WorkKind.REPAIR, text="Bước cũ", position=0, active=False)
    ChecklistItem.objects.create(kind=WorkKind.INSTALL, text="Khoan tường", position=0)

    wo = create(org, lan)

    assert wo.number.startswith(f"CV-{timezone.localdate().year}-")
    assert [c.text for c in wo.checks.all()] == ["Đo dòng điện", "Kiểm tra gas"]
    assert (wo.site_street, wo.site_ward, wo.site_province_id) == (
        "12 Trần Phú",
        "Phường Ba Đình",
        lan.province_id,
    )
    assert wo.owner == org["care"] and wo.status == WorkStatus.SCHEDULED and wo.chargeable is True
    created = Event.objects.get(type="work_order.created", subject_id=wo.pk)
    assert created.customer_id == lan.pk  # on the customer's timeline


def test_create_takes_customer_and_site_from_the_first_asset_and_records_its_warranty(org, lan, make_asset):
    asset = make_asset(lan, site_street="45 Lê Lợi", site_ward="Phường Bến Nghé")
    wo = services.work_order_create(actor=org["care"], data={"title": "Bảo dưỡng"}, assets=[asset])

    assert wo.contact == lan and wo.site_street == "45 Lê Lợi"
    link = wo.asset_links.get()
    assert link.in_warranty is True and link.warranty_rule == "product"
    assert wo.chargeable is False  # every asset in warranty: free by default


def test_a_warranty_repair_on_an_asset_out_of_warranty_is_refused_naming_the_end(org, lan, make_asset):
    old = make_asset(lan, installed_on=timezone.localdate() - dt.timedelta(days=1000))
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        create(org, lan, kind=WorkKind.WARRANTY_REPAIR, assets=[old])
    message = " ".join(caught.value.messages)
    assert "out of warranty" in message and old.warranty_until.strftime("%d/%m/%Y") in message
    assert not WorkOrder.objects.exists()
    repair = create(org, lan, kind=WorkKind.REPAIR, assets=[old])
    assert repair.chargeable is True


def test_a_technician_cannot_create_or_assign(org, lan, tech2):
    with pytest.raises(PermissionDenied):
        create(org, lan, actor="tech")
    with pytest.raises(PermissionDenied):
        services.work_order_create(actor=org["sales1"], data={"title": "x", "contact": lan})


def test_bad_input_is_a_validation_error(org, lan):
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            create(org, lan, kind="teleport", labour_price="-5", nonsense=1)
        assert set(caught.value.message_dict) == {"nonsense"}
        with pytest.raises(ValidationError) as caught:
            create(org, lan, kind="teleport", labour_price="-5")
        assert set(caught.value.message_dict) == {"kind", "labour_price"}
        with pytest.raises(ValidationError) as caught:
            create(org, lan, contact=999999)
        assert "does not exist" in caught.value.message_dict["contact"][0]
        with pytest.raises(ValidationError):
            create(org, lan, scheduled_start="not a date")


def test_update_changes_details_and_refuses_a_stale_version(org, lan):
    wo = create(org, lan)
    changed = services.work_order_update(wo, actor=org["care"], changes={"title": "Sửa máy lạnh"}, version=1)
    assert changed.title == "Sửa máy lạnh" and changed.version == 2
    with pytest.raises(StaleRecord):
        services.work_order_update(wo, actor=org["care"], changes={"title": "Khác"}, version=1)
    with pytest.raises(ValidationError):
        services.work_order_update(wo, actor=org["care"], changes={"status": "done"}, version=None)


# --- statuses -----------------------------------------------------------------------------------------


def assigned(org, lan, tech="tech", **data):
    wo = create(org, lan, **data)
    return services.work_order_schedule(
        wo, actor=org["care"], technician=org[tech], start=tomorrow(9), end=tomorrow(10)
    )


def test_the_statuses_stamp_times_and_emit_events(org, lan, tech2, make_asset):
    asset = make_asset(lan, installed_on=timezone.localdate() - dt.timedelta(days=1000))
    wo = assigned(org, lan, assets=[asset])
    tech = org["tech"]
    t0 = timezone.now()
    wo = services.work_order_transition(wo, actor=tech, status=WorkStatus.ON_THE_WAY, at=t0)
    wo = services.work_order_transition(
        wo, actor=tech, status=WorkStatus.IN_PROGRESS, at=t0 + dt.timedelta(minutes=30)
    )
    asset.refresh_from_db()
    assert asset.status == AssetStatus.UNDER_REPAIR
    wo = services.work_order_finish(
        wo, actor=tech, result_notes="Đã thay tụ", at=t0 + dt.timedelta(minutes=75)
    )

    assert wo.status == WorkStatus.DONE and wo.on_the_way_at == t0
    assert wo.minutes_spent == 45 and wo.result_notes == "Đã thay tụ"
    asset.refresh_from_db()
    assert asset.status == AssetStatus.INSTALLED
    for name in ("scheduled", "assigned", "on_the_way", "started", "done"):
        assert events(wo, name).count() == 1, name
    assert events(wo, "done").get().customer_id == lan.pk


def test_refused_moves_say_why(org, lan, tech2):
    wo = create(org, lan)
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            services.work_order_transition(wo, actor=org["care"], status=WorkStatus.DONE)
        assert "scheduled cannot become done" in caught.value.messages[0]
        with pytest.raises(ValidationError) as caught:
            services.work_order_transition(wo, actor=org["care"], status=WorkStatus.IN_PROGRESS)
        assert "Assign a technician first" in caught.value.messages[0]
        with pytest.raises(ValidationError) as caught:
            services.work_order_transition(wo, actor=org["care"], status=WorkStatus.CANCELLED)
        assert "cancelled" in caught.value.messages[0]
        with pytest.raises(ValidationError):
            services.work_order_transition(wo, actor=org["care"], status="exploded")
    wo = services.work_order_transition(
        wo, actor=org["care"], status=WorkStatus.CANCELLED, reason="Khách hủy"
    )
    assert wo.cancel_reason == "Khách hủy"
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.work_order_schedule(
            wo, actor=org["care"], technician=org["tech"], start=tomorrow(9), end=None
        )
    assert "cannot be changed" in caught.value.messages[0]


def test_failed_needs_a_reason(org, lan, tech2):
    wo = assigned(org, lan)
    wo = services.work_order_transition(wo, actor=org["tech"], status=WorkStatus.ON_THE_WAY)
    with pytest.raises(ValidationError):
        services.work_order_transition(wo, actor=org["tech"], status=WorkStatus.FAILED)
    wo = services.work_order_transition(
        wo, actor=org["tech"], status=WorkStatus.FAILED, reason="Nhà đóng cửa"
    )
    assert wo.failure_reason == "Nhà đóng cửa" and events(wo, "failed").count() == 1


# --- the gate -----------------------------------------------------------------------------------------


def test_a_technician_acts_only_on_their_own_and_never_reassigns(org, lan, tech2):
    mine = assigned(org, lan)
    theirs = services.work_order_schedule(
        create(org, lan), actor=org["care"], technician=tech2, start=tomorrow(14), end=tomorrow(15)
    )
    with pytest.raises(Http404):
        services.work_order_transition(theirs, actor=org["tech"], status=WorkStatus.ON_THE_WAY)
    with pytest.raises(Http404):
        services.work_order_note(theirs, actor=org["tech"], text="xem")
    with pytest.raises(Http404):
        services.work_order_transition(mine, actor=org["sales1"], status=WorkStatus.ON_THE_WAY)
    with pytest.raises(PermissionDenied):
        services.work_order_schedule(mine, actor=org["tech"], technician=tech2, start=tomorrow(11), end=None)
    with pytest.raises(PermissionDenied):
        services.work_order_schedule(mine, actor=org["tech"], technician=None, start=None, end=None)
    services.work_order_note(mine, actor=org["tech"], text="Mang thêm ống đồng")
    assert events(mine, "noted").get().data["text"] == "Mang thêm ống đồng"


# --- parts, invoice, rating ---------------------------------------------------------------------------


def test_parts_under_warranty_are_free_and_not_invoiced(org, lan, tech2, part, make_asset):
    asset = make_asset(lan)  # in warranty
    wo = assigned(org, lan, assets=[asset], kind=WorkKind.WARRANTY_REPAIR)
    free = services.work_order_add_part(wo, actor=org["tech"], product=part, quantity="1")
    assert free.chargeable is False and free.unit_price == Decimal("350000")
    wo = services.work_order_transition(wo, actor=org["tech"], status=WorkStatus.IN_PROGRESS)
    wo = services.work_order_finish(wo, actor=org["tech"])
    assert wo.invoice_id is None and not events(wo, "invoiced").exists()


def test_chargeable_parts_and_labour_make_one_invoice(org, lan, tech2, part, make_asset):
    old = make_asset(lan, installed_on=timezone.localdate() - dt.timedelta(days=1000))
    wo = assigned(org, lan, assets=[old], labour_price="200000")
    paid = services.work_order_add_part(wo, actor=org["tech"], product=part, quantity="2")
    gift = services.work_order_add_part(wo, actor=org["tech"], product=part, quantity="1", chargeable=False)
    assert paid.chargeable is True and gift.chargeable is False
    gone = services.work_order_add_part(wo, actor=org["tech"], product=part, quantity="5")
    services.work_order_remove_part(wo, actor=org["tech"], part_id=gone.pk)
    assert not WorkOrderPart.objects.filter(pk=gone.pk).exists()
    with pytest.raises(ValidationError):
        services.work_order_add_part(wo, actor=org["tech"], product=part, quantity="-1")
    wo = services.work_order_transition(wo, actor=org["tech"], status=WorkStatus.IN_PROGRESS)
    wo = services.work_order_finish(wo, actor=org["tech"], minutes_spent=50)

    invoice = wo.invoice
    assert invoice is not None and invoice.contact_id == lan.pk
    lines = list(invoice.lines.order_by("id").values_list("description", "quantity", "unit_price"))
    assert lines[0] == ("Tụ điện máy nén", Decimal("2.000"), Decimal("350000"))
    assert lines[1][2] == Decimal("200000") and len(lines) == 2
    assert invoice.subtotal == Decimal("900000")
    assert events(wo, "invoiced").count() == 1
    from sencrm.fieldservice import invoicing

    assert invoicing.invoice_for_work_order(wo, actor=org["tech"]) == invoice  # idempotent
    assert events(wo, "invoiced").count() == 1
    with pytest.raises(ValidationError):  # done is final: no more parts
        services.work_order_add_part(wo, actor=org["tech"], product=part, quantity="1")


def test_done_asks_for_a_rating_once_after_commit(org, lan, tech2, django_capture_on_commit_callbacks):
    from sencrm.support import reviews
    from sencrm.support.models import Review

    wo = assigned(org, lan)
    wo = services.work_order_transition(wo, actor=org["tech"], status=WorkStatus.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        wo = services.work_order_finish(wo, actor=org["tech"])
    review = Review.objects.get(work_order=wo)
    assert review.owner == org["tech"] and review.contact == lan
    assert reviews.request_for_work_order(wo) == review
    assert Review.objects.filter(work_order=wo).count() == 1


def test_checklist_photo_free_steps(org, lan, tech2):
    ChecklistItem.objects.create(kind=WorkKind.REPAIR, text="Kiểm tra gas")
    wo = assigned(org, lan)
    step = wo.checks.get()
    done = services.work_order_set_check(
        wo, actor=org["tech"], check_id=step.pk, done=True, note="Áp 120 psi"
    )
    assert done.done and done.note == "Áp 120 psi" and events(wo, "checked").count() == 1
    with pytest.raises(ValidationError):
        services.work_order_set_check(wo, actor=org["tech"], check_id=999999, done=True)


# --- from other records -------------------------------------------------------------------------------


def test_from_a_ticket_is_a_warranty_repair_when_the_product_is_in_warranty(org, lan, aircon, make_asset):
    from sencrm.support.models import Ticket

    asset = make_asset(lan)
    ticket = Ticket.objects.create(
        number="YC-TEST-1", subject="Máy lạnh chảy nước", description="Chảy nước dàn lạnh",
        contact=lan, product=aircon, owner=org["care"],
    )  # fmt: skip
    wo = services.work_order_from_ticket(ticket, actor=org["care"])
    assert wo.kind == WorkKind.WARRANTY_REPAIR and wo.ticket == ticket and wo.contact == lan
    assert list(wo.assets.all()) == [asset] and wo.description == "Chảy nước dàn lạnh"
    assert Event.objects.filter(type="ticket.work_order_created", subject_id=ticket.pk).exists()


def test_from_a_visit_is_an_unassigned_maintenance_at_eight(org, lan, tech2, make_asset):
    from sencrm.fieldservice.models import MaintenancePlan, MaintenanceVisit, VisitStatus

    asset = make_asset(lan)
    day = timezone.localdate() + dt.timedelta(days=10)
    plan = MaintenancePlan.objects.create(
        name="Vệ sinh điều hòa 6 tháng", contact=lan, interval_months=6, start_date=day,
        duration_minutes=90, owner=org["care"],
    )  # fmt: skip
    plan.assets.add(asset)
    visit = MaintenanceVisit.objects.create(plan=plan, sequence=1, due_date=day, planned_date=day)
    wo = services.work_order_from_visit(visit)
    assert wo.kind == WorkKind.MAINTENANCE and wo.technician is None and wo.plan == plan
    assert timezone.localtime(wo.scheduled_start).time() == dt.time(8, 0)
    assert wo.scheduled_end - wo.scheduled_start == dt.timedelta(minutes=90)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ORDERED and visit.work_order == wo
    assert services.work_order_from_visit(visit) == wo  # idempotent
    wo = services.work_order_schedule(
        wo, actor=org["care"], technician=org["tech"], start=wo.scheduled_start, end=None
    )
    wo = services.work_order_transition(wo, actor=org["tech"], status=WorkStatus.IN_PROGRESS)
    services.work_order_finish(wo, actor=org["tech"])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE


def test_a_delivery_gets_one_install_work_order_for_its_assets_once(org, make_contact, aircon):
    from sencrm.commerce import services as commerce

    lan = make_contact(owner="sales1", full_name="Trần Văn Bình", street="12 Lý Thường Kiệt")

    order = commerce.order_create(
        actor=org["sales1"], data={"contact": lan}, lines=[{"product": aircon, "quantity": 2}]
    )
    order = commerce.order_confirm(order, actor=org["sales1"])
    line = order.lines.get()
    delivery = commerce.order_record_delivery(
        order, actor=org["sales1"], delivered_on=timezone.localdate(), quantities={line.pk: Decimal(2)}
    )
    made = services.work_orders_for_delivery(delivery, actor=org["care"])
    assert len(made) == 1
    wo = made[0]
    assert wo.kind == WorkKind.INSTALL and wo.delivery == delivery and wo.order == order
    assert wo.assets.count() == 2 and wo.technician is None and wo.contact == lan
    assert services.work_orders_for_delivery(delivery, actor=org["care"]) == []
    with pytest.raises(PermissionDenied):
        services.work_orders_for_delivery(delivery, actor=org["tech"])


def test_a_technicians_day_and_the_candidates_take_few_queries(
    org, lan, tech2, django_assert_max_num_queries
):
    from sencrm.fieldservice import scheduling

    for hour in range(8, 16):
        wo = create(org, lan)
        services.work_order_schedule(
            wo, actor=org["care"], technician=org["tech"], start=tomorrow(hour), end=None
        )
    with django_assert_max_num_queries(2):
        route = scheduling.day_route(org["tech"], timezone.localdate() + dt.timedelta(days=1))
        assert [str(w.contact) for w in route] == [str(lan)] * 8
    wo = create(org, lan)
    wo.scheduled_start = tomorrow(17)
    with django_assert_max_num_queries(4):
        found = scheduling.candidates(wo)
        assert [str(t.user) for t in found] == [str(tech2), str(org["tech"])]
