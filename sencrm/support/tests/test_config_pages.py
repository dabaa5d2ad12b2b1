"""Customer care's settings pages: who reads and who changes them, each page's create and edit with
its audit event, and bad input answered on the form (end before start, overlapping hours, a cycle in the
category tree, an escalation queue on the first line, a duplicate extension, huge or blank strings)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.customers.models import CustomerGroup
from sencrm.events.models import Event
from sencrm.support import config_services as services
from sencrm.support.models import (
    Absence,
    AgentExtension,
    BusinessCalendar,
    CareCallRule,
    Queue,
    RoutingRule,
    SlaPolicy,
    Ticket,
    TicketCategory,
)

XSS = '"><img src=x onerror=alert(1)>'
HUGE = "Đ" * 10_000
LISTS = [
    "support:config_index",
    "support:category_list",
    "support:calendar_list",
    "support:queue_list",
    "support:rule_list",
    "support:sla_list",
    "support:carerule_list",
    "support:absence_list",
    "support:extension_list",
]
CREATES = [
    "support:category_create",
    "support:calendar_create",
    "support:queue_create",
    "support:rule_create",
    "support:sla_create",
    "support:carerule_create",
    "support:extension_create",
]


def events(type_: str) -> list[Event]:
    return list(Event.objects.filter(type=type_).order_by("id"))


def hours_post(**overrides: str) -> dict[str, str]:
    """A calendar form's hours: Monday–Friday 08:00–12:00 and 13:30–17:30, the weekend off."""
    data = {}
    for day in range(7):
        for name in ("am_start", "am_end", "pm_start", "pm_end"):
            data[f"d{day}_{name}"] = ""
        if day < 5:
            data.update({f"d{day}_am_start": "08:00", f"d{day}_am_end": "12:00"})
            data.update({f"d{day}_pm_start": "13:30", f"d{day}_pm_end": "17:30"})
    data.update(overrides)
    return data


@pytest.fixture
def admin(org):
    return org["admin"]


@pytest.fixture
def queues(org, admin):
    """A first-line queue (care) that escalates to a second-line queue (tech, led by tech)."""
    second = services.queue_save(
        actor=admin, name="Tuyến 2 - Kỹ thuật", line="second", members=[org["tech"]], lead=org["tech"]
    )
    first = services.queue_save(
        actor=admin, name="Tuyến 1 - CSKH", members=[org["care"]], lead=org["care"], escalation_queue=second
    )
    return first, second


# --- who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    ("username", "status"), [("admin", 200), ("care", 200), ("tech", 200), ("sales1", 403)]
)
def test_readers_see_every_list_and_others_get_403(client_as, name, username, status):
    assert client_as(username).get(reverse(name)).status_code == status


@pytest.mark.parametrize("name", LISTS)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", CREATES)
@pytest.mark.parametrize(
    ("username", "status"), [("admin", 200), ("care", 200), ("tech", 403), ("manager", 403), ("sales1", 403)]
)
def test_only_editors_open_a_create_page(client_as, name, username, status):
    assert client_as(username).get(reverse(name)).status_code == status


@pytest.mark.parametrize("username", ["tech", "manager", "sales1", "accountant"])
def test_writes_without_edit_all_are_403_and_change_nothing(client_as, org, queues, username):
    first, _second = queues
    category = services.category_save(actor=org["admin"], name="Bảo hành")
    calendar = services.calendar_save(
        actor=org["admin"], name="Giờ hành chính", time_zone="Asia/Ho_Chi_Minh", hours={}
    )
    rule = services.rule_save(actor=org["admin"], name="Tất cả", queue=first)
    policy = services.sla_save(
        actor=org["admin"], name="Chuẩn", first_response_minutes=60, resolution_minutes=480
    )
    carerule = services.carerule_save(
        actor=org["admin"], name="Sau giao hàng", trigger="after_delivery", days=3, purpose="Hỏi thăm"
    )
    extension = services.extension_set(actor=org["admin"], user=org["care"], extension="101")
    client = client_as(username)
    before = Event.objects.count()
    posts = [
        (reverse("support:category_create"), {"name": "X", "position": 0}),
        (reverse("support:category_edit", args=[category.pk]), {"name": "X", "position": 0}),
        (reverse("support:category_delete", args=[category.pk]), {}),
        (
            reverse("support:calendar_edit", args=[calendar.pk]),
            {"name": "X", "time_zone": "UTC", **hours_post()},
        ),
        (
            reverse("support:queue_edit", args=[first.pk]),
            {"name": "X", "line": "first", "assignment": "least_busy"},
        ),
        (reverse("support:rule_edit", args=[rule.pk]), {"name": "X", "queue": first.pk}),
        (reverse("support:rule_move", args=[rule.pk]), {"direction": "down"}),
        (reverse("support:sla_edit", args=[policy.pk]), {"name": "X", "first_response_hours": 1}),
        (reverse("support:carerule_edit", args=[carerule.pk]), {"name": "X"}),
        (reverse("support:extension_create"), {"user": org[username].pk, "extension": "999"}),
        (reverse("support:extension_delete", args=[extension.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Event.objects.count() == before
    category.refresh_from_db()
    first.refresh_from_db()
    assert (
        category.name == "Bảo hành" and first.name == "Tuyến 1 - CSKH" and first.assignment == "round_robin"
    )
    assert AgentExtension.objects.get().extension == "101"


def test_a_reader_sees_an_edit_page_read_only(client_as, queues):
    first, _second = queues
    html = client_as("tech").get(reverse("support:queue_edit", args=[first.pk])).content.decode()
    assert 'data-testid="save"' not in html
    assert 'name="name"' in html and "disabled" in html
    assert 'data-testid="read-only-note"' not in html  # the note is on the overview
    overview = client_as("tech").get(reverse("support:config_index")).content.decode()
    assert 'data-testid="read-only-note"' in overview
    assert 'data-testid="admin-tab-support"' not in overview  # no Administration tabs for care staff


def test_the_services_check_the_right_again(org, queues):
    with pytest.raises(PermissionDenied):
        services.category_save(actor=org["tech"], name="Lỗi")
    with pytest.raises(PermissionDenied):
        services.extension_set(actor=org["sales1"], user=org["sales1"], extension="200")
    assert not TicketCategory.objects.exists()


def test_administration_links_to_the_settings(client_as):
    html = client_as("admin").get(reverse("users:user_list")).content.decode()
    assert 'data-testid="admin-tab-support"' in html and reverse("support:config_index") in html


# --- categories -------------------------------------------------------------------------------------


def test_admin_builds_and_renames_the_category_tree(client_as, org):
    client = client_as("admin")
    url = reverse("support:category_create")
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Lỗi kỹ thuật", "position": 1, "active": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("support:category_list")
    parent = TicketCategory.objects.get(name="Lỗi kỹ thuật")
    client.post(url, {"name": "Điều hòa không lạnh", "parent": parent.pk, "position": 0, "active": "on"})
    child = TicketCategory.objects.get(parent=parent)
    edit = reverse("support:category_edit", args=[child.pk])
    assert client.get(edit).status_code == 200
    assert (
        client.post(edit, {"name": "Máy không lạnh", "parent": parent.pk, "position": 2}).status_code == 302
    )
    child.refresh_from_db()
    assert (child.name, child.position, child.active) == ("Máy không lạnh", 2, False)
    html = client.get(reverse("support:category_list")).content.decode()
    assert html.index("Lỗi kỹ thuật") < html.index("Máy không lạnh")
    assert [e.subject_id for e in events("support_category.created")] == [parent.pk, child.pk]
    (updated,) = events("support_category.updated")
    assert updated.actor == org["admin"]
    assert updated.data["changes"] == {
        "name": ["Điều hòa không lạnh", "Máy không lạnh"],
        "position": [0, 2],
        "active": [True, False],
    }


def test_a_category_cannot_move_under_its_own_sub_category(client_as, org):
    admin = org["admin"]
    root = services.category_save(actor=admin, name="Lỗi kỹ thuật")
    child = services.category_save(actor=admin, name="Điều hòa", parent=root)
    grandchild = services.category_save(actor=admin, name="Không lạnh", parent=child)
    client = client_as("admin")
    edit = reverse("support:category_edit", args=[root.pk])
    huge = client.post(edit, {"name": "Lỗi kỹ thuật", "parent": "99999999999999999999", "position": 0})
    assert huge.status_code == 400
    for parent in (root, child, grandchild):
        response = client.post(edit, {"name": "Lỗi kỹ thuật", "parent": parent.pk, "position": 0})
        assert response.status_code == 400
        assert 'data-testid="error-parent"' in response.content.decode()
    root.refresh_from_db()
    assert root.parent_id is None
    with pytest.raises(ValidationError) as caught:
        services.category_save(actor=admin, category=root, name="Lỗi kỹ thuật", parent=grandchild)
    assert "parent" in caught.value.error_dict
    # Moving a leaf elsewhere is fine.
    other = services.category_save(actor=admin, name="Khiếu nại")
    services.category_save(actor=admin, category=grandchild, name="Không lạnh", parent=other)
    assert TicketCategory.objects.get(pk=grandchild.pk).parent == other


def test_a_category_is_deleted_only_when_nothing_uses_it(client_as, org, queues):
    admin = org["admin"]
    root = services.category_save(actor=admin, name="Lỗi kỹ thuật")
    child = services.category_save(actor=admin, name="Điều hòa", parent=root)
    ruled = services.category_save(actor=admin, name="Lắp đặt")
    services.rule_save(actor=admin, name="Lắp đặt", queue=queues[0], category=ruled)
    client = client_as("admin")
    html = client.get(reverse("support:category_list")).content.decode()
    assert f'data-testid="delete-category-{child.pk}"' in html
    assert f'data-testid="delete-category-{root.pk}"' not in html
    for used in (root, ruled):
        response = client.post(reverse("support:category_delete", args=[used.pk]))
        assert response.status_code == 400 and 'data-testid="form-errors"' in response.content.decode()
    assert client.post(reverse("support:category_delete", args=[child.pk])).status_code == 302
    assert set(TicketCategory.objects.values_list("name", flat=True)) == {"Lỗi kỹ thuật", "Lắp đặt"}
    (deleted,) = events("support_category.deleted")
    assert deleted.data["record"]["name"] == "Điều hòa"
    assert client.post(reverse("support:category_delete", args=[child.pk])).status_code == 404


def test_a_category_on_a_ticket_in_the_trash_cannot_be_deleted(client_as, org, english):
    category = services.category_save(actor=org["admin"], name="Bảo hành")
    # Stand-in rows: the ticket services belong to another part; only the category link matters here.
    Ticket.all_objects.create(
        number="TK-1", subject="Máy kêu to", category=category, owner=org["care"], deleted_at=timezone.now()
    )
    html = client_as("admin").get(reverse("support:category_list")).content.decode()
    assert f'data-testid="delete-category-{category.pk}"' not in html
    assert client_as("admin").post(reverse("support:category_delete", args=[category.pk])).status_code == 400
    with translation.override("en"), pytest.raises(ValidationError, match="deactivate"):
        services.category_delete(actor=org["admin"], category=category)
    assert TicketCategory.objects.filter(pk=category.pk).exists()


def test_names_are_escaped(client_as, org):
    services.category_save(actor=org["admin"], name=XSS)
    html = client_as("care").get(reverse("support:category_list")).content.decode()
    assert XSS not in html and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


# --- calendars --------------------------------------------------------------------------------------


def test_admin_creates_and_edits_a_business_calendar(client_as, org):
    client = client_as("admin")
    url = reverse("support:calendar_create")
    page = client.get(url).content.decode()
    assert 'data-testid="hours-table"' in page and 'value="08:00"' in page  # a usual week to start from
    data = {"name": "Giờ hành chính", "time_zone": "Asia/Ho_Chi_Minh", "skip_holidays": "on"}
    data.update(hours_post(d5_am_start="8h", d5_am_end="11.30"))
    data["days_off"] = "02/01/2026\n2026-04-27\n\n02/01/2026"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    calendar = BusinessCalendar.objects.get()
    assert calendar.hours["0"] == [["08:00", "12:00"], ["13:30", "17:30"]]
    assert calendar.hours["5"] == [["08:00", "11:30"]] and calendar.hours["6"] == []
    assert calendar.extra_days_off == ["2026-01-02", "2026-04-27"] and calendar.skip_holidays
    edit = reverse("support:calendar_edit", args=[calendar.pk])
    assert "02/01/2026\n27/04/2026</textarea>" in client.get(edit).content.decode()
    # Only the afternoon on Wednesday (the morning slot may stay empty).
    data.update(d2_am_start="", d2_am_end="", days_off="", time_zone="Asia/Bangkok")
    assert client.post(edit, data).status_code == 302
    calendar.refresh_from_db()
    assert calendar.hours["2"] == [["13:30", "17:30"]] and calendar.time_zone == "Asia/Bangkok"
    (created,) = events("support_calendar.created")
    assert created.data["record"]["name"] == "Giờ hành chính"
    (updated,) = events("support_calendar.updated")
    assert set(updated.data["changes"]) == {"hours", "time_zone", "extra_days_off"}


@pytest.mark.parametrize(
    ("overrides", "error_field"),
    [
        ({"d0_am_start": "12:00", "d0_am_end": "08:00"}, "d0_am_end"),  # end before start
        ({"d1_am_start": "09:00", "d1_am_end": "09:00"}, "d1_am_end"),  # empty range
        ({"d2_am_start": "08:00", "d2_am_end": "14:00"}, "d2_pm_start"),  # overlaps the afternoon
        ({"d3_pm_start": "07:00", "d3_pm_end": "09:00"}, "d3_am_start"),  # swapped, overlapping
        ({"d4_am_end": ""}, "d4_am_end"),  # a start without an end
        ({"d0_am_start": "25:00"}, "d0_am_start"),
        ({"d0_am_start": "'; DROP TABLE x;--"}, "d0_am_start"),
        ({"time_zone": "UTC'); SELECT pg_sleep(5);--"}, "time_zone"),
        ({"days_off": "30/02/2026"}, "days_off"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": HUGE}, "name"),
    ],
)
def test_bad_calendar_input_is_shown_on_the_form(client_as, org, overrides, error_field):
    data = {"name": "Giờ hành chính", "time_zone": "Asia/Ho_Chi_Minh", **hours_post(), **overrides}
    response = client_as("admin").post(reverse("support:calendar_create"), data)
    assert response.status_code == 400
    assert f'data-testid="error-{error_field}"' in response.content.decode()
    assert not BusinessCalendar.objects.exists() and not events("support_calendar.created")


def test_the_calendar_service_checks_the_hours_whatever_the_door(org):
    admin = org["admin"]
    bad = [
        {"0": [["12:00", "08:00"]]},
        {"0": [["08:00", "12:00"], ["11:00", "17:00"]]},
        {"0": [["08:00", "09:00"], ["10:00", "11:00"], ["13:00", "14:00"]]},
        {"7": []},
        {"0": [["8", "9"]]},
        {"0": "08:00-12:00"},
    ]
    for hours in bad:
        with pytest.raises(ValidationError):
            services.calendar_save(actor=admin, name="X", time_zone="Asia/Ho_Chi_Minh", hours=hours)
    calendar = services.calendar_save(
        actor=admin,
        name="Ca liền",
        time_zone="Asia/Ho_Chi_Minh",
        hours={"0": [["13:00", "17:00"], ["08:00", "13:00"]]},  # touching ranges, in any order
        extra_days_off=[dt.date(2026, 9, 1), "2026-01-02"],
    )
    assert calendar.hours["0"] == [["08:00", "13:00"], ["13:00", "17:00"]]
    assert calendar.extra_days_off == ["2026-01-02", "2026-09-01"]
    with pytest.raises(ValidationError):
        services.calendar_save(actor=admin, name="ca liền", time_zone="Asia/Ho_Chi_Minh", hours={})


# --- queues -----------------------------------------------------------------------------------------


def test_admin_creates_and_edits_queues(client_as, org):
    client = client_as("admin")
    calendar = services.calendar_save(
        actor=org["admin"], name="Giờ hành chính", time_zone="Asia/Ho_Chi_Minh", hours={}
    )
    url = reverse("support:queue_create")
    second = {
        "name": "Tuyến 2 - Kỹ thuật",
        "line": "second",
        "members": [org["tech"].pk],
        "lead": org["tech"].pk,
        "assignment": "least_busy",
        "active": "on",
    }
    assert client.post(url, second).status_code == 302
    tech_queue = Queue.objects.get(line="second")
    first = {
        "name": "Tuyến 1 - CSKH",
        "line": "first",
        "calendar": calendar.pk,
        "members": [org["care"].pk, org["manager"].pk],
        "lead": org["care"].pk,
        "assignment": "round_robin",
        "escalation_queue": tech_queue.pk,
        "email": "cskh@dieuhoasen.vn",
        "active": "on",
    }
    assert client.post(url, first).status_code == 302
    care_queue = Queue.objects.get(line="first")
    assert set(care_queue.members.values_list("username", flat=True)) == {"care", "manager"}
    assert care_queue.escalation_queue == tech_queue and care_queue.calendar == calendar
    edit = reverse("support:queue_edit", args=[care_queue.pk])
    page = client.get(edit).content.decode()
    assert "cskh@dieuhoasen.vn" in page
    first["members"] = [org["care"].pk]
    assert client.post(edit, first).status_code == 302
    assert list(care_queue.members.values_list("username", flat=True)) == ["care"]
    assert len(events("support_queue.created")) == 2
    (updated,) = events("support_queue.updated")
    assert updated.data["changes"] == {
        "members": [sorted([org["care"].pk, org["manager"].pk]), [org["care"].pk]]
    }
    html = client_as("care").get(reverse("support:queue_list")).content.decode()
    assert "Tuyến 1 - CSKH" in html and "Tuyến 2 - Kỹ thuật" in html


def test_a_queue_escalates_only_to_another_second_line_queue(client_as, org, queues, english):
    first, second = queues
    admin = org["admin"]
    other_first = services.queue_save(actor=admin, name="Tuyến 1 - Miền Nam")
    client = client_as("admin")
    data = {"name": "Tuyến 1 - Miền Nam", "line": "first", "assignment": "round_robin", "active": "on"}
    response = client.post(
        reverse("support:queue_edit", args=[other_first.pk]), {**data, "escalation_queue": first.pk}
    )
    assert response.status_code == 400 and 'data-testid="error-escalation_queue"' in response.content.decode()
    edit_second = reverse("support:queue_edit", args=[second.pk])
    response = client.post(
        edit_second, {**data, "name": second.name, "line": "second", "escalation_queue": second.pk}
    )
    assert response.status_code == 400 and 'data-testid="error-escalation_queue"' in response.content.decode()
    # The service says why, whatever the door.
    with translation.override("en"), pytest.raises(ValidationError, match="second-line"):
        services.queue_save(actor=admin, queue=other_first, name="Tuyến 1 - Miền Nam", escalation_queue=first)
    with translation.override("en"), pytest.raises(ValidationError, match="itself"):
        services.queue_save(
            actor=admin, queue=second, name=second.name, line="second", escalation_queue=second
        )
    # A queue others escalate to stays on the second line.
    response = client.post(edit_second, {**data, "name": second.name, "line": "first"})
    assert response.status_code == 400 and 'data-testid="error-line"' in response.content.decode()
    second.refresh_from_db()
    other_first.refresh_from_db()
    assert second.line == "second" and other_first.escalation_queue is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"name": HUGE},
        {"name": "tuyến 2 - kỹ thuật"},  # taken (case aside)
        {"email": "not an email"},
        {"line": "third"},
        {"assignment": "random"},
        {"members": ["99999999999999999999"]},
        {"lead": "abc"},
        {"lead": "99999999999999999999"},
        {"escalation_queue": "1e3"},
        {"calendar": "-1"},
    ],
)
def test_bad_queue_input_is_shown_on_the_form(client_as, org, queues, overrides):
    data = {"name": "Tuyến 1 - Miền Nam", "line": "first", "assignment": "round_robin", **overrides}
    response = client_as("admin").post(reverse("support:queue_create"), data)
    assert response.status_code == 400 and "invalid-feedback" in response.content.decode()
    assert Queue.objects.count() == 2


def test_inactive_users_are_not_offered_as_members(client_as, org):
    org["sales2"].is_active = False
    org["sales2"].save()
    data = {"name": "Q", "line": "first", "assignment": "round_robin", "members": [org["sales2"].pk]}
    assert client_as("admin").post(reverse("support:queue_create"), data).status_code == 400
    with pytest.raises(ValidationError):
        services.queue_save(actor=org["admin"], name="Q", members=[org["sales2"]])


# --- routing rules ----------------------------------------------------------------------------------


def test_admin_adds_rules_and_reorders_them(client_as, org, queues):
    first, second = queues
    group = CustomerGroup.objects.create(name="Đại lý")
    category = services.category_save(actor=org["admin"], name="Lỗi kỹ thuật")
    client = client_as("admin")
    url = reverse("support:rule_create")
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Mặc định", "queue": first.pk, "active": "on"}).status_code == 302
    data = {
        "name": "Đại lý miền Nam, lỗi kỹ thuật",
        "queue": second.pk,
        "category": category.pk,
        "region": "south",
        "customer_group": group.pk,
        "priority": "urgent",
        "active": "on",
    }
    assert client.post(url, data).status_code == 302
    default, dealers = RoutingRule.objects.order_by("position")
    assert (default.position, dealers.position) == (1, 2)
    assert (dealers.region, dealers.customer_group, dealers.priority) == ("south", group, "urgent")
    html = client.get(reverse("support:rule_list")).content.decode()
    assert html.index("Mặc định") < html.index("Đại lý miền Nam")
    assert (
        client.post(reverse("support:rule_move", args=[dealers.pk]), {"direction": "up"}).status_code == 302
    )
    assert list(RoutingRule.objects.values_list("name", flat=True)) == [dealers.name, "Mặc định"]
    moved = events("support_routing_rule.updated")[-1]
    assert moved.subject_id == dealers.pk and moved.data["changes"] == {"position": [2, 1]}
    # Already first: nothing moves, no event.
    client.post(reverse("support:rule_move", args=[dealers.pk]), {"direction": "up"})
    assert len(events("support_routing_rule.updated")) == 1
    assert (
        client.post(reverse("support:rule_move", args=[dealers.pk]), {"direction": "sideways"}).status_code
        == 400
    )
    edit = reverse("support:rule_edit", args=[default.pk])
    assert client.post(edit, {"name": "Mặc định", "queue": first.pk, "position": 5}).status_code == 302
    default.refresh_from_db()
    assert default.position == 5 and not default.active
    assert len(events("support_routing_rule.created")) == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"name": HUGE},
        {"queue": ""},
        {"region": "mars"},
        {"priority": "asap"},
        {"position": "-1"},
    ],
)
def test_bad_rule_input_is_shown_on_the_form(client_as, queues, overrides):
    data = {"name": "Mặc định", "queue": queues[0].pk, "active": "on", **overrides}
    response = client_as("admin").post(reverse("support:rule_create"), data)
    assert response.status_code == 400 and "invalid-feedback" in response.content.decode()
    assert not RoutingRule.objects.exists()


# --- SLA policies -----------------------------------------------------------------------------------


def test_admin_enters_sla_targets_in_hours_and_minutes(client_as, org, english):
    org["admin"].language = "en"
    org["admin"].save(update_fields=["language"])
    client = client_as("admin")
    group = CustomerGroup.objects.create(name="VIP")
    url = reverse("support:sla_create")
    data = {
        "name": "Khẩn cấp VIP",
        "priority": "urgent",
        "customer_group": group.pk,
        "first_response_hours": "0",
        "first_response_mins": "30",
        "resolution_hours": "4",
        "resolution_mins": "",
        "warn_before_minutes": "15",
        "escalate_on_breach": "on",
        "active": "on",
    }
    assert client.post(url, data).status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.first_response_minutes, policy.resolution_minutes, policy.warn_before_minutes) == (
        30,
        240,
        15,
    )
    edit = reverse("support:sla_edit", args=[policy.pk])
    page = client.get(edit).content.decode()
    assert 'name="resolution_hours" value="4"' in page
    assert client.post(edit, {**data, "resolution_hours": "8", "resolution_mins": "30"}).status_code == 302
    policy.refresh_from_db()
    assert policy.resolution_minutes == 510
    assert "4 h" in client.get(reverse("support:sla_list")).content.decode().replace("8 h 30 min", "4 h")
    (updated,) = events("support_sla_policy.updated")
    assert updated.data["changes"] == {"resolution_minutes": [240, 510]}
    assert len(events("support_sla_policy.created")) == 1


@pytest.mark.parametrize(
    ("overrides", "error_field"),
    [
        ({"first_response_hours": "", "first_response_mins": ""}, "first_response_hours"),
        ({"first_response_mins": "60"}, "first_response_mins"),
        ({"resolution_hours": "-1"}, "resolution_hours"),
        ({"resolution_hours": "99999999999"}, "resolution_hours"),
        ({"first_response_hours": "9", "resolution_hours": "8"}, "first_response_hours"),
        ({"warn_before_minutes": "600"}, "warn_before_minutes"),
        ({"name": HUGE}, "name"),
        ({"name": "  "}, "name"),
        ({"priority": "normal"}, "priority"),  # an active policy for "normal" exists
    ],
)
def test_bad_sla_input_is_shown_on_the_form(client_as, org, overrides, error_field):
    services.sla_save(
        actor=org["admin"], name="Chuẩn", priority="normal", first_response_minutes=60, resolution_minutes=480
    )
    data = {
        "name": "Cao",
        "priority": "high",
        "first_response_hours": "1",
        "first_response_mins": "0",
        "resolution_hours": "8",
        "resolution_mins": "0",
        "warn_before_minutes": "30",
        "active": "on",
        **overrides,
    }
    response = client_as("admin").post(reverse("support:sla_create"), data)
    assert response.status_code == 400
    assert f'data-testid="error-{error_field}"' in response.content.decode()
    assert SlaPolicy.objects.count() == 1


# --- care call rules --------------------------------------------------------------------------------


def test_admin_adds_and_edits_care_call_rules(client_as, org, queues):
    client = client_as("care")  # the care desk's lead: support edit with the scope "all"
    url = reverse("support:carerule_create")
    data = {
        "name": "Hỏi thăm sau giao hàng",
        "trigger": "after_delivery",
        "days": "3",
        "purpose": "Hỏi thăm khách sau khi giao và lắp đặt",
        "queue": queues[0].pk,
        "active": "on",
    }
    assert client.post(url, data).status_code == 302
    rule = CareCallRule.objects.get()
    edit = reverse("support:carerule_edit", args=[rule.pk])
    assert client.post(edit, {**data, "queue": "", "agent": org["care"].pk, "days": "7"}).status_code == 302
    rule.refresh_from_db()
    assert (rule.days, rule.agent, rule.queue) == (7, org["care"], None)
    (updated,) = events("support_carecall_rule.updated")
    assert updated.actor == org["care"] and updated.data["changes"]["days"] == [3, 7]
    both = client.post(edit, {**data, "agent": org["care"].pk})
    assert both.status_code == 400 and 'data-testid="error-queue"' in both.content.decode()
    for bad in ({"days": "3651"}, {"trigger": "birthday"}, {"purpose": HUGE}, {"name": ""}):
        assert client.post(url, {**data, **bad}).status_code == 400
    assert CareCallRule.objects.count() == 1
    with pytest.raises(ValidationError):
        services.carerule_save(actor=org["admin"], rule=rule, queue=queues[0])


# --- absences ---------------------------------------------------------------------------------------


def _absence(user_pk: int, start: str = "", end: str = "", note: str = "Nghỉ phép") -> dict[str, object]:
    today = timezone.localdate()
    return {
        "user": user_pk,
        "starts_at": start or f"{today + dt.timedelta(days=1):%d/%m/%Y} 08:00",
        "ends_at": end or f"{today + dt.timedelta(days=2):%d/%m/%Y} 17:30",
        "note": note,
    }


def test_an_agent_records_their_own_absence_and_only_theirs(client_as, org, queues):
    client = client_as("tech")
    assert client.get(reverse("support:absence_create")).status_code == 200
    assert client.post(reverse("support:absence_create"), _absence(org["tech"].pk)).status_code == 302
    absence = Absence.objects.get()
    assert absence.user == org["tech"] and absence.note == "Nghỉ phép"
    (created,) = events("support_absence.created")
    assert created.actor == org["tech"] and created.data["record"]["user"] == org["tech"].pk
    # Not someone else's (the choice is not offered), nor delete theirs.
    response = client.post(reverse("support:absence_create"), _absence(org["care"].pk))
    assert response.status_code == 400 and 'data-testid="error-user"' in response.content.decode()
    theirs = services.absence_create(
        actor=org["admin"], user=org["care"], starts_at=absence.starts_at, ends_at=absence.ends_at
    )
    assert client.post(reverse("support:absence_delete", args=[theirs.pk])).status_code == 403
    assert client.post(reverse("support:absence_delete", args=[absence.pk])).status_code == 302
    assert list(Absence.objects.all()) == [theirs]
    assert len(events("support_absence.deleted")) == 1


def test_a_queue_lead_records_their_members_absences(client_as, org, queues):
    # tech leads the second-line queue; manager becomes a member of it.
    _first, second = queues
    second.members.add(org["manager"])
    client = client_as("tech")
    page = client.get(reverse("support:absence_create")).content.decode()
    assert org["manager"].full_name in page and org["sales1"].full_name not in page
    assert client.post(reverse("support:absence_create"), _absence(org["manager"].pk)).status_code == 302
    html = client.get(reverse("support:absence_list")).content.decode()
    assert org["manager"].full_name in html and 'data-testid="delete-absence-' in html
    with pytest.raises(PermissionDenied):
        services.absence_create(
            actor=org["tech"],
            user=org["sales1"],
            starts_at=timezone.now(),
            ends_at=timezone.now() + dt.timedelta(hours=1),
        )


def test_sales_cannot_record_absences(client_as, org):
    client = client_as("sales1")
    assert client.get(reverse("support:absence_create")).status_code == 403
    assert client.post(reverse("support:absence_create"), _absence(org["sales1"].pk)).status_code == 403
    assert not Absence.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "error_field"),
    [
        ("02/03/2030 10:00", "02/03/2030 09:00", "ends_at"),  # end before start
        ("02/03/2030 10:00", "02/03/2030 10:00", "ends_at"),
        ("01/01/2020 08:00", "02/01/2020 08:00", "ends_at"),  # already over
        ("01/01/2030 08:00", "01/06/2031 08:00", "ends_at"),  # more than a year
        ("31/02/2030 08:00", "01/03/2030 08:00", "starts_at"),
        ("'; DROP TABLE support_absence;--", "01/03/2030 08:00", "starts_at"),
    ],
)
def test_bad_absence_dates_are_shown_on_the_form(client_as, org, start, end, error_field):
    response = client_as("admin").post(
        reverse("support:absence_create"), _absence(org["care"].pk, start, end)
    )
    assert response.status_code == 400
    assert f'data-testid="error-{error_field}"' in response.content.decode()
    assert not Absence.objects.exists()


def test_overlapping_absences_and_long_notes_are_refused(client_as, org):
    client = client_as("admin")
    assert client.post(reverse("support:absence_create"), _absence(org["care"].pk)).status_code == 302
    response = client.post(reverse("support:absence_create"), _absence(org["care"].pk))
    assert response.status_code == 400 and 'data-testid="error-starts_at"' in response.content.decode()
    assert (
        client.post(reverse("support:absence_create"), _absence(org["tech"].pk, note=HUGE)).status_code == 400
    )
    assert Absence.objects.count() == 1


# --- phone extensions -------------------------------------------------------------------------------


def test_admin_maps_extensions_to_users(client_as, org):
    client = client_as("admin")
    url = reverse("support:extension_create")
    page = client.get(url, {"user": org["care"].pk}).content.decode()
    assert f'<option value="{org["care"].pk}" selected>' in page
    assert client.get(url, {"user": "9" * 40}).status_code == 200
    assert client.post(url, {"user": org["care"].pk, "extension": " 101 "}).status_code == 302
    assert client.post(url, {"user": org["tech"].pk, "extension": "102"}).status_code == 302
    duplicate = client.post(url, {"user": org["tech"].pk, "extension": "101"})
    assert duplicate.status_code == 400
    assert 'data-testid="error-extension"' in duplicate.content.decode()
    assert org["care"].full_name in duplicate.content.decode()
    # A user who has one gets the new one.
    assert client.post(url, {"user": org["care"].pk, "extension": "105"}).status_code == 302
    assert dict(AgentExtension.objects.values_list("user__username", "extension")) == {
        "care": "105",
        "tech": "102",
    }
    html = client_as("tech").get(reverse("support:extension_list")).content.decode()
    assert "105" in html and org["tech"].full_name in html and "delete-extension-" not in html  # tech reads
    (updated,) = events("support_extension.updated")
    assert updated.data["changes"] == {"extension": ["101", "105"]}
    assert len(events("support_extension.created")) == 2
    tech_ext = AgentExtension.objects.get(user=org["tech"])
    client = client_as("admin")  # the same test client, signed in again
    assert client.post(reverse("support:extension_delete", args=[tech_ext.pk])).status_code == 302
    assert not AgentExtension.objects.filter(user=org["tech"]).exists()
    assert len(events("support_extension.deleted")) == 1


@pytest.mark.parametrize(
    "extension", ["", "   ", "1" * 21, "10 1", "101; DROP TABLE x", "<b>1</b>", "１０１"]
)
def test_bad_extensions_are_shown_on_the_form(client_as, org, extension):
    response = client_as("admin").post(
        reverse("support:extension_create"), {"user": org["care"].pk, "extension": extension}
    )
    assert response.status_code == 400 and 'data-testid="error-extension"' in response.content.decode()
    assert not AgentExtension.objects.exists()


# --- huge and blank strings on every form -----------------------------------------------------------


@pytest.mark.parametrize("name", CREATES)
@pytest.mark.parametrize("value", ["", HUGE, "\u200b\u202e"])
def test_every_form_answers_bad_strings_with_a_400(client_as, name, value):
    data = {"name": value, "extension": value, "purpose": value, "position": "0"}
    response = client_as("admin").post(reverse(name), data)
    assert response.status_code == 400
    assert (
        "invalid-feedback" in response.content.decode()
        or 'data-testid="form-errors"' in response.content.decode()
    )


@pytest.fixture
def english():
    """These tests read messages in English (their source text)."""
    from django.utils import translation

    with translation.override("en"):
        yield
