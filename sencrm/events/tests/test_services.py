"""The spine's writers: events in the same transaction, audit diffs, versions, trash, the gate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from sencrm.core.exceptions import StaleRecord
from sencrm.core.tests.testapp.models import Gadget
from sencrm.events import services
from sencrm.events.models import Event
from sencrm.events.tasks import purge_trash


def events_of(obj):
    return list(Event.objects.filter(subject_id=obj.pk, type__startswith="gadget.").order_by("id"))


def test_create_writes_the_record_and_its_event(org):
    g = services.record_create(
        Gadget, actor=org["sales1"], data={"name": "Máy lạnh Daikin", "amount": 15000000}
    )
    assert g.owner == org["sales1"]
    assert g.team.name == "Kinh doanh Hà Nội"  # the owner's only team
    assert g.created_by == org["sales1"] and g.version == 1
    (event,) = events_of(g)
    assert event.type == "gadget.created"
    assert event.actor == org["sales1"]
    assert event.data["record"]["name"] == "Máy lạnh Daikin"
    assert event.customer_id == g.pk  # the stand-in record is its own customer


def test_an_event_is_never_kept_without_its_change(org):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_create(Gadget, actor=org["sales1"], data={"name": "rolled back"})
        raise RuntimeError
    assert not Gadget.all_objects.filter(name="rolled back").exists()
    assert not Event.objects.filter(subject_repr="rolled back").exists()


def test_invalid_data_is_refused_and_nothing_written(org):
    with pytest.raises(ValidationError):
        services.record_create(Gadget, actor=org["sales1"], data={"name": ""})
    assert not Event.objects.filter(type="gadget.created").exists()


def test_a_role_without_create_right_cannot_create(org):
    with pytest.raises(PermissionDenied):
        services.record_create(Gadget, actor=org["board"], data={"name": "x"})


def test_sales_cannot_create_a_record_owned_by_another_team(org):
    with pytest.raises(PermissionDenied):
        services.record_create(Gadget, actor=org["sales1"], data={"name": "x"}, owner=org["sales2"])
    assert not Gadget.all_objects.exists()


def test_update_records_who_changed_what_from_what_to_what(org, make_gadget):
    g = make_gadget("sales1", amount=1000)
    g = services.record_update(
        g, actor=org["sales1"], changes={"amount": Decimal("2000"), "note": "khách hẹn thứ Năm"}, version=1
    )
    assert g.version == 2 and g.updated_by == org["sales1"]
    (event,) = events_of(g)
    assert event.type == "gadget.updated"
    assert event.data["changes"] == {"amount": ["1000", "2000"], "note": ["", "khách hẹn thứ Năm"]}
    assert event.version == 2


def test_reassigning_records_the_owner_names(org, make_gadget):
    g = make_gadget("sales1")
    services.record_update(g, actor=org["manager"], changes={"owner": org["manager"]}, version=1)
    (event,) = events_of(g)
    assert event.data["changes"]["owner"] == [org["sales1"].pk, org["manager"].pk]
    assert event.data["labels"]["owner"] == ["Nguyễn Văn Nam", "Trần Thị Thu Hà"]


def test_saving_without_a_change_emits_nothing(org, make_gadget):
    g = make_gadget("sales1", amount=5)
    g2 = services.record_update(g, actor=org["sales1"], changes={"amount": Decimal("5")}, version=1)
    assert g2.version == 1
    assert events_of(g) == []


def test_two_users_editing_the_same_field_the_second_is_refused(org, make_gadget):
    g = make_gadget("sales1", amount=100)
    # sales1 and manager both opened version 1.
    services.record_update(g, actor=org["sales1"], changes={"amount": Decimal("200")}, version=1)
    with pytest.raises(StaleRecord) as excinfo:
        services.record_update(g, actor=org["manager"], changes={"amount": Decimal("300")}, version=1)
    assert excinfo.value.current_version == 2
    g.refresh_from_db()
    assert g.amount == 200 and g.version == 2


def test_two_users_editing_different_fields_are_merged(org, make_gadget):
    g = make_gadget("sales1", amount=100, note="")
    services.record_update(g, actor=org["sales1"], changes={"amount": Decimal("200"), "note": ""}, version=1)
    # manager's full form still holds the old amount: only the note is theirs.
    services.record_update(
        g, actor=org["manager"], changes={"amount": Decimal("100"), "note": "gọi lại"}, version=1
    )
    g.refresh_from_db()
    assert (g.amount, g.note, g.version) == (200, "gọi lại", 3)


def test_edit_outside_scope_answers_not_found_and_changes_nothing(org, make_gadget):
    g = make_gadget("sales1", amount=100)
    with pytest.raises(Http404):
        services.record_update(g, actor=org["sales2"], changes={"amount": Decimal("1")}, version=1)
    with pytest.raises(Http404):
        services.record_delete(g, actor=org["sales2"])
    g.refresh_from_db()
    assert g.amount == 100 and g.deleted_at is None
    assert events_of(g) == []


def test_read_only_role_cannot_edit_a_visible_record(org, make_gadget):
    g = make_gadget("sales1")
    with pytest.raises(PermissionDenied):
        services.record_update(g, actor=org["care"], changes={"name": "x"}, version=1)
    g.refresh_from_db()
    assert g.name == "gadget of sales1"


def test_sales_cannot_hand_a_record_to_another_team(org, make_gadget):
    g = make_gadget("sales1")
    with pytest.raises(PermissionDenied):
        services.record_update(g, actor=org["sales1"], changes={"owner": org["sales2"]}, version=1)
    g.refresh_from_db()
    assert g.owner == org["sales1"]


def test_delete_moves_to_trash_and_restore_brings_it_back(org, make_gadget):
    g = make_gadget("sales1")
    services.record_delete(g, actor=org["sales1"])
    assert not Gadget.objects.filter(pk=g.pk).exists()
    assert Gadget.all_objects.get(pk=g.pk).deleted_by == org["sales1"]
    services.record_restore(Gadget.all_objects.get(pk=g.pk), actor=org["sales1"])
    assert Gadget.objects.filter(pk=g.pk).exists()
    assert [e.type for e in events_of(g)] == ["gadget.deleted", "gadget.restored"]


def test_purge_removes_only_what_is_past_retention(org, make_gadget, settings):
    settings.TRASH_RETENTION_DAYS = 30
    old, recent, alive = (
        make_gadget("sales1", name="old"),
        make_gadget("sales1", name="recent"),
        make_gadget("sales1"),
    )
    services.record_delete(old, actor=org["sales1"])
    services.record_delete(recent, actor=org["sales1"])
    Gadget.all_objects.filter(pk=old.pk).update(deleted_at=timezone.now() - dt.timedelta(days=31))
    assert purge_trash() == 1
    assert not Gadget.all_objects.filter(pk=old.pk).exists()
    assert Gadget.all_objects.filter(pk=recent.pk).exists()
    assert Gadget.objects.filter(pk=alive.pk).exists()
    purged = Event.objects.get(type="gadget.purged")
    assert purged.actor_label == "system:purge" and purged.data["record"]["name"] == "old"
