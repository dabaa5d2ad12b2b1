"""The lead pages: list, capture with the duplicate check, detail with score and journey, follow-up,
assignment, conversion, export, bad input, and the access matrix for every view."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sencrm.activities.models import Activity
from sencrm.customers.models import Account, Contact
from sencrm.events import consumers
from sencrm.sales import services
from sencrm.sales.models import Lead, Opportunity

XSS = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(1)>"
LOCAL = "%Y-%m-%dT%H:%M"


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime(LOCAL)


def _create_data(**extra):
    data = {"full_name": "Vũ Thị Hương", "phones": "0977 555 666", "status": "new"}
    data.update(extra)
    return data


def _state(lead: Lead) -> tuple:
    row = Lead.all_objects.get(pk=lead.pk)
    return (
        row.version,
        row.owner_id,
        row.team_id,
        row.status,
        row.deleted_at,
        row.next_action,
        row.full_name,
    )


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_only_what_the_role_may_see(client_as, make_lead):
    make_lead(full_name="Phạm Minh Khang")
    make_lead(owner="sales2", full_name="Lê Người Khác", phones=["0903 999 000"])
    html = client_as("sales1").get(reverse("sales:lead_list")).content.decode()
    assert "Phạm Minh Khang" in html and "Lê Người Khác" not in html
    html = client_as("manager").get(reverse("sales:lead_list")).content.decode()
    assert "Phạm Minh Khang" in html and "Lê Người Khác" not in html
    html = client_as("marketing").get(reverse("sales:lead_list")).content.decode()
    assert "Phạm Minh Khang" in html and "Lê Người Khác" in html


def test_list_columns_search_filter_and_sort_by_score(client_as, make_lead):
    past = timezone.now() - dt.timedelta(hours=2)
    a = make_lead(
        full_name="Phạm Minh Khang",
        company="Nhà hàng Sen Vàng",
        campaign="Fanpage tháng 8",
        next_action="Gọi lại báo giá",
        next_action_at=past,
    )
    b = make_lead(full_name="Đỗ Thị Lan", phones=["0988 222 333"])
    Lead.objects.filter(pk=a.pk).update(score=10)
    Lead.objects.filter(pk=b.pk).update(score=40)
    client = client_as("sales1")
    html = client.get(reverse("sales:lead_list")).content.decode()
    row = html[html.index(f'data-testid="lead-row-{a.pk}"') :]
    row = row[: row.index("</tr>")]
    for text in [
        "Nhà hàng Sen Vàng",
        "0903 111 222",
        "Fanpage tháng 8",
        "Gọi lại báo giá",
        'data-testid="overdue"',
    ]:
        assert text in row
    html = client.get(reverse("sales:lead_list"), {"q": "khang"}).content.decode()
    assert "Phạm Minh Khang" in html and "Đỗ Thị Lan" not in html
    html = client.get(reverse("sales:lead_list"), {"q": "+84 988 222 333"}).content.decode()
    assert "Đỗ Thị Lan" in html and "Phạm Minh Khang" not in html
    html = client.get(reverse("sales:lead_list"), {"q": "sen vang"}).content.decode()
    assert "Phạm Minh Khang" in html
    html = client.get(reverse("sales:lead_list"), {"score_min": 20}).content.decode()
    assert "Đỗ Thị Lan" in html and "Phạm Minh Khang" not in html
    html = client.get(reverse("sales:lead_list"), {"score_min": 5, "score_max": 15}).content.decode()
    assert "Phạm Minh Khang" in html and "Đỗ Thị Lan" not in html
    html = client.get(reverse("sales:lead_list"), {"sort": "-score"}).content.decode()
    assert html.index("Đỗ Thị Lan") < html.index("Phạm Minh Khang")
    html = client.get(reverse("sales:lead_list"), {"sort": "score"}).content.decode()
    assert html.index("Phạm Minh Khang") < html.index("Đỗ Thị Lan")
    # Sorted by follow-up: only the leads that have one.
    html = client.get(reverse("sales:lead_list"), {"sort": "follow_up"}).content.decode()
    assert "Phạm Minh Khang" in html and "Đỗ Thị Lan" not in html
    for sort in [
        "name",
        "-name",
        "status",
        "-status",
        "owner",
        "-owner",
        "created",
        "-created",
        "-follow_up",
    ]:
        assert client.get(reverse("sales:lead_list"), {"sort": sort}).status_code == 200
    partial = client.get(reverse("sales:lead_list"), {"q": "lan"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Đỗ Thị Lan" in partial


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "score;DROP TABLE"},
        {"sort": "(SELECT 1)"},
        {"status": "bogus"},
        {"score_min": "abc"},
        {"owner": "abc"},
        {"created_after": "31/02/2026"},
        {"cursor": "forged"},
        {"cursor": "eyJhIjoxfQ:1abc:xyz"},
    ],
)
def test_bad_list_parameters_answer_400_with_a_message(client_as, make_lead, params):
    make_lead()
    response = client_as("sales1").get(reverse("sales:lead_list"), params)
    assert response.status_code == 400
    assert 'data-testid="list-error"' in response.content.decode()


@pytest.mark.parametrize("sort", ["-score", "name", "follow_up", "-follow_up", "-created"])
def test_keyset_pages_cover_every_row_once(client_as, org, pipelines, sort):
    now = timezone.now()
    for i in range(120):
        lead = services.lead_create(
            actor=org["sales1"],
            data={
                "full_name": f"Khách Tiềm Năng {i:03d}",
                # Half the leads have a follow-up (several at the same time), half none.
                "next_action_at": now + dt.timedelta(hours=i % 7) if i % 2 else None,
            },
        )
        Lead.objects.filter(pk=lead.pk).update(score=i % 5)
    client = client_as("sales1")
    seen, params = [], {"sort": sort}
    for _ in range(10):
        response = client.get(reverse("sales:lead_list"), params, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        page = response.context["page"]
        seen += [lead.pk for lead in page.rows]
        if not page.next_cursor:
            break
        params = {"sort": sort, "cursor": page.next_cursor}
    expected = 60 if "follow_up" in sort else 120
    assert len(seen) == len(set(seen)) == expected


def test_list_query_count_does_not_grow_with_rows(client_as, org, pipelines):
    def add(n, start):
        for i in range(start, start + n):
            services.lead_create(
                actor=org["sales1"],
                data={"full_name": f"Trần Văn {i}", "next_action": "Gọi", "next_action_at": timezone.now()},
                phones=[f"0912 000 {i:03d}"],
            )

    client = client_as("sales1")
    add(5, 0)
    client.get(reverse("sales:lead_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sales:lead_list"))
    add(45, 5)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("sales:lead_list"))
    assert len(many) == len(few) <= 20


# --- export -------------------------------------------------------------------------------------


def test_export_is_the_filtered_visible_list_and_formula_safe(client_as, make_lead):
    make_lead(full_name="=cmd|' /C calc'!A0", company="+1+1", campaign="@SUM(1+1)")
    make_lead(full_name="Đỗ Thị Lan", phones=["0988 222 333"])
    make_lead(owner="sales2", full_name="Lê Người Khác", phones=["0903 999 000"])
    client = client_as("sales1")
    response = client.get(reverse("sales:lead_export"), {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = [r[0] for r in rows[1:]]
    assert sorted(names) == sorted(["'=cmd|' /C calc'!A0", "Đỗ Thị Lan"])
    formula_row = next(r for r in rows if r[0].startswith("'="))
    assert "'+1+1" in formula_row and "'@SUM(1+1)" in formula_row
    response = client.get(reverse("sales:lead_export"), {"format": "csv", "q": "lan"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Đỗ Thị Lan" in text and "calc" not in text
    xlsx = client.get(reverse("sales:lead_export"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    assert client.get(reverse("sales:lead_export"), {"format": "pdf"}).status_code == 400
    assert client.get(reverse("sales:lead_export"), {"status": "bogus"}).status_code == 400


# --- create and the duplicate check -------------------------------------------------------------


def test_create_a_lead_through_the_form(client_as, org, hanoi, pipelines):
    from sencrm.customers.models import SourceChannel

    source = SourceChannel.objects.first()
    first_touch = timezone.now() - dt.timedelta(days=9)
    follow = timezone.now() + dt.timedelta(days=1)
    response = client_as("sales1").post(
        reverse("sales:lead_create"),
        _create_data(
            phones="0977 555 666\n+84 24 3825 1234",
            emails="huong@example.vn",
            company="Quán cà phê Gió",
            title="Chủ quán",
            province="Hà Nội",
            source=source.pk,
            campaign="Fanpage tháng 8 - điều hòa",
            first_touch_at=_local(first_touch),
            interest="Điều hòa 2 chiều 12.000 BTU",
            next_action="Gọi lại báo giá",
            next_action_at=_local(follow),
        ),
    )
    assert response.status_code == 302
    lead = Lead.objects.get(full_name="Vũ Thị Hương")
    assert response["Location"] == lead.get_absolute_url()
    assert sorted(lead.phones.values_list("e164", flat=True)) == ["+842438251234", "+84977555666"]
    assert lead.owner == org["sales1"] and lead.team.name == "Kinh doanh Hà Nội"
    assert _local(lead.first_touch_at) == _local(first_touch)
    assert lead.campaign == "Fanpage tháng 8 - điều hòa" and lead.source == source
    assert lead.next_action == "Gọi lại báo giá" and lead.province == hanoi


def test_create_by_round_robin_in_a_team(client_as, org, pipelines):
    from sencrm.users.models import Team

    team = Team.objects.get(name="Kinh doanh TP.HCM")
    form = client_as("admin").get(reverse("sales:lead_create")).content.decode()
    assert 'name="round_robin_team"' in form
    response = client_as("admin").post(reverse("sales:lead_create"), _create_data(round_robin_team=team.pk))
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.owner == org["sales2"] and lead.team == team
    # An "own records" role is not offered round robin, and cannot sneak it in.
    assert (
        'name="round_robin_team"'
        not in client_as("sales1").get(reverse("sales:lead_create")).content.decode()
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"phones": "12345"}, "12345"),
        ({"emails": "not-an-email"}, "not-an-email"),
        ({"first_touch_at": "2999-01-01T10:00"}, "future"),
        ({"first_touch_at": "31/02/2026 10:00"}, "first_touch_at"),
        ({"full_name": ""}, "full_name"),
        ({"status": "converted"}, "status"),
        ({"status": "unqualified"}, "unqualified"),
        ({"owner": "999999"}, "owner"),
    ],
)
def test_bad_input_on_create_is_a_400_that_keeps_what_was_typed(
    client_as, pipelines, extra, message, in_english
):
    in_english("sales1")
    data = _create_data(company="Công ty Gió Mát", **extra)
    response = client_as("sales1").post(reverse("sales:lead_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Công ty Gió Mát" in html and "invalid-feedback" in html
    assert message in html
    assert not Lead.objects.exists()


def test_a_sales_user_cannot_create_a_lead_for_another_team(client_as, org, pipelines):
    response = client_as("sales1").post(reverse("sales:lead_create"), _create_data(owner=org["sales2"].pk))
    assert response.status_code == 400 and not Lead.objects.exists()


def test_xss_in_name_company_and_interest_is_escaped(client_as, org, make_contact, pipelines):
    client = client_as("sales1")
    data = _create_data(full_name=XSS, company=SVG, interest=XSS, next_action=SVG)
    assert client.post(reverse("sales:lead_create"), data).status_code == 302
    lead = Lead.objects.get()
    for url in [
        reverse("sales:lead_list"),
        lead.get_absolute_url(),
        reverse("sales:lead_edit", args=[lead.pk]),
    ]:
        html = client.get(url).content.decode()
        assert "<img src=x onerror" not in html and "<svg/onload" not in html
    # The duplicate warning names the existing lead: escaped too.
    warned = client.post(reverse("sales:lead_create"), data)
    assert warned.status_code == 409
    assert "<img src=x onerror" not in warned.content.decode()


def test_duplicate_phone_in_another_format_warns_then_creates_anyway(client_as, make_contact, pipelines):
    existing = make_contact(full_name="Nguyễn Thị Ánh Tuyết", phones=["0912 345 678"])
    client = client_as("sales1")
    data = _create_data(full_name="Chị Tuyết", phones="+84 912 345 678")
    warned = client.post(reverse("sales:lead_create"), data)
    assert warned.status_code == 409
    html = warned.content.decode()
    assert 'data-testid="duplicate-warning"' in html and existing.get_absolute_url() in html
    assert f'value="contact:{existing.pk}"' in html  # "Log on this contact"
    assert 'name="create_anyway"' in html and not Lead.objects.exists()
    created = client.post(reverse("sales:lead_create"), {**data, "create_anyway": "on"})
    assert created.status_code == 302 and Lead.objects.count() == 1


def test_add_to_the_existing_lead_instead_of_a_duplicate(client_as, make_lead):
    existing = make_lead(full_name="Phạm Minh Khang", phones=["0903 111 222"], interest="Máy lọc không khí")
    client = client_as("sales1")
    data = _create_data(
        full_name="Anh Khang",
        phones="84903111222\n0977 000 111",
        emails="khang@example.vn",
        interest="Muốn lắp 2 máy điều hòa",
        campaign="Zalo OA",
    )
    warned = client.post(reverse("sales:lead_create"), data)
    assert warned.status_code == 409 and f'value="lead:{existing.pk}"' in warned.content.decode()
    response = client.post(
        reverse("sales:lead_create"), {**data, "create_anyway": "on", "link": f"lead:{existing.pk}"}
    )
    assert response.status_code == 302 and response["Location"] == existing.get_absolute_url()
    assert Lead.objects.count() == 1
    existing.refresh_from_db()
    assert sorted(existing.phones.values_list("e164", flat=True)) == ["+84903111222", "+84977000111"]
    assert list(existing.emails.values_list("address", flat=True)) == ["khang@example.vn"]
    assert "Máy lọc không khí" in existing.interest and "Muốn lắp 2 máy điều hòa" in existing.interest
    assert "Zalo OA" in existing.interest


def test_log_the_enquiry_on_the_existing_contact(client_as, make_contact, pipelines):
    contact = make_contact(full_name="Nguyễn Thị Ánh Tuyết", phones=["0912 345 678"])
    client = client_as("sales1")
    data = _create_data(full_name="Chị Tuyết", phones="0912345678", interest="Hỏi giá máy 18.000 BTU")
    response = client.post(reverse("sales:lead_create"), {**data, "link": f"contact:{contact.pk}"})
    assert response.status_code == 302 and response["Location"] == contact.get_absolute_url()
    assert not Lead.objects.exists()
    note = Activity.objects.get(contact=contact)
    assert (
        note.kind == "note"
        and "Hỏi giá máy 18.000 BTU" in note.description
        and "0912345678" in note.description
    )
    html = client.get(contact.get_absolute_url()).content.decode()
    assert "Chị Tuyết" in html


def test_linking_to_a_record_out_of_reach_is_refused(client_as, make_lead, make_contact):
    other_lead = make_lead(owner="sales2", full_name="Lê Người Khác", phones=["0903 999 000"])
    other_contact = make_contact(owner="sales2", full_name="Bí Mật", phones=["0966 000 111"])
    client = client_as("sales1")
    for link in [f"lead:{other_lead.pk}", f"contact:{other_contact.pk}", "lead:abc", "bogus"]:
        response = client.post(reverse("sales:lead_create"), _create_data(link=link))
        assert response.status_code == 400
    assert Lead.objects.count() == 1 and not Activity.objects.exists()
    assert other_lead.version == Lead.objects.get(pk=other_lead.pk).version


def test_duplicates_of_another_team_are_counted_not_named(client_as, make_contact, pipelines):
    make_contact(owner="sales2", full_name="Bí Mật Khác Đội", phones=["0912 345 678"])
    response = client_as("sales1").post(reverse("sales:lead_create"), _create_data(phones="0912345678"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Bí Mật Khác Đội" not in html and 'data-testid="duplicate-hidden"' in html


# --- detail ---------------------------------------------------------------------------------------


def test_detail_shows_fields_score_breakdown_origin_and_duplicates(client_as, org, make_lead, make_contact):
    make_contact(full_name="Khách Cũ", phones=["0903 111 222"])
    lead = services.lead_create(
        actor=org["sales1"],
        data={
            "full_name": "Phạm Minh Khang",
            "company": "Nhà hàng Sen",
            "campaign": "Fanpage tháng 8",
            "utm": {"utm_source": "facebook", "utm_campaign": "dieuhoa-t8"},
            "referrer": "javascript:alert(1)",
            "consents": {"zalo": {"granted": True, "source": "web form"}},
        },
        phones=["0903 111 222"],
        emails=["khang@gmail.com"],
    )
    consumers.run_consumer("lead_scoring")
    lead.refresh_from_db()
    assert lead.score_details
    html = client_as("sales1").get(lead.get_absolute_url()).content.decode()
    assert 'href="tel:+84903111222"' in html and "mailto:khang@gmail.com" in html
    for _id, name, _points in lead.score_details:
        assert name in html
    assert f">{lead.score}<" in html
    assert "dieuhoa-t8" in html and "Zalo" in html
    assert 'href="javascript:' not in html  # a referring page is shown, never a link
    assert 'data-testid="possible-duplicates"' in html and "Khách Cũ" in html
    assert 'name="lead"' in html  # the "log an activity" forms carry the lead


def test_log_an_activity_on_the_lead_shows_on_its_journey(client_as, make_lead):
    lead = make_lead()
    client = client_as("sales1")
    response = client.post(
        reverse("activities:activity_create"),
        {
            "kind": "call",
            "subject": "Khách hỏi lịch khảo sát",
            "lead": lead.pk,
            "next": lead.get_absolute_url(),
        },
    )
    assert response.status_code == 302
    assert Activity.objects.get().lead == lead
    html = client.get(lead.get_absolute_url()).content.decode()
    assert "Khách hỏi lịch khảo sát" in html and 'data-event-type="activity.created"' in html
    # On a lead the user may not see: refused, nothing written.
    other = make_lead(owner="sales2", full_name="Lê Người Khác", phones=["0903 999 000"])
    response = client.post(
        reverse("activities:activity_create"), {"kind": "note", "subject": "x", "lead": other.pk}
    )
    assert response.status_code == 400 and Activity.objects.count() == 1


def test_lead_timeline_pages_and_filters(client_as, org, make_lead):
    lead = make_lead()
    for i in range(30):
        lead = services.lead_update(
            lead, actor=org["sales1"], changes={"title": f"t{i}"}, version=lead.version
        )
    client = client_as("sales1")
    page = client.get(lead.get_absolute_url())
    before = page.context["next_before"]
    assert before and reverse("sales:lead_timeline", args=[lead.pk]) in page.content.decode()
    older = client.get(reverse("sales:lead_timeline", args=[lead.pk]), {"before": before})
    assert older.status_code == 200 and 'data-event-type="lead.created"' in older.content.decode()
    assert client.get(reverse("sales:lead_timeline", args=[lead.pk]), {"before": "x1"}).status_code == 400
    only = client.get(reverse("sales:lead_timeline", args=[lead.pk]), {"type": "activity.created"})
    assert 'data-event-type="lead.updated"' not in only.content.decode()


def test_the_contact_timeline_still_pages_by_its_own_url(client_as, org, make_contact):
    from sencrm.customers import services as customer_services

    c = make_contact()
    for i in range(30):
        c = customer_services.contact_update(
            c, actor=org["sales1"], changes={"title": f"t{i}"}, version=c.version
        )
    html = client_as("sales1").get(c.get_absolute_url()).content.decode()
    assert reverse("customers:timeline", args=["contact", c.pk]) + "?before=" in html


# --- follow-up, status, assignment ----------------------------------------------------------------


def test_follow_up_is_edited_inline_and_shows_in_my_day(client_as, org, make_lead):
    lead = make_lead()
    client = client_as("sales1")
    partial = client.get(reverse("sales:lead_follow_up", args=[lead.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert 'data-testid="follow-up-form"' in partial.content.decode()
    page = client.get(reverse("sales:lead_follow_up", args=[lead.pk]))  # without JavaScript: the whole page
    assert page.status_code == 200 and 'data-testid="follow-up-form"' in page.content.decode()
    when = timezone.localtime() - dt.timedelta(hours=1)
    response = client.post(
        reverse("sales:lead_follow_up", args=[lead.pk]),
        {
            "next_action": "Gọi lại 15:00 thứ Năm",
            "next_action_at": when.strftime(LOCAL),
            "version": lead.version,
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.next_action == "Gọi lại 15:00 thứ Năm" and lead.version == 2
    html = client.get(lead.get_absolute_url()).content.decode()
    assert "Gọi lại 15:00 thứ Năm" in html and "text-danger" in html
    my_day = client.get(reverse("activities:my_day")).content.decode()
    assert f'data-testid="lead-follow-up-{lead.pk}"' in my_day and 'data-overdue="true"' in my_day
    assert "Gọi lại 15:00 thứ Năm" in my_day and lead.get_absolute_url() in my_day
    # Someone else's follow-ups are not in my day.
    assert (
        f"lead-follow-up-{lead.pk}"
        not in client_as("manager").get(reverse("activities:my_day")).content.decode()
    )


def test_follow_up_bad_input_and_stale_version(client_as, org, make_lead):
    lead = make_lead()
    client = client_as("sales1")
    url = reverse("sales:lead_follow_up", args=[lead.pk])
    for data in [
        {"next_action": "", "next_action_at": "2026-08-10T15:00", "version": 1},
        {"next_action": "Gọi", "next_action_at": "hôm nay", "version": 1},
        {"next_action": "Gọi", "version": "x"},
        {"next_action": "x" * 201, "version": 1},
    ]:
        assert client.post(url, data).status_code == 400
    services.lead_update(lead, actor=org["manager"], changes={"next_action": "Gửi báo giá"}, version=1)
    stale = client.post(url, {"next_action": "Gọi lại", "next_action_at": "", "version": 1})
    assert stale.status_code == 409
    lead.refresh_from_db()
    assert lead.next_action == "Gửi báo giá"


def test_status_change_needs_a_reason_for_unqualified(client_as, make_lead):
    lead = make_lead()
    client = client_as("sales1")
    url = reverse("sales:lead_status", args=[lead.pk])
    assert client.post(url, {"status": "unqualified", "version": 1}).status_code == 400
    assert client.post(url, {"status": "converted", "version": 1}).status_code == 400
    response = client.post(url, {"status": "unqualified", "unqualified_reason": "Chỉ hỏi giá", "version": 1})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "unqualified" and lead.unqualified_reason == "Chỉ hỏi giá"
    assert client.post(url, {"status": "qualified", "version": lead.version}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == "qualified" and lead.unqualified_reason == ""


def test_assign_by_round_robin_and_to_an_owner(client_as, org, make_lead):
    from sencrm.users.models import Team

    lead = make_lead()
    hanoi_team = Team.objects.get(name="Kinh doanh Hà Nội")
    hcm_team = Team.objects.get(name="Kinh doanh TP.HCM")
    url = reverse("sales:lead_assign", args=[lead.pk])
    response = client_as("admin").post(url, {"team": hcm_team.pk, "version": 1})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == org["sales2"] and lead.team == hcm_team
    response = client_as("admin").post(url, {"owner": org["sales1"].pk, "version": lead.version})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == org["sales1"]
    # The manager hands out leads in turn within their own team.
    first = client_as("manager").post(url, {"team": hanoi_team.pk, "version": lead.version})
    assert first.status_code == 302
    lead.refresh_from_db()
    assert lead.owner in (org["manager"], org["sales1"]) and lead.team == hanoi_team
    # Neither both nor none; no team of someone else; stale version is a conflict.
    manager = client_as("manager")
    assert manager.post(url, {"version": lead.version}).status_code == 400
    assert (
        manager.post(
            url, {"owner": org["sales1"].pk, "team": hanoi_team.pk, "version": lead.version}
        ).status_code
        == 400
    )
    assert manager.post(url, {"team": hcm_team.pk, "version": lead.version}).status_code == 400
    assert manager.post(url, {"owner": org["sales2"].pk, "version": lead.version}).status_code == 400
    # At version 1 the owner was sales1; the owner changed since: a conflict, not an overwrite.
    assert manager.post(url, {"owner": org["manager"].pk, "version": 1}).status_code == 409
    lead.refresh_from_db()
    assert lead.team == hanoi_team


# --- edit and delete ------------------------------------------------------------------------------


def test_edit_and_stale_edit(client_as, org, make_lead):
    lead = make_lead(company="Cũ")
    client = client_as("sales1")
    form = client.get(reverse("sales:lead_edit", args=[lead.pk])).content.decode()
    assert "0903 111 222" in form
    data = {
        "full_name": lead.full_name,
        "phones": "0903 111 222",
        "company": "Mới",
        "status": "contacted",
        "version": 1,
    }
    assert client.post(reverse("sales:lead_edit", args=[lead.pk]), data).status_code == 302
    lead.refresh_from_db()
    assert lead.company == "Mới" and lead.status == "contacted"
    services.lead_update(lead, actor=org["manager"], changes={"company": "Của quản lý"}, version=lead.version)
    stale = client.post(
        reverse("sales:lead_edit", args=[lead.pk]), {**data, "company": "Lại đổi", "version": 2}
    )
    assert stale.status_code == 409
    lead.refresh_from_db()
    assert lead.company == "Của quản lý"


def test_delete_moves_to_the_trash_and_checks_the_version(client_as, org, make_lead):
    lead = make_lead()
    client = client_as("sales1")
    services.lead_update(lead, actor=org["manager"], changes={"company": "X"}, version=1)
    assert client.post(reverse("sales:lead_delete", args=[lead.pk]), {"version": 1}).status_code == 409
    assert Lead.objects.filter(pk=lead.pk).exists()
    response = client.post(reverse("sales:lead_delete", args=[lead.pk]), {"version": 2})
    assert response.status_code == 302 and response["Location"] == reverse("sales:lead_list")
    assert not Lead.objects.filter(pk=lead.pk).exists() and Lead.all_objects.get(pk=lead.pk).is_deleted
    assert client.get(lead.get_absolute_url()).status_code == 404


def test_csrf_is_enforced(org, make_lead):
    lead = make_lead()
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["sales1"])
    before = _state(lead)
    for url, data in [
        (reverse("sales:lead_delete", args=[lead.pk]), {}),
        (reverse("sales:lead_follow_up", args=[lead.pk]), {"next_action": "x", "version": 1}),
        (reverse("sales:lead_create"), _create_data()),
        (reverse("sales:lead_convert", args=[lead.pk]), {"contact": "new", "account": "none"}),
    ]:
        assert client.post(url, data).status_code == 403
    assert _state(lead) == before and Lead.objects.count() == 1


# --- conversion -----------------------------------------------------------------------------------


def test_convert_to_a_new_contact_account_and_opportunity(client_as, org, make_lead, retail):
    lead = make_lead(company="Nhà hàng Sen Vàng", campaign="Fanpage tháng 8", interest="3 máy âm trần")
    client = client_as("sales1")
    services.lead_update(lead, actor=org["sales1"], changes={"title": "Chủ nhà hàng"}, version=1)
    page = client.get(reverse("sales:lead_convert", args=[lead.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'value="new"' in html and "Nhà hàng Sen Vàng" in html
    response = client.post(
        reverse("sales:lead_convert", args=[lead.pk]),
        {
            "contact": "new",
            "account": "new",
            "create_opportunity": "on",
            "opportunity_name": "Điều hòa nhà hàng Sen Vàng",
            "amount": "150.000.000",
            "expected_close_date": "2026-12-31",
            "pipeline": retail.pk,
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.is_converted
    contact, account, opp = lead.converted_contact, lead.converted_account, lead.converted_opportunity
    assert response["Location"] == contact.get_absolute_url()
    assert account.name == "Nhà hàng Sen Vàng" and contact.account == account
    assert opp.amount == Decimal(150_000_000) and opp.expected_close_date == dt.date(2026, 12, 31)
    assert opp.pipeline == retail and opp.contact == contact
    # The contact's journey now holds the lead's history.
    html = client.get(contact.get_absolute_url()).content.decode()
    assert 'data-event-type="lead.created"' in html and 'data-event-type="lead.converted"' in html
    # The lead's page says what it became, and shows its own history.
    html = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="converted"' in html and contact.get_absolute_url() in html
    assert account.get_absolute_url() in html and opp.get_absolute_url() in html
    assert 'data-testid="audit-trail"' in html and 'data-testid="convert"' not in html
    # Twice refused, with a clear message; nothing new created.
    again = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"contact": "new", "account": "new"})
    assert again.status_code == 400 and 'data-testid="lead-message"' in again.content.decode()
    assert client.get(reverse("sales:lead_convert", args=[lead.pk])).status_code == 200
    assert Contact.objects.count() == 1 and Opportunity.objects.count() == 1
    # A converted lead is no longer edited here (its data lives on the contact).
    assert (
        client.post(
            reverse("sales:lead_edit", args=[lead.pk]), {"full_name": "x", "status": "new"}
        ).status_code
        == 400
    )


def test_convert_into_an_existing_contact(client_as, make_lead, make_contact):
    contact = make_contact(full_name="Phạm Minh Khang", phones=["0903 111 222"])
    lead = make_lead(company="", emails=["khang@example.vn"])
    client = client_as("sales1")
    page = client.get(reverse("sales:lead_convert", args=[lead.pk])).content.decode()
    assert f'data-testid="contact-option-{contact.pk}"' in page  # suggested: same phone
    preset = client.get(
        reverse("sales:lead_convert", args=[lead.pk]), {"contact": contact.pk}
    ).content.decode()
    assert f'value="{contact.pk}" checked' in preset
    found = client.get(
        reverse("sales:lead_convert_search", args=[lead.pk]), {"kind": "contact", "q": "khang"}
    )
    assert f'value="{contact.pk}"' in found.content.decode()
    response = client.post(
        reverse("sales:lead_convert", args=[lead.pk]), {"contact": str(contact.pk), "account": "none"}
    )
    assert response.status_code == 302 and response["Location"] == contact.get_absolute_url()
    assert Contact.objects.count() == 1
    assert "khang@example.vn" in contact.emails.values_list("address", flat=True)


def test_convert_search_only_finds_what_the_user_may_see(client_as, make_lead, make_contact):
    make_contact(owner="sales2", full_name="Khang Đội Khác", phones=["0966 000 111"])
    lead = make_lead()
    client = client_as("sales1")
    found = client.get(
        reverse("sales:lead_convert_search", args=[lead.pk]), {"kind": "contact", "q": "khang"}
    )
    assert "Khang Đội Khác" not in found.content.decode()
    assert (
        client.get(reverse("sales:lead_convert_search", args=[lead.pk]), {"kind": "user"}).status_code == 400
    )


def test_convert_bad_input_is_a_400_with_the_message(client_as, make_lead, make_contact, retail):
    other = make_contact(owner="sales2", full_name="Bí Mật", phones=["0966 000 111"])
    lead = make_lead(company="Quán Gió")
    client = client_as("sales1")
    url = reverse("sales:lead_convert", args=[lead.pk])
    deal = {"contact": "new", "account": "new", "create_opportunity": "on", "pipeline": retail.pk}
    cases = [
        {"contact": str(other.pk), "account": "none"},
        {"contact": "new", "account": "999999"},
        {"contact": "bogus", "account": "none"},
        {"contact": "new"},
        {**deal, "amount": "abc"},
        {**deal, "amount": "-5"},
        {**deal, "amount": "1" * 20},
        {**deal, "expected_close_date": "31/02/2026"},
        {**deal, "pipeline": "999999"},
    ]
    for data in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert "alert" in response.content.decode() or "invalid-feedback" in response.content.decode()
    lead.refresh_from_db()
    assert not lead.is_converted and Contact.objects.count() == 1 and not Opportunity.objects.exists()


def test_converted_records_the_viewer_may_not_see_are_not_named(client_as, org, make_lead, make_contact):
    hidden = make_contact(owner="manager", full_name="Khách Riêng Của Quản Lý", phones=["0966 000 111"])
    lead = make_lead()
    response = client_as("manager").post(
        reverse("sales:lead_convert", args=[lead.pk]), {"contact": str(hidden.pk), "account": "none"}
    )
    assert response.status_code == 302
    html = client_as("sales1").get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="converted"' in html and "Khách Riêng Của Quản Lý" not in html


# --- the access matrix ----------------------------------------------------------------------------

OK, FORBIDDEN, MISSING = "ok", 403, 404
VIEWS = ["list", "detail", "create", "edit", "delete", "convert", "export", "assign", "follow_up"]
ALL_OK = dict.fromkeys(VIEWS, OK)
NO_LEADS = dict.fromkeys(VIEWS, FORBIDDEN)
EXPECTED = {
    "admin": ALL_OK,
    "manager": ALL_OK,
    "sales1": ALL_OK,
    "sales2": {**dict.fromkeys(VIEWS, MISSING), "list": OK, "create": OK, "export": OK},
    "marketing": {**dict.fromkeys(VIEWS, FORBIDDEN), "list": OK, "detail": OK, "create": OK},
    "care": NO_LEADS,
    "tech": NO_LEADS,
    "board": NO_LEADS,
}


def _call(client, view, lead, org):
    pk = [lead.pk]
    if view == "list":
        return client.get(reverse("sales:lead_list"))
    if view == "detail":
        return client.get(reverse("sales:lead_detail", args=pk))
    if view == "create":
        return client.get(reverse("sales:lead_create"))
    if view == "edit":
        return client.get(reverse("sales:lead_edit", args=pk))
    if view == "delete":
        return client.post(reverse("sales:lead_delete", args=pk), {"version": lead.version})
    if view == "convert":
        return client.get(reverse("sales:lead_convert", args=pk))
    if view == "export":
        return client.get(reverse("sales:lead_export"), {"format": "csv"})
    if view == "assign":
        return client.post(
            reverse("sales:lead_assign", args=pk), {"owner": org["sales1"].pk, "version": lead.version}
        )
    when = (timezone.localtime() + dt.timedelta(days=1)).strftime(LOCAL)
    return client.post(
        reverse("sales:lead_follow_up", args=pk),
        {"next_action": "Gọi lại", "next_action_at": when, "version": 1},
    )


@pytest.mark.parametrize("username", list(EXPECTED))
@pytest.mark.parametrize("view", VIEWS)
def test_access_matrix(client_as, org, make_lead, username, view):
    lead = make_lead(owner="sales1")
    before = _state(lead)
    response = _call(client_as(username), view, lead, org)
    expected = EXPECTED[username][view]
    if expected == OK:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == expected
        assert _state(lead) == before


@pytest.mark.parametrize("username", ["sales2", "marketing", "care", "board"])
def test_refused_writes_change_nothing(client_as, org, make_lead, retail, username):
    lead = make_lead(owner="sales1", company="Quán Gió")
    before = _state(lead)
    client = client_as(username)
    pk = [lead.pk]
    data = {"full_name": "Đổi Tên", "phones": "0903 111 222", "status": "qualified", "version": 1}
    responses = [
        client.post(reverse("sales:lead_edit", args=pk), data),
        client.post(reverse("sales:lead_convert", args=pk), {"contact": "new", "account": "new"}),
        client.post(reverse("sales:lead_status", args=pk), {"status": "qualified", "version": 1}),
        client.get(reverse("sales:lead_follow_up", args=pk)),
        client.get(reverse("sales:lead_timeline", args=pk)),
        client.get(reverse("sales:lead_convert_search", args=pk), {"q": "a"}),
    ]
    for response in responses[:3]:
        assert response.status_code in (403, 404)
    assert responses[3].status_code in (403, 404)
    if username != "marketing":
        assert responses[4].status_code in (403, 404)
    assert responses[5].status_code in (403, 404)
    assert _state(lead) == before
    assert not Contact.objects.exists() and not Account.objects.exists() and not Opportunity.objects.exists()


# --- custom fields --------------------------------------------------------------------------------


def test_custom_fields_on_leads(client_as, org, pipelines):
    from django.contrib.contenttypes.models import ContentType

    from sencrm.customfields.services import custom_field_save

    custom_field_save(
        actor=org["admin"],
        content_type=ContentType.objects.get_for_model(Lead),
        key="budget_band",
        label=XSS,
        type="choice",
        options=["Dưới 20 triệu", "Trên 20 triệu"],
        show_in_list=True,
    )
    client = client_as("sales1")
    form = client.get(reverse("sales:lead_create")).content.decode()
    assert 'name="cf_budget_band"' in form and "<img src=x onerror" not in form
    bad = client.post(reverse("sales:lead_create"), _create_data(cf_budget_band="Một tỷ"))
    assert bad.status_code == 400 and not Lead.objects.exists()
    assert (
        client.post(reverse("sales:lead_create"), _create_data(cf_budget_band="Trên 20 triệu")).status_code
        == 302
    )
    lead = Lead.objects.get()
    assert lead.custom_field_data == {"budget_band": "Trên 20 triệu"}
    for url in [lead.get_absolute_url(), reverse("sales:lead_list")]:
        html = client.get(url).content.decode()
        assert "Trên 20 triệu" in html and "<img src=x onerror" not in html
    html = client.get(reverse("sales:lead_list"), {"cf_budget_band": "Dưới 20 triệu"}).content.decode()
    assert 'data-testid="no-rows"' in html
    export = client.get(reverse("sales:lead_export"), {"format": "csv"})
    assert "Trên 20 triệu" in b"".join(export.streaming_content).decode("utf-8-sig")
