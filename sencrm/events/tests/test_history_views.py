"""The history pages (activity log, recent changes, a user's and a record's history) read in words, in
the order things happened, page by (time, id), and leave personal settings out of the audit views."""

from __future__ import annotations

import datetime as dt
import html
import importlib
import re

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from sencrm.core.tests.testapp.models import Gadget
from sencrm.events import selectors, services
from sencrm.events.models import Event

pytestmark = pytest.mark.django_db

BAD_CURSORS = ["abc", "1;DROP TABLE", "12", "_5", "99999999999999999999_1", "1_" + "9" * 30]


def text(page: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def back_dated(org):
    """Five events by sales1, written in this order but dated 08/10, 20/09, 29/11, 31/10, 15/11."""
    days = [(2026, 10, 8), (2026, 9, 20), (2026, 11, 29), (2026, 10, 31), (2026, 11, 15)]
    made = []
    for n, day in enumerate(days):
        g = services.record_create(Gadget, actor=org["sales1"], data={"name": f"Máy {n}", "amount": n})
        event = Event.objects.get(type="gadget.created", subject_id=g.pk)
        event.occurred_at = dt.datetime(*day, 9, 0, tzinfo=dt.UTC)
        event.save(update_fields=["occurred_at"])
        made.append(event)
    return made


def expected_order(events):
    return [e.pk for e in sorted(events, key=lambda e: (e.occurred_at, e.pk), reverse=True)]


def test_the_activity_log_is_in_the_order_things_happened_and_pages_through_it(org, back_dated):
    ids = {e.pk for e in back_dated}
    seen, cursor = [], None
    while True:
        page, cursor = selectors.event_log(user=org["admin"], type_prefix="gadget.", before=cursor, limit=2)
        seen += [e.pk for e in page if e.pk in ids]
        if cursor is None:
            break
    assert seen == expected_order(back_dated)


def test_the_activity_log_page_shows_words_not_codes(client_as, org, back_dated):
    page = client_as("admin").get(reverse("events:log")).content.decode()
    shown = text(page)
    assert "Tạo gadget" in shown and "gadget.created" not in shown
    assert "user.created" not in shown and "Tạo người dùng" in shown
    assert "Hệ thống (cài đặt ban đầu)" in shown  # the built-in roles, written by the set-up
    assert "system:setup" not in shown


def test_the_activity_log_pages_with_a_time_cursor(client_as, back_dated):
    client = client_as("admin")
    first = client.get(reverse("events:log"), {"type": "gadget."})
    assert first.status_code == 200
    Event.objects.filter(pk__in=[e.pk for e in back_dated]).update(occurred_at=timezone.now())
    for _ in range(60):  # more than a page
        Event.objects.create(
            type="gadget.updated",
            subject_type=ContentType.objects.get_for_model(Gadget),
            subject_id=back_dated[0].subject_id,
            occurred_at=timezone.now() - dt.timedelta(days=400),
        )
    first = client.get(reverse("events:log"), {"type": "gadget."})
    cursor = first.context["next_before"]
    assert re.fullmatch(r"\d+_\d+", cursor)
    second = client.get(reverse("events:log"), {"type": "gadget.", "before": cursor})
    assert second.status_code == 200
    ids1 = {row["event"].pk for row in first.context["rows"]}
    ids2 = {row["event"].pk for row in second.context["rows"]}
    assert ids2 and not ids1 & ids2


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_malformed_cursor_is_a_400_on_every_history_page(client_as, org, make_gadget, cursor):
    client = client_as("admin")
    g = make_gadget("sales1")
    ct = ContentType.objects.get_for_model(Gadget).pk
    for url in (
        reverse("events:log"),
        reverse("events:user_audit", args=[org["sales1"].pk]),
        reverse("events:audit", args=[ct, g.pk]),
    ):
        response = client.get(url, {"before": cursor})
        assert response.status_code == 400, (url, cursor)
        assert response.content.decode() == "Trang không hợp lệ."


def test_recent_changes_are_in_the_order_things_happened(client_as, back_dated):
    page = client_as("sales1").get(reverse("home"))
    shown = [e.pk for e in page.context["my_changes"] if e.pk in {b.pk for b in back_dated}]
    assert shown == expected_order(back_dated)
    assert "gadget.created" not in text(page.content.decode())


def test_a_record_history_is_in_the_order_things_happened(org, back_dated):
    event = back_dated[0]
    gadget = Gadget.objects.get(pk=event.subject_id)
    later = services.record_update(gadget, actor=org["sales1"], changes={"amount": 7}, version=gadget.version)
    update = Event.objects.get(type="gadget.updated", subject_id=later.pk)
    update.occurred_at = event.occurred_at - dt.timedelta(days=1)  # an import's older change
    update.save(update_fields=["occurred_at"])
    rows, _cursor = selectors.audit_trail(user=org["sales1"], obj=gadget)
    assert [e.pk for e in rows] == [event.pk, update.pk]


def test_switching_language_stays_out_of_recent_changes_and_the_activity_log(client_as, org):
    client = client_as("sales1")
    assert client.post(reverse("users:set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("users:set_language"), {"language": "vi", "next": "/"}).status_code == 302
    assert Event.objects.filter(type="user.preferences_changed", actor=org["sales1"]).count() == 2
    assert not Event.objects.filter(type="user.updated", subject_id=org["sales1"].pk).exists()
    home = client.get(reverse("home"))
    assert list(home.context["my_changes"]) == []
    assert "Bạn chưa thay đổi gì." in home.content.decode()
    log = client_as("admin").get(reverse("events:log"))
    assert not [r for r in log.context["rows"] if r["event"].type == "user.preferences_changed"]
    # …but the user's own history says it plainly.
    history = text(
        client_as("admin").get(reverse("events:user_audit", args=[org["sales1"].pk])).content.decode()
    )
    assert "Đổi cài đặt cá nhân" in history and "user.preferences_changed" not in history


def test_the_user_history_names_the_role_not_its_id(client_as, org):
    from sencrm.users.models import Role
    from sencrm.users.services import user_update

    manager = Role.objects.get(code="manager")
    user_update(actor=org["admin"], user=org["sales1"], role=manager)
    history = text(
        client_as("admin").get(reverse("events:user_audit", args=[org["sales1"].pk])).content.decode()
    )
    assert "Cập nhật người dùng" in history and str(manager) in history
    assert "user.updated" not in history


def test_older_language_switches_are_retyped_as_settings_changes(org):
    user_ct = ContentType.objects.get_for_model(org["sales1"])
    switch = Event.objects.create(
        type="user.updated",
        subject_type=user_ct,
        subject_id=org["sales1"].pk,
        actor=org["sales1"],
        data={"changes": {"language": ["vi", "en"]}},
    )
    admin_edit = Event.objects.create(
        type="user.updated",
        subject_type=user_ct,
        subject_id=org["sales1"].pk,
        data={"changes": {"language": ["vi", "en"], "role": [1, 2]}},
    )
    migration = importlib.import_module("sencrm.events.migrations.0006_user_preferences_changed")
    migration.retype(apps, None)
    switch.refresh_from_db()
    admin_edit.refresh_from_db()
    assert (switch.type, admin_edit.type) == ("user.preferences_changed", "user.updated")
