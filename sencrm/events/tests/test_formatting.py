"""History reads like words: every event type has a label, values show as the reader expects them
(choice labels, dates in their time zone, money, Có/Không), and the doors that act are named."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django.utils.text import capfirst

from sencrm.events import formatting
from sencrm.events.models import Event
from sencrm.events.webhooks.catalog import event_types
from sencrm.sales.choices import OpportunityStatus
from sencrm.sales.models import Opportunity
from sencrm.users.models import User

SOURCE = Path(__file__).resolve().parents[2]
# Event types written as literals by the emitters: event_emit(type="…") and record_update's event_type.
LITERAL_TYPE = re.compile(r"""\btype=["']([a-z_]+\.[a-z_]+)["']""")
LITERAL_ACTION = re.compile(r"""\bevent_type=["']([a-z_]+)["']""")
CONSTANT_TYPE = re.compile(r"""^[A-Z_]+ = ["']([a-z_]+\.[a-z_]+)["']""", re.M)


def emitted_in_source() -> tuple[set[str], set[str]]:
    types: set[str] = set()
    actions: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "event_emit" not in text and "record_update" not in text and "formatting" not in text:
            continue
        types.update(LITERAL_TYPE.findall(text))
        types.update(CONSTANT_TYPE.findall(text))
        actions.update(LITERAL_ACTION.findall(text))
    return types, actions


def test_the_catalogue_lists_every_type_the_code_emits():
    known = set(event_types())
    types, actions = emitted_in_source()
    assert types, "the source scan found the emitters"
    assert types - known == set(), "add the new event type to events/webhooks/catalog.py EXTRA_TYPES"
    assert {a for a in actions if not any(t.endswith("." + a) for t in known)} == set()


@pytest.mark.parametrize("event_type", event_types())
def test_every_event_type_has_a_translated_label(event_type):
    with translation.override("en"):
        english = formatting.type_label(event_type)
    with translation.override("vi"):
        vietnamese = formatting.type_label(event_type)
    assert english, f"{event_type} has no label: register one in the app's labels module"
    assert vietnamese and vietnamese != english, f"{event_type}: “{english}” has no Vietnamese text"
    assert "." not in vietnamese and "_" not in vietnamese


def test_a_type_nobody_named_is_noticed():
    assert formatting.type_label("contact.teleported") is None
    assert formatting.type_label("spaceship.created") is None


def opportunity_event(changes, labels=None, **data):
    return Event(
        type="opportunity.updated",
        subject_type=ContentType.objects.get_for_model(Opportunity),
        subject_id=1,
        data={"changes": changes, "labels": labels or {}, **data},
    )


def rows(event, model=Opportunity):
    """{field name: (old, new)} as shown, checking that each field is shown by its label."""
    shown = {}
    for row in formatting.describe_changes(event, model):
        names = [
            f.name
            for f in model._meta.get_fields()
            if capfirst(getattr(f, "verbose_name", "")) == row["field"]
        ]
        shown[names[0] if names else row["field"]] = (row["old"], row["new"])
    return shown


@pytest.mark.django_db
def test_choice_values_show_their_labels_and_empty_shows_a_dash():
    event = opportunity_event({"status": ["open", "won"], "close_reason": ["", "Giá tốt"]})
    with translation.override("vi"):
        shown = rows(event)
        assert shown["status"] == (str(OpportunityStatus.OPEN.label), "Thắng")
    assert shown["status"][0] not in ("open", "")
    assert shown["close_reason"] == ("—", "Giá tốt")


@pytest.mark.django_db
def test_datetimes_of_old_events_are_shown_in_the_readers_time_zone_and_format():
    event = opportunity_event(
        {
            "closed_at": [None, "2026-12-03T06:00:48.598785+00:00"],
            "expected_close_date": ["2026-11-30", "2026-12-31"],
        }
    )
    with translation.override("vi"), timezone.override(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")):
        saigon = rows(event)
    with translation.override("vi"), timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        berlin = rows(event)
    assert saigon["closed_at"] == ("—", "03/12/2026 13:00")
    assert berlin["closed_at"] == ("—", "03/12/2026 07:00")
    assert saigon["expected_close_date"] == ("30/11/2026", "31/12/2026")


@pytest.mark.django_db
def test_money_is_shown_as_money_in_the_readers_language_and_flags_as_yes_or_no():
    event = opportunity_event({"amount": ["0", "50000000"], "probability_manual": [False, True]})
    with translation.override("vi"):
        vi = rows(event)
    with translation.override("en"):
        en = rows(event)
    assert vi["amount"] == ("0 ₫", "50.000.000 ₫")
    assert en["amount"] == ("0 ₫", "50,000,000 ₫")
    assert vi["probability_manual"] == ("Không", "Có")


@pytest.mark.django_db
def test_a_removed_field_and_an_odd_value_never_break_the_page():
    event = opportunity_event({"gone": [1, 2], "closed_at": ["not a date", None], "amount": ["x", "1"]})
    shown = rows(event)
    assert shown["gone"] == ("1", "2")
    assert shown["closed_at"] == ("not a date", "—")
    assert shown["amount"][0] == "x"


@pytest.mark.django_db
def test_related_records_stored_by_id_are_named_in_one_query_per_model(org, django_assert_num_queries):
    from sencrm.users.models import Role

    manager, sales = Role.objects.get(code="manager"), Role.objects.get(code="sales")
    events = [
        Event(
            type="user.updated",
            subject_type=ContentType.objects.get_for_model(User),
            subject_id=org["sales1"].pk,
            data={
                "changes": {
                    "role": [sales.pk, manager.pk],
                    "teams": [[], [t.pk for t in org["sales1"].teams.all()]],
                }
            },
        )
        for _ in range(3)
    ]
    with django_assert_num_queries(2):  # roles, teams
        formatting.resolve_related(events)
    with translation.override("vi"):
        shown = rows(events[0], User)
        assert shown["role"] == (str(sales), str(manager))
    assert shown["teams"] == ("—", ", ".join(str(t) for t in org["sales1"].teams.all()))


@pytest.mark.django_db
def test_system_doors_are_named_in_words(org):
    def named(label, actor=None):
        event = Event(type="contact.created", actor=actor, actor_label=label, subject_id=1)
        with translation.override("vi"):
            return formatting.actor_name(event)

    assert named("system:purge") == "Hệ thống (tác vụ định kỳ)"
    assert named("system:setup") == "Hệ thống (cài đặt ban đầu)"
    assert named("") == "Hệ thống"
    assert named("webform#999999") == "Hệ thống"  # a deleted form: still words, never "webform#…"
    assert named("", org["sales1"]) == str(org["sales1"])


@pytest.mark.django_db
def test_an_import_is_named_by_its_file(org):
    from sencrm.imports.models import ImportJob

    job = ImportJob.objects.create(created_by=org["sales1"], file_name="khach-hang.xlsx", target="contacts")
    event = Event(type="contact.created", actor=org["sales1"], actor_label=job.actor_label, subject_id=1)
    with translation.override("vi"):
        assert formatting.actor_name(event) == f"{org['sales1']}, qua Nhập dữ liệu ‘khach-hang.xlsx’"


@pytest.mark.django_db
def test_role_and_team_changes_read_as_rights_and_people(org):
    from sencrm.users.models import Role, Team
    from sencrm.users.services import role_save, team_save

    board = Role.objects.get(code="board")
    grants = {(g.module, g.action): g.scope for g in board.grants.all()}
    grants[("customers", "view")] = "all"
    grants[("reports", "export")] = None
    role_save(actor=org["admin"], role=board, name=board.name, description=board.description, grants=grants)
    team = Team.objects.get(name="Kinh doanh Hà Nội")
    assert set(team.members.all()) == {org["manager"], org["sales1"]}
    team_save(
        actor=org["admin"],
        team=team,
        name=team.name,
        description=team.description,
        members=[org["sales1"], org["sales2"]],
    )
    events = [Event.objects.filter(type=t).latest("id") for t in ("role.updated", "team.updated")]
    formatting.prepare(None, events)
    with translation.override("vi"):
        role_rows = formatting.describe_changes(events[0])
        team_rows = formatting.describe_changes(events[1])
    assert {"field": "Khách hàng · Xem", "old": "Không có quyền", "new": "Tất cả"} in role_rows
    assert {
        "field": "Báo cáo và bảng điều khiển · Xuất",
        "old": "Tất cả",
        "new": "Không có quyền",
    } in role_rows
    assert team_rows == [
        {
            "field": "Người dùng",
            "old": ", ".join(str(u) for u in (org["manager"], org["sales1"])),
            "new": ", ".join(str(u) for u in (org["sales1"], org["sales2"])),
        }
    ]
