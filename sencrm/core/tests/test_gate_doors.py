"""Issue 12's holes in the gate, each closed on every door: links to records outside the user's scope,
the API's CSV through the export scope, "outside scope" answering like "missing", and names of records
the reader may not open."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError

from sencrm.activities import services as activity_services
from sencrm.core import access
from sencrm.customers import services
from sencrm.customers.models import Account, Contact
from sencrm.users.models import Grant


@pytest.fixture
def other_teams_account(org, hanoi):
    """An account of sales2 (team TP.HCM): sales1 may not see it."""
    return services.account_create(actor=org["sales2"], data={"name": "Công ty Bí Mật", "province": hanoi})


def _page_text(response, pk):
    """The page without what differs on every response (CSRF tokens) and the id asked for."""
    text = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "TOKEN", response.content.decode())
    return text.replace(f"contact={pk}", "contact=ID")


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


# 1. A link to a gated record accepts only records the user may view, on every door.


def test_api_contact_cannot_link_another_teams_account(client_as, other_teams_account):
    client = client_as("sales1")
    outside = post(client, "/api/v1/contacts/", {"full_name": "Lê Văn A", "account": other_teams_account.pk})
    missing = post(client, "/api/v1/contacts/", {"full_name": "Lê Văn A", "account": 999999})
    assert outside.status_code == missing.status_code == 400
    # Indistinguishable: the same message, only the id differs.
    assert outside.json()["errors"]["account"] == [
        m.replace("999999", str(other_teams_account.pk)) for m in missing.json()["errors"]["account"]
    ]
    assert not Contact.objects.filter(full_name="Lê Văn A").exists()


def test_api_contact_update_cannot_link_another_teams_account(client_as, make_contact, other_teams_account):
    contact = make_contact(owner="sales1")
    response = patch(
        client_as("sales1"),
        f"/api/v1/contacts/{contact.pk}/",
        {"account": other_teams_account.pk, "version": contact.version},
    )
    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.account_id is None


def test_api_activity_cannot_link_another_teams_contact(client_as, make_contact):
    theirs = make_contact(owner="sales2", full_name="Khách của người khác", phones=("0987 000 111",))
    client = client_as("sales1")
    outside = post(client, "/api/v1/activities/", {"kind": "note", "subject": "x", "contact": theirs.pk})
    missing = post(client, "/api/v1/activities/", {"kind": "note", "subject": "x", "contact": 999999})
    assert outside.status_code == missing.status_code == 400
    assert set(outside.json()["errors"]) == set(missing.json()["errors"]) == {"contact"}


def test_api_opportunity_cannot_link_another_teams_account(client_as, other_teams_account):
    response = post(
        client_as("sales1"), "/api/v1/opportunities/", {"name": "Deal", "account": other_teams_account.pk}
    )
    assert response.status_code == 400 and "account" in response.json()["errors"]


def test_service_refuses_a_link_outside_scope_whatever_the_door(org, hanoi, other_teams_account):
    with pytest.raises(ValidationError) as refused:
        services.contact_create(
            actor=org["sales1"],
            data={"full_name": "Trần B", "province": hanoi, "account": other_teams_account},
        )
    assert "account" in refused.value.message_dict
    with pytest.raises(ValidationError):
        activity_services.activity_create(
            actor=org["sales1"], data={"kind": "note", "subject": "x", "account": other_teams_account}
        )


def test_service_keeps_an_existing_link_the_editor_cannot_see(org, hanoi, other_teams_account):
    # A manager linked it; sales1 may still edit other fields of their contact.
    contact = services.contact_create(actor=org["admin"], data={"full_name": "Phạm C", "province": hanoi})
    contact = services.contact_update(
        contact,
        actor=org["admin"],
        changes={"account": other_teams_account, "owner": org["sales1"]},
        version=None,
    )
    updated = services.contact_update(
        contact, actor=org["sales1"], changes={"title": "Giám đốc"}, version=None
    )
    assert updated.title == "Giám đốc" and updated.account_id == other_teams_account.pk


def test_form_offers_and_accepts_only_visible_accounts(client_as, other_teams_account, hanoi):
    client = client_as("sales1")
    page = client.get("/contacts/new/")
    assert "Công ty Bí Mật" not in page.content.decode()
    response = client.post(
        "/contacts/new/",
        {
            "full_name": "Đỗ D",
            "province": hanoi.pk,
            "account": other_teams_account.pk,
            "phones": "0912 000 999",
        },
    )
    assert response.status_code == 400
    assert not Contact.objects.filter(full_name="Đỗ D").exists()


# 2. ?format=csv streams the export scope, not the view scope.


def test_api_csv_uses_the_export_scope(client_as, org, make_contact):
    make_contact(owner="sales1", full_name="Của Sales Một", phones=("0912 111 222",))
    make_contact(owner="sales2", full_name="Của Sales Hai", phones=("0912 333 444",))
    role = org["marketing"].role  # views all customers
    Grant.objects.create(role=role, module="customers", action="export", scope="own")
    services.contact_create(
        actor=org["admin"],
        owner=org["marketing"],
        data={"full_name": "Của Marketing"},
        phones=["0912 555 666"],
    )
    client = client_as("marketing")
    assert len(client.get("/api/v1/contacts/").json()["results"]) == 3  # the view scope
    response = client.get("/api/v1/contacts/?format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [r["full_name"] for r in rows] == ["Của Marketing"]


# 3. Outside scope and missing answer alike.


def test_list_filter_by_an_account_outside_scope_answers_like_a_missing_one(client_as, other_teams_account):
    client = client_as("sales1")
    outside = client.get(f"/api/v1/contacts/?account={other_teams_account.pk}")
    missing = client.get("/api/v1/contacts/?account=999999")
    assert outside.status_code == missing.status_code == 400
    assert outside.json()["errors"] == missing.json()["errors"]
    page_outside = client.get(f"/contacts/?account={other_teams_account.pk}")
    page_missing = client.get("/contacts/?account=999999")
    assert page_outside.status_code == page_missing.status_code


def test_activity_link_outside_scope_answers_like_a_missing_one(client_as, make_contact):
    theirs = make_contact(owner="sales2", full_name="Khách của người khác", phones=("0987 000 111",))
    client = client_as("sales1")
    outside = client.get(f"/activities/new/?contact={theirs.pk}")
    missing = client.get("/activities/new/?contact=999999")
    assert outside.status_code == missing.status_code == 404
    assert _page_text(outside, theirs.pk) == _page_text(missing, 999999)


def test_detail_outside_scope_answers_like_a_missing_one(client_as, make_contact):
    theirs = make_contact(owner="sales2", full_name="Khách của người khác", phones=("0987 000 111",))
    client = client_as("sales1")
    outside = client.get(f"/api/v1/contacts/{theirs.pk}/")
    missing = client.get("/api/v1/contacts/999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


# 4. Names of records the reader may not open: one rule (access.related_label), every door.


def test_related_label_hides_what_the_reader_may_not_open(org, other_teams_account):
    assert access.related_label(org["sales2"], other_teams_account) == "Công ty Bí Mật"
    assert access.related_label(org["sales1"], other_teams_account) == str(access.NOT_VISIBLE)
    assert access.related_label(org["sales1"], org["sales2"]) == str(org["sales2"])  # users are not gated
    assert access.related_label(org["sales1"], None) == ""


def test_caller_id_and_search_hide_the_name_of_an_account_the_reader_may_not_open(
    org, hanoi, client_as, other_teams_account
):
    contact = services.contact_create(
        actor=org["admin"],
        data={"full_name": "Vũ Thị Gọi", "province": hanoi},
        phones=["0903 777 888"],
        owner=org["sales1"],
    )
    services.contact_update(
        contact, actor=org["admin"], changes={"account": other_teams_account}, version=None
    )
    client = client_as("sales1")
    caller = client.get("/api/v1/caller-id/?phone=0903777888").json()
    assert caller["contacts"][0]["account"] == {"id": other_teams_account.pk, "name": str(access.NOT_VISIBLE)}
    page = client.get("/caller-id/?phone=0903777888").content.decode()
    assert "Vũ Thị Gọi" in page and "Công ty Bí Mật" not in page
    found = client.get("/search/?q=vu thi goi").content.decode()
    assert "Vũ Thị Gọi" in found and "Công ty Bí Mật" not in found
    # The contact's own list, page and export: the same rule.
    assert "Công ty Bí Mật" not in client.get("/contacts/").content.decode()
    assert "Công ty Bí Mật" not in client.get(f"/contacts/{contact.pk}/").content.decode()
    export = client.get("/contacts/export/?format=csv")
    assert export.status_code == 200
    exported = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Vũ Thị Gọi" in exported and "Công ty Bí Mật" not in exported
    # The account's own team sees the name.
    admin = client_as("admin")
    assert "Công ty Bí Mật" in admin.get("/search/?q=vu thi goi").content.decode()
    assert "Công ty Bí Mật" in admin.get("/contacts/").content.decode()


def test_every_account_link_is_a_gated_link():
    # The campaigns of the first and latest touch, the first receipt (billing's), the account, a merge.
    links = ["first_campaign", "latest_campaign", "first_receipt"]
    assert [f.name for f in access.gated_links(Contact)] == [*links, "account", "merged_into"]
    assert [f.name for f in access.gated_links(Account)] == links
