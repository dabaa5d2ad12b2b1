"""The base record views: 404 outside scope, version conflicts, trash, audit trail, shell pages."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from sencrm.core.tests.testapp.models import Gadget
from sencrm.events import services


def ct():
    return ContentType.objects.get_for_model(Gadget).pk


def test_a_record_of_another_team_answers_404(client_as, make_gadget):
    other = make_gadget("sales2")
    client = client_as("sales1")
    for url in [
        reverse("testapp:gadget_detail", args=[other.pk]),
        reverse("testapp:gadget_edit", args=[other.pk]),
        reverse("events:audit", args=[ct(), other.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 404
        assert "Không tìm thấy trang" in response.content.decode()
    assert client.post(reverse("testapp:gadget_delete", args=[other.pk])).status_code == 404
    assert Gadget.objects.filter(pk=other.pk).exists()


def test_a_missing_record_and_a_forbidden_one_look_the_same(client_as, make_gadget):
    other = make_gadget("sales2")
    client = client_as("sales1")
    forbidden = client.get(reverse("testapp:gadget_detail", args=[other.pk]))
    missing = client.get(reverse("testapp:gadget_detail", args=[other.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404

    # The same page body (the shell around it carries per-response tokens and the URL).
    def body(html: bytes) -> bytes:
        return re.search(rb"<main.*</main>", html, re.S).group(0)

    assert body(forbidden.content) == body(missing.content)


def test_read_only_role_gets_403_on_edit(client_as, make_gadget):
    g = make_gadget("sales1")
    assert client_as("care").get(reverse("testapp:gadget_edit", args=[g.pk])).status_code == 403


def test_list_shows_only_records_in_scope(client_as, make_gadget):
    make_gadget("sales1", name="mine")
    make_gadget("sales2", name="theirs")
    html = client_as("sales1").get(reverse("testapp:gadget_list")).content.decode()
    assert "mine" in html and "theirs" not in html


def test_list_filters_sorts_and_pages_through_the_gate(client_as, make_gadget):
    for n in range(55):
        make_gadget("sales1", name=f"máy {n:02d}", amount=n)
    make_gadget("sales2", name="máy của đội khác", amount=1000)
    client = client_as("sales1")
    seen, params = [], {"sort": "-amount"}
    for _ in range(3):
        response = client.get(reverse("testapp:gadget_list"), params)
        assert response.status_code == 200
        seen += [g.name for g in response.context["page"].rows]
        if not response.context["page"].next_cursor:
            break
        params = {"sort": "-amount", "cursor": response.context["page"].next_cursor}
    assert seen == [f"máy {n:02d}" for n in range(54, -1, -1)]  # every row of the scope once, in order
    html = client.get(reverse("testapp:gadget_list"), {"name": "máy 1", "amount_min": "12"}).content.decode()
    assert "máy 12" in html and "máy 11" not in html and "máy 13" in html and "đội khác" not in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "amount;DROP TABLE"}, "Thứ tự sắp xếp"),
        ({"amount_min": "nhiều"}, "amount_min"),
        ({"cursor": "forged"}, "Liên kết trang"),
    ],
)
def test_a_bad_sort_filter_or_page_link_is_a_400_with_the_reason(client_as, make_gadget, params, message):
    make_gadget("sales1", name="máy lọc nước")
    response = client_as("sales1").get(reverse("testapp:gadget_list"), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="list-error"' in html and message in html and "máy lọc nước" not in html


def test_a_stale_form_is_refused_with_a_clear_message(client_as, org, make_gadget):
    g = make_gadget("sales1", amount=100)
    client = client_as("sales1")
    form = {"name": g.name, "amount": "150", "note": "", "version": "1"}
    # Meanwhile the manager changes the amount.
    services.record_update(g, actor=org["manager"], changes={"amount": 120}, version=1)
    response = client.post(reverse("testapp:gadget_edit", args=[g.pk]), form)
    assert response.status_code == 409
    assert "Người khác đã thay đổi bản ghi này" in response.content.decode()
    g.refresh_from_db()
    assert g.amount == 120


def test_edit_saves_and_the_change_shows_in_the_audit_trail(client_as, make_gadget):
    g = make_gadget("sales1", amount=100)
    client = client_as("sales1")
    form = {"name": "Điều hòa Daikin 12000BTU", "amount": "15000000", "note": "", "version": "1"}
    assert client.post(reverse("testapp:gadget_edit", args=[g.pk]), form).status_code == 302
    audit = client.get(reverse("events:audit", args=[ct(), g.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "Cập nhật gadget" in audit and "Điều hòa Daikin 12000BTU" in audit and "15.000.000" in audit


def test_delete_then_restore_from_the_trash(client_as, make_gadget):
    g = make_gadget("sales1", name="Máy lọc không khí")
    client = client_as("sales1")
    assert client.post(reverse("testapp:gadget_delete", args=[g.pk])).status_code == 302
    trash = client.get(reverse("events:trash")).content.decode()
    assert "Máy lọc không khí" in trash
    # Another team cannot restore it, and cannot see it in their trash.
    other = client_as("sales2")
    assert "Máy lọc không khí" not in other.get(reverse("events:trash")).content.decode()
    assert other.post(reverse("events:trash_restore", args=[ct(), g.pk])).status_code == 404
    assert not Gadget.objects.filter(pk=g.pk).exists()
    client = client_as("sales1")
    assert client.post(reverse("events:trash_restore", args=[ct(), g.pk])).status_code == 302
    assert Gadget.objects.filter(pk=g.pk).exists()


def test_restore_is_post_only_and_needs_csrf(org, make_gadget):
    from django.test import Client

    g = make_gadget("sales1")
    services.record_delete(g, actor=org["sales1"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["sales1"])
    url = reverse("events:trash_restore", args=[ct(), g.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert not Gadget.objects.filter(pk=g.pk).exists()


def test_bad_paging_parameters_answer_400(client_as, make_gadget):
    g = make_gadget("sales1")
    client = client_as("sales1")
    for bad in ["-1", "abc", "1" * 40, "1;DROP TABLE"]:
        response = client.get(reverse("events:audit", args=[ct(), g.pk]), {"before": bad})
        assert response.status_code == 400


def test_dates_show_dd_mm_yyyy_in_the_users_time_zone(client_as, org, make_gadget):
    # 20:30 UTC on 31/12 is already 01/01 in Hà Nội, still 31/12 in Berlin.
    g = make_gadget("sales1", amount=50000000)
    Gadget.objects.filter(pk=g.pk).update(created_at=dt.datetime(2025, 12, 31, 20, 30, tzinfo=dt.UTC))
    client = client_as("sales1")
    html = client.get(reverse("testapp:gadget_detail", args=[g.pk])).content.decode()
    assert "01/01/2026" in html and "50.000.000 ₫" in html
    org["sales1"].time_zone = "Europe/Berlin"
    org["sales1"].save()
    html = client.get(reverse("testapp:gadget_detail", args=[g.pk])).content.decode()
    assert "31/12/2025" in html
    assert zoneinfo.ZoneInfo("Europe/Berlin")


def test_security_headers(client_as):
    response = client_as("sales1").get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_need_login(client, make_gadget):
    g = make_gadget("sales1")
    for url in [
        "/",
        reverse("events:trash"),
        reverse("testapp:gadget_detail", args=[g.pk]),
        reverse("core:search"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_search_answers_and_refuses_overlong_queries(client_as):
    client = client_as("sales1")
    response = client.get(reverse("core:search"), {"q": "nguyen"})
    assert response.status_code == 200 and "nguyen" in response.content.decode()
    assert client.get(reverse("core:search"), {"q": "x" * 500}).status_code == 400
    xss = client.get(reverse("core:search"), {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in xss


def test_localised_error_pages_in_english(client_as, org):
    org["sales1"].language = "en"
    org["sales1"].save()
    response = client_as("sales1").get("/no-such-page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_server_error_page_is_localised(rf):
    from django.utils import translation

    from sencrm.core.views import server_error

    with translation.override("vi"):
        response = server_error(rf.get("/"))
    assert response.status_code == 500 and "Đã xảy ra lỗi" in response.content.decode()
