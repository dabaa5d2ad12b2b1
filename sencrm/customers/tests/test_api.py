"""/api/v1/contacts/, /api/v1/accounts/ and /api/v1/caller-id/ through the same gate as the UI."""

from __future__ import annotations

import pytest
from django.test import Client

from sencrm.customers import services
from sencrm.customers.models import Contact
from sencrm.events.models import Event


@pytest.fixture
def api(client_as):
    def as_user(username):
        return client_as(username)

    return as_user


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_anonymous_requests_are_refused(db):
    assert Client().get("/api/v1/contacts/").status_code in (401, 403)


def test_create_and_read_a_contact(api, org, hanoi):
    client = api("sales1")
    body = {
        "full_name": "Nguyễn Thị Ánh Tuyết",
        "phones": [{"number": "0912 345 678"}, {"number": "01689123456"}],
        "emails": [{"address": "tuyet@example.vn"}],
        "province": "ha-noi",
        "source": "zalo",
        "lifecycle_stage": "lead",
        "custom_fields": {},
        "consents": {"zalo": {"granted": True, "source": "Zalo"}},
    }
    response = post(client, "/api/v1/contacts/", body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["full_name"] == "Nguyễn Thị Ánh Tuyết" and data["given_name"] == "Tuyết"
    assert [p["e164"] for p in data["phones"]] == ["+84912345678", "+84389123456"]
    assert data["emails"] == [{"address": "tuyet@example.vn"}]
    assert data["owner"] == org["sales1"].pk and data["source"] == "zalo" and data["province"] == "ha-noi"
    assert data["consents"]["zalo"]["granted"] is True
    assert data["version"] == 1 and data["custom_fields"] == {} and data["account"] is None
    got = client.get(f"/api/v1/contacts/{data['id']}/").json()
    assert got["id"] == data["id"]


def test_list_is_scoped_searchable_and_filterable(api, make_contact):
    make_contact(full_name="Đặng Văn Hùng", phones=["0988 111 222"], lifecycle_stage="customer")
    make_contact(full_name="Trần Thị Lan", phones=["0988 111 333"])
    make_contact(owner="sales2", full_name="Đặng Thị Khác Đội", phones=["0988 111 444"])
    client = api("sales1")
    names = lambda r: [c["full_name"] for c in r.json()["results"]]  # noqa: E731
    assert sorted(names(client.get("/api/v1/contacts/"))) == ["Trần Thị Lan", "Đặng Văn Hùng"]
    assert names(client.get("/api/v1/contacts/", {"search": "dang"})) == ["Đặng Văn Hùng"]
    assert names(client.get("/api/v1/contacts/", {"search": "+84988111222"})) == ["Đặng Văn Hùng"]
    assert names(client.get("/api/v1/contacts/", {"lifecycle_stage": "customer"})) == ["Đặng Văn Hùng"]
    ordered = names(client.get("/api/v1/contacts/", {"ordering": "sort_key"}))
    assert ordered == ["Đặng Văn Hùng", "Trần Thị Lan"]  # Hùng before Lan (by given name)


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "password"},
        {"ordering": "name;DROP TABLE contacts"},
        {"page_size": "0"},
        {"page_size": "1000000"},
        {"page_size": "-1"},
        {"lifecycle_stage": "nope"},
        {"cursor": "forged"},
    ],
)
def test_bad_list_parameters_answer_400_as_json(api, make_contact, params):
    make_contact()
    response = api("sales1").get("/api/v1/contacts/", params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["errors"]


def test_cursor_pages_are_complete(api, org):
    for i in range(7):
        services.contact_create(actor=org["sales1"], data={"full_name": f"Khách {i}"})
    client = api("sales1")
    seen, url = [], "/api/v1/contacts/?page_size=3&ordering=sort_key"
    while url:
        data = client.get(url).json()
        seen += [c["id"] for c in data["results"]]
        url = data["next"]
    assert len(seen) == len(set(seen)) == 7


def test_another_teams_contact_is_404_through_every_method(api, make_contact):
    c = make_contact(owner="sales2")
    client = api("sales1")
    url = f"/api/v1/contacts/{c.pk}/"
    assert client.get(url).status_code == 404
    assert patch(client, url, {"title": "hacked"}).status_code == 404
    assert client.delete(url).status_code == 404
    c.refresh_from_db()
    assert c.title == "" and c.deleted_at is None
    assert not Event.objects.filter(type="contact.updated").exists()


def test_stale_version_answers_409(api, org, make_contact):
    c = make_contact()
    services.contact_update(c, actor=org["manager"], changes={"title": "Giám đốc"}, version=1)
    response = patch(api("sales1"), f"/api/v1/contacts/{c.pk}/", {"title": "Kế toán", "version": 1})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    c.refresh_from_db()
    assert c.title == "Giám đốc"


def test_privileged_fields_cannot_be_mass_assigned(api, org, make_contact):
    c = make_contact()
    client = api("sales1")
    response = patch(
        client,
        f"/api/v1/contacts/{c.pk}/",
        {"team": 999, "created_at": "2000-01-01T00:00:00Z", "family_name": "X", "is_superuser": True},
    )
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.team.name == "Kinh doanh Hà Nội" and c.family_name == "Nguyễn" and c.created_at.year > 2000
    handed = patch(client, f"/api/v1/contacts/{c.pk}/", {"owner": org["sales2"].pk})
    assert handed.status_code == 403
    c.refresh_from_db()
    assert c.owner == org["sales1"]


def test_bad_input_is_a_clear_400(api):
    client = api("sales1")
    for body in [
        {"full_name": ""},
        {"full_name": "A", "phones": [{"number": "123"}]},
        {"full_name": "A", "emails": [{"address": "nope"}]},
        {"full_name": "A", "province": "atlantis"},
        {"full_name": "A", "custom_fields": [1, 2]},
        {"full_name": "A", "consents": {"fax": {"granted": 1}}},
        {"full_name": "A", "date_of_birth": "31/02/1990"},
    ]:
        response = post(client, "/api/v1/contacts/", body)
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid" and response.json()["errors"]
    assert not Contact.all_objects.exists()


def test_read_only_roles_cannot_write(api, make_contact):
    c = make_contact()
    client = api("accountant")
    assert client.get(f"/api/v1/contacts/{c.pk}/").status_code == 200
    assert post(client, "/api/v1/contacts/", {"full_name": "X"}).status_code == 403
    assert patch(client, f"/api/v1/contacts/{c.pk}/", {"title": "x"}).status_code == 403
    assert client.delete(f"/api/v1/contacts/{c.pk}/").status_code == 403


def test_delete_is_soft(api, make_contact):
    c = make_contact()
    assert api("sales1").delete(f"/api/v1/contacts/{c.pk}/").status_code == 204
    assert Contact.all_objects.get(pk=c.pk).deleted_at is not None


def test_session_api_needs_csrf(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["sales1"])
    response = client.post("/api/v1/contacts/", {"full_name": "X"}, content_type="application/json")
    assert response.status_code == 403
    assert not Contact.all_objects.exists()


def test_accounts_api(api, org):
    client = api("sales1")
    response = post(
        client,
        "/api/v1/accounts/",
        {"name": "Khách sạn Hoàng Long", "tax_code": "0101234567", "phones": [{"number": "024 3825 1234"}]},
    )
    assert response.status_code == 201, response.json()
    account_id = response.json()["id"]
    assert post(client, "/api/v1/accounts/", {"name": "X", "tax_code": "12"}).status_code == 400
    created = post(client, "/api/v1/contacts/", {"full_name": "Trần Quản Lý", "account": account_id})
    assert created.status_code == 201, created.json()
    assert created.json()["account"] == account_id
    other = api("sales2")  # (the same test client, now signed in as sales2)
    assert other.get(f"/api/v1/accounts/{account_id}/").status_code == 404
    # …nor may sales2 link a contact to it: the id reads as one that does not exist.
    refused = post(other, "/api/v1/contacts/", {"full_name": "Người Khác", "account": account_id})
    assert refused.status_code == 400 and "account" in refused.json()["errors"]


def test_caller_id(api, org, make_contact):
    c = make_contact(owner="sales2", full_name="Lê Thị Gọi", phones=["0966 123 456"])
    response = api("care").get("/api/v1/caller-id/", {"phone": "+84 966 123 456"})
    assert response.status_code == 200
    data = response.json()
    assert data["phone"] == "+84966123456"
    (found,) = data["contacts"]
    assert found["id"] == c.pk and found["name"] == "Lê Thị Gọi" and found["lifecycle_stage"] == "lead"
    assert found["owner"]["id"] == org["sales2"].pk and found["last_activity"]
    assert api("sales1").get("/api/v1/caller-id/", {"phone": "0966123456"}).json()["contacts"] == []
    bad = api("care").get("/api/v1/caller-id/", {"phone": "hello"})
    assert bad.status_code == 400 and bad.json()["errors"]["phone"]


def test_schema_is_served(api):
    response = api("sales1").get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/contacts/" in response.content and b"/api/v1/caller-id/" in response.content


def test_caller_id_costs_a_fixed_number_of_queries(api, org, make_contact, django_assert_max_num_queries):
    for i in range(3):
        make_contact(full_name=f"Cùng Số {i}", phones=["0966 123 456"])
    client = api("care")
    client.get("/api/v1/caller-id/", {"phone": "0966123456"})
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/caller-id/", {"phone": "0966123456"})
    assert len(response.json()["contacts"]) == 3
