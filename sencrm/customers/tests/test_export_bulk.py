"""Export of the filtered list (CSV and XLSX, through the gate, formula-safe) and bulk actions."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sencrm.customers import services
from sencrm.customers.models import Contact, CustomerGroup, Tag
from sencrm.events.models import Event, Notification


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_csv_export_is_the_filtered_scoped_list(client_as, make_contact):
    make_contact(full_name="Trần Văn Xuất", lifecycle_stage="customer", phones=["0912 111 222"])
    make_contact(full_name="Lê Văn Lọc", lifecycle_stage="lead", phones=["0912 111 333"])
    make_contact(
        owner="sales2", full_name="Phạm Khác Đội", lifecycle_stage="customer", phones=["0912 111 444"]
    )
    response = client_as("sales1").get(reverse("customers:contact_export"), {"lifecycle_stage": "customer"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    rows = csv_rows(response)
    assert rows[0][0] == "Họ và tên" or rows[0][0] == "Full name"
    assert [r[0] for r in rows[1:]] == ["Trần Văn Xuất"]
    assert rows[1][1] == "0912 111 222"


def test_formulas_are_neutralised(client_as, org):
    services.contact_create(
        actor=org["sales1"], data={"full_name": "=cmd|' /C calc'!A0", "title": "@SUM(1+1)", "street": "-2+3"}
    )
    rows = csv_rows(client_as("sales1").get(reverse("customers:contact_export")))
    row = rows[1]
    assert row[0] == "'=cmd|' /C calc'!A0" and row[8] == "'@SUM(1+1)" and row[3] == "'-2+3"


def test_xlsx_export(client_as, make_contact):
    make_contact(full_name="Nguyễn Thị Ánh Tuyết")
    response = client_as("sales1").get(reverse("customers:contact_export"), {"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[1][0] == "Nguyễn Thị Ánh Tuyết"


def test_export_needs_the_export_right(client_as, make_contact):
    make_contact()
    assert client_as("care").get(reverse("customers:contact_export")).status_code == 403  # view-only role
    assert client_as("board").get(reverse("customers:contact_export")).status_code == 403
    assert client_as("sales1").get(reverse("customers:contact_export"), {"format": "pdf"}).status_code == 400
    assert (
        client_as("sales1").get(reverse("customers:contact_export"), {"province": "atlantis"}).status_code
        == 400
    )


def test_account_export(client_as, org):
    services.account_create(
        actor=org["sales1"], data={"name": "Khách sạn Sen Vàng", "tax_code": "0101234567"}
    )
    rows = csv_rows(client_as("sales1").get(reverse("customers:account_export")))
    assert rows[1][:2] == ["Khách sạn Sen Vàng", "0101234567"]


def test_export_query_count_is_flat(client_as, org, django_assert_max_num_queries):
    for i in range(30):
        services.contact_create(
            actor=org["sales1"], data={"full_name": f"Khách {i}"}, phones=[f"0912 000 {i:03d}"]
        )
    client = client_as("sales1")
    with django_assert_max_num_queries(12):
        csv_rows(client.get(reverse("customers:contact_export")))


def bulk(client, **data):
    """A confirmed bulk request (the confirm step itself is tested in test_lists.py)."""
    return client.post(reverse("customers:contact_bulk"), {"confirm": "1", **data})


def test_bulk_tag_and_stage_on_a_selection(client_as, org, make_contact):
    a, b = make_contact(full_name="A Một"), make_contact(full_name="B Hai", phones=["0988 000 111"])
    tag = Tag.objects.create(name="Khách VIP")
    client = client_as("sales1")
    assert bulk(client, action="add_tag", value_tag=tag.pk, ids=[a.pk, b.pk]).status_code == 302
    assert set(tag.contacts.values_list("pk", flat=True)) == {a.pk, b.pk}
    bulk(client, action="set_stage", value_stage="customer", ids=[a.pk])
    a.refresh_from_db()
    assert a.lifecycle_stage == "customer" and a.version == 3
    assert Event.objects.filter(type="contact.updated", subject_id=a.pk).count() == 2


def test_bulk_skips_contacts_out_of_scope_and_changes_nothing_there(client_as, org, make_contact):
    mine = make_contact(full_name="Của Tôi")
    theirs = make_contact(owner="sales2", full_name="Của Người Khác", phones=["0988 000 222"])
    client = client_as("sales1")
    response = bulk(client, action="set_stage", value_stage="inactive", ids=[mine.pk, theirs.pk])
    assert response.status_code == 302
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.lifecycle_stage == "lead" and mine.lifecycle_stage == "inactive"
    assert "1" in [m.message for m in response.wsgi_request._messages][0]


def test_bulk_on_all_matching_records(client_as, org, make_contact):
    for i in range(5):
        services.contact_create(
            actor=org["sales1"], data={"full_name": f"Lead {i}", "lifecycle_stage": "lead"}
        )
    services.contact_create(
        actor=org["sales1"], data={"full_name": "Khách thật", "lifecycle_stage": "customer"}
    )
    group = CustomerGroup.objects.create(name="Đại lý")
    bulk(
        client_as("sales1"),
        action="set_group",
        value_group=group.pk,
        all="1",
        querystring="lifecycle_stage=lead",
    )
    assert Contact.objects.filter(customer_group=group).count() == 5


def test_bulk_delete_and_restore(client_as, org, make_contact):
    c = make_contact()
    bulk(client_as("sales1"), action="delete", ids=[c.pk])
    assert not Contact.objects.filter(pk=c.pk).exists() and Contact.all_objects.filter(pk=c.pk).exists()


def test_bulk_assign_outside_the_team_fails_per_record(client_as, org, make_contact):
    c = make_contact()
    bulk(client_as("sales1"), action="assign", value_owner=org["sales2"].pk, ids=[c.pk])
    c.refresh_from_db()
    assert c.owner == org["sales1"]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "explode", "ids": ["1"]},
        {"action": "set_stage", "value_stage": "x", "ids": ["1"]},
        {"action": "add_tag", "value_tag": "abc", "ids": ["1"]},
        {"action": "set_stage", "value_stage": "lead"},
    ],
)
def test_bad_bulk_requests_change_nothing(client_as, make_contact, data):
    c = make_contact()
    response = bulk(client_as("sales1"), **data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.version == 1


def test_read_only_role_bulk_changes_nothing(client_as, make_contact):
    c = make_contact()
    bulk(client_as("care"), action="set_stage", value_stage="inactive", ids=[c.pk])
    c.refresh_from_db()
    assert c.lifecycle_stage == "lead"


def test_large_bulk_runs_in_the_background_and_notifies(client_as, org, settings, monkeypatch):
    from sencrm.customers import bulk as bulk_module

    monkeypatch.setattr(bulk_module, "SYNC_LIMIT", 2)
    ids = [services.contact_create(actor=org["sales1"], data={"full_name": f"K {i}"}).pk for i in range(4)]
    bulk(client_as("sales1"), action="set_stage", value_stage="prospect", ids=ids)
    assert Contact.objects.filter(lifecycle_stage="prospect").count() == 4  # Huey runs inline in tests
    note = Notification.objects.get(recipient=org["sales1"], kind="bulk_done")
    assert note.params["done"] == 4


def test_list_offers_export_and_bulk_by_role(client_as, make_contact):
    make_contact()
    html = client_as("sales1").get(reverse("customers:contact_list")).content.decode()
    assert 'data-testid="export-csv"' in html and 'data-testid="bulk-form"' in html
    html = client_as("marketing").get(reverse("customers:contact_list")).content.decode()
    assert 'data-testid="export-csv"' not in html and 'data-testid="bulk-form"' not in html
