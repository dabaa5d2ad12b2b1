"""The customer pages: lists, detail with journey, forms, duplicate warning, caller ID, bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sencrm.customers import services
from sencrm.customers.models import Contact

XSS = '"><img src=x onerror=alert(1)>'


def test_contact_list_shows_only_what_the_role_may_see(client_as, make_contact):
    make_contact(full_name="Trần Văn Mình")
    make_contact(owner="sales2", full_name="Lê Thị Của Người Khác")
    html = client_as("sales1").get(reverse("customers:contact_list")).content.decode()
    assert "Trần Văn Mình" in html and "Của Người Khác" not in html
    html = client_as("manager").get(reverse("customers:contact_list")).content.decode()
    assert "Trần Văn Mình" in html and "Của Người Khác" not in html
    html = client_as("care").get(reverse("customers:contact_list")).content.decode()
    assert "Trần Văn Mình" in html and "Của Người Khác" in html
    assert (
        client_as("board").get(reverse("customers:contact_list")).content.decode().count("<tbody><tr>") <= 1
    )


def test_list_search_filter_and_sort(client_as, make_contact):
    make_contact(full_name="Nguyễn Thị Ánh Tuyết", lifecycle_stage="customer")
    make_contact(full_name="Đặng Văn An", phones=["0988 111 222"], lifecycle_stage="lead")
    client = client_as("sales1")
    html = client.get(reverse("customers:contact_list"), {"q": "tuyet"}).content.decode()
    assert "Ánh Tuyết" in html and "Đặng Văn An" not in html
    html = client.get(reverse("customers:contact_list"), {"lifecycle_stage": "lead"}).content.decode()
    assert "Đặng Văn An" in html and "Ánh Tuyết" not in html
    html = client.get(reverse("customers:contact_list"), {"sort": "name"}).content.decode()
    assert html.index("Đặng Văn An") < html.index("Ánh Tuyết")  # by given name: An before Tuyết
    html = client.get(reverse("customers:contact_list"), {"sort": "-name"}).content.decode()
    assert html.index("Ánh Tuyết") < html.index("Đặng Văn An")


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "name;DROP TABLE"},
        {"sort": "(SELECT 1)"},
        {"lifecycle_stage": "bogus"},
        {"province": "atlantis"},
        {"owner": "abc"},
        {"cursor": "forged"},
        {"cursor": "eyJhIjoxfQ:1abc:xyz"},
    ],
)
def test_bad_list_parameters_answer_400_with_a_message(client_as, make_contact, params):
    make_contact()
    response = client_as("sales1").get(reverse("customers:contact_list"), params)
    assert response.status_code == 400
    assert 'data-testid="list-error"' in response.content.decode()


def test_keyset_pages_cover_every_row_once(client_as, org):
    for i in range(120):
        services.contact_create(actor=org["sales1"], data={"full_name": f"Khách Hàng Số {i:03d}"})
    client = client_as("sales1")
    seen, url, params = [], reverse("customers:contact_list"), {"sort": "name"}
    for _ in range(5):
        response = client.get(url, params, HTTP_HX_REQUEST="true")
        rows = response.context["page"].rows
        seen += [c.pk for c in rows]
        if not response.context["page"].next_cursor:
            break
        params = {"sort": "name", "cursor": response.context["page"].next_cursor}
    assert len(seen) == len(set(seen)) == 120


def test_list_query_count_does_not_grow_with_rows(client_as, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n, start):
        for i in range(start, start + n):
            services.contact_create(
                actor=org["sales1"], data={"full_name": f"Trần Văn {i}"}, phones=[f"0912 000 {i:03d}"]
            )

    client = client_as("sales1")
    add(5, 0)
    client.get(reverse("customers:contact_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("customers:contact_list"))
    add(45, 5)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("customers:contact_list"))
    assert len(many) == len(few) <= 20


def test_detail_of_another_teams_contact_is_404(client_as, make_contact):
    c = make_contact(owner="sales2")
    client = client_as("sales1")
    for name in ["contact_detail", "contact_edit"]:
        assert client.get(reverse(f"customers:{name}", args=[c.pk])).status_code == 404
    assert client.post(reverse("customers:contact_delete", args=[c.pk])).status_code == 404
    assert client.get(reverse("customers:timeline", args=["contact", c.pk])).status_code == 404
    assert Contact.objects.filter(pk=c.pk).exists()


def test_detail_shows_the_journey_newest_first(client_as, org, make_contact):
    c = make_contact()
    services.contact_update(c, actor=org["sales1"], changes={"title": "Chủ quán cà phê"}, version=1)
    html = client_as("sales1").get(reverse("customers:contact_detail", args=[c.pk])).content.decode()
    assert html.index("Chủ quán cà phê") < html.index('data-event-type="contact.created"')


def test_timeline_query_count_is_constant(client_as, org, make_contact, django_assert_max_num_queries):
    c = make_contact()
    for i in range(40):
        c = services.contact_update(c, actor=org["sales1"], changes={"title": f"t{i}"}, version=c.version)
    client = client_as("sales1")
    first = client.get(reverse("customers:timeline", args=["contact", c.pk]))
    before = first.context["next_before"]
    with django_assert_max_num_queries(8):
        client.get(reverse("customers:timeline", args=["contact", c.pk]), {"before": before})
    assert (
        client.get(reverse("customers:timeline", args=["contact", c.pk]), {"before": "x1"}).status_code == 400
    )
    assert client.get(reverse("customers:timeline", args=["lead", c.pk])).status_code == 404


def test_create_contact_through_the_form(client_as, org, hanoi):
    client = client_as("sales1")
    data = {
        "full_name": "Phạm Minh Đức",
        "phones": "0903 123 456\n+84 24 3825 1234",
        "emails": "duc@example.vn",
        "province": "Hà Nội",
        "lifecycle_stage": "lead",
        "consent_zalo": "on",
        "consent_source": "Zalo",
    }
    response = client.post(reverse("customers:contact_create"), data)
    assert response.status_code == 302
    c = Contact.objects.get(full_name="Phạm Minh Đức")
    assert c.owner == org["sales1"] and c.team.name == "Kinh doanh Hà Nội"
    assert sorted(c.phones.values_list("e164", flat=True)) == ["+842438251234", "+84903123456"]
    assert c.consents.get(channel="zalo").granted


def test_bad_phone_in_the_form_keeps_what_was_typed(client_as):
    client = client_as("sales1")
    response = client.post(
        reverse("customers:contact_create"),
        {"full_name": "Phạm Minh Đức", "phones": "12345", "lifecycle_stage": "lead"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Số điện thoại không hợp lệ" in html or "12345" in html
    assert "Phạm Minh Đức" in html and not Contact.objects.exists()


def test_duplicate_phone_warns_then_creates_anyway(client_as, make_contact):
    existing = make_contact(full_name="Nguyễn Thị Ánh Tuyết", phones=["0912 345 678"])
    client = client_as("sales1")
    data = {"full_name": "Chị Tuyết", "phones": "+84912345678", "lifecycle_stage": "lead"}
    warned = client.post(reverse("customers:contact_create"), data)
    assert warned.status_code == 409
    html = warned.content.decode()
    assert 'data-testid="duplicate-warning"' in html and existing.get_absolute_url() in html
    assert Contact.objects.count() == 1
    data["create_anyway"] = "on"
    assert client.post(reverse("customers:contact_create"), data).status_code == 302
    assert Contact.objects.count() == 2


def test_duplicate_of_another_team_is_mentioned_without_details(client_as, make_contact):
    make_contact(owner="sales2", full_name="Bí Mật Khác Đội", phones=["0912 345 678"])
    response = client_as("sales1").post(
        reverse("customers:contact_create"),
        {"full_name": "Khách Mới", "phones": "0912345678", "lifecycle_stage": "lead"},
    )
    html = response.content.decode()
    assert response.status_code == 409 and "Bí Mật Khác Đội" not in html


def test_stale_edit_is_refused(client_as, org, make_contact):
    c = make_contact()
    services.contact_update(c, actor=org["manager"], changes={"title": "Giám đốc"}, version=1)
    response = client_as("sales1").post(
        reverse("customers:contact_edit", args=[c.pk]),
        {
            "full_name": c.full_name,
            "title": "Kế toán",
            "lifecycle_stage": "lead",
            "version": 1,
            "phones": "0912345678",
        },
    )
    assert response.status_code == 409
    c.refresh_from_db()
    assert c.title == "Giám đốc"


def test_sales_cannot_assign_to_another_team_through_the_form(client_as, org, make_contact):
    c = make_contact()
    response = client_as("sales1").post(
        reverse("customers:contact_edit", args=[c.pk]),
        {"full_name": c.full_name, "lifecycle_stage": "lead", "version": 1, "owner": org["sales2"].pk},
    )
    assert response.status_code == 400
    c.refresh_from_db()
    assert c.owner == org["sales1"]


def test_names_are_escaped(client_as, org):
    c = services.contact_create(actor=org["sales1"], data={"full_name": XSS, "title": XSS, "notes": XSS})
    client = client_as("sales1")
    for url in [reverse("customers:contact_list"), c.get_absolute_url(), reverse("core:search") + "?q=img"]:
        html = client.get(url).content.decode()
        assert "<img src=x onerror" not in html


def test_global_search_finds_contacts_and_accounts(client_as, org, make_contact):
    make_contact(full_name="Nguyễn Thị Ánh Tuyết")
    services.account_create(
        actor=org["sales1"], data={"name": "Khách sạn Ánh Dương", "tax_code": "0101234567"}
    )
    html = client_as("sales1").get(reverse("core:search"), {"q": "anh"}).content.decode()
    assert "Nguyễn Thị Ánh Tuyết" in html and "Khách sạn Ánh Dương" in html
    assert "Ánh Tuyết" not in client_as("sales2").get(reverse("core:search"), {"q": "anh"}).content.decode()


def test_caller_id_page(client_as, make_contact):
    make_contact(owner="sales2", full_name="Lê Thị Gọi Đến", phones=["0966 123 456"])
    html = (
        client_as("care").get(reverse("customers:caller_id"), {"phone": "+84 966 123 456"}).content.decode()
    )
    assert "Lê Thị Gọi Đến" in html
    html = client_as("sales1").get(reverse("customers:caller_id"), {"phone": "0966123456"}).content.decode()
    assert "Lê Thị Gọi Đến" not in html and 'data-testid="caller-unknown"' in html
    assert client_as("care").get(reverse("customers:caller_id"), {"phone": "abc"}).status_code == 400


def test_account_pages(client_as, org, make_contact):
    client = client_as("sales1")
    response = client.post(
        reverse("customers:account_create"),
        {
            "name": "Khách sạn Sông Hồng",
            "tax_code": "0101234567",
            "lifecycle_stage": "prospect",
            "phones": "024 3825 1234",
            "website": "https://songhong.vn",
        },
    )
    assert response.status_code == 302
    account = org["sales1"].__class__.objects.none()
    from sencrm.customers.models import Account

    account = Account.objects.get(name="Khách sạn Sông Hồng")
    make_contact(full_name="Trần Quản Lý", account=account)
    html = client.get(account.get_absolute_url()).content.decode()
    assert "Trần Quản Lý" in html and "0101234567" in html
    bad = client.post(
        reverse("customers:account_create"), {"name": "X", "tax_code": "12", "lifecycle_stage": "lead"}
    )
    assert bad.status_code == 400
    assert client_as("sales2").get(account.get_absolute_url()).status_code == 404


def test_timeline_filters_by_type(client_as, org, make_contact):
    from sencrm.activities import services as activity_services

    c = make_contact()
    activity_services.activity_create(
        actor=org["sales1"], data={"kind": "note", "subject": "Ghi chú riêng", "contact": c}
    )
    services.contact_update(c, actor=org["sales1"], changes={"title": "Chủ nhà"}, version=1)
    client = client_as("sales1")
    page = client.get(c.get_absolute_url()).content.decode()
    assert 'data-testid="timeline-filter"' in page
    only_activities = client.get(
        reverse("customers:timeline", args=["contact", c.pk]), {"type": "activity.created,activity.updated"}
    ).content.decode()
    assert "Ghi chú riêng" in only_activities and "Chủ nhà" not in only_activities
    only_changes = client.get(
        reverse("customers:timeline", args=["contact", c.pk]), {"type": "contact.created,contact.updated"}
    ).content.decode()
    assert "Ghi chú riêng" not in only_changes and "Chủ nhà" in only_changes


def test_more_sorts_and_filters(client_as, org, make_contact):
    a = make_contact(full_name="Một Người", lifecycle_stage="prospect", gender="female")
    b = make_contact(
        full_name="Hai Người", phones=["0988 000 999"], lifecycle_stage="customer", gender="male"
    )
    client = client_as("sales1")
    for sort in ["stage", "-stage", "owner", "-owner", "updated", "-updated", "created", "-created"]:
        assert client.get(reverse("customers:contact_list"), {"sort": sort}).status_code == 200
    html = client.get(reverse("customers:contact_list"), {"sort": "stage"}).content.decode()
    assert html.index(b.full_name) < html.index(a.full_name)  # customer < prospect
    html = client.get(reverse("customers:contact_list"), {"gender": "female"}).content.decode()
    assert a.full_name in html and b.full_name not in html
    today = a.created_at.date().isoformat()
    html = client.get(reverse("customers:contact_list"), {"created_after": today}).content.decode()
    assert a.full_name in html
    assert client.get(reverse("customers:contact_list"), {"created_after": "31/02/2026"}).status_code == 400


def test_paging_by_owner_walks_every_row(client_as, org):
    for i in range(60):
        services.contact_create(
            actor=org["manager"],
            data={"full_name": f"Khách {i}"},
            owner=org["sales1"] if i % 2 else org["manager"],
        )
    client = client_as("manager")
    seen, params = [], {"sort": "owner"}
    while True:
        response = client.get(reverse("customers:contact_list"), params, HTTP_HX_REQUEST="true")
        page = response.context["page"]
        seen += [c.pk for c in page.rows]
        if not page.next_cursor:
            break
        params = {"sort": "owner", "cursor": page.next_cursor}
    assert len(seen) == len(set(seen)) == 60
