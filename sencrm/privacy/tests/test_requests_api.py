"""/api/v1/data-requests/: the contract's field names, the steps as actions, the export, bad input as
4xx, and the access matrix (a role without the module: 403; a request outside the scope: 404)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sencrm.privacy.models import DataRequest
from sencrm.privacy.services import request_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/data-requests/"
FIELDS = {
    "id", "number", "contact", "lead", "kind", "received_at", "due_at", "acknowledge_due_at", "status",
    "acknowledged_at", "completed_at", "details",
}  # fmt: skip


@pytest.fixture
def api(org):
    def as_user(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(org[username])
        return client

    return as_user


@pytest.fixture
def contact(make_contact):
    return make_contact(full_name="Phạm Thị Hồng Nhung")


def test_register_read_and_handle_a_request(api, contact, django_assert_max_num_queries):
    care, marketing = api("care"), api("marketing")
    made = care.post(
        URL,
        {
            "contact": contact.pk,
            "kind": "access",
            "received_at": "2026-04-29T09:00:00+07:00",
            "details": "Bản sao",
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert set(body) == FIELDS
    assert body["number"].startswith("YCDL-2026-") and body["status"] == "received"
    assert body["acknowledge_due_at"].startswith("2026-05-05") and body["due_at"].startswith("2026-05-14")
    pk = body["id"]
    with django_assert_max_num_queries(10):
        listed = marketing.get(URL, {"status": "open", "kind": "access", "contact": contact.pk})
    assert [row["id"] for row in listed.json()["results"]] == [pk]
    assert marketing.get(URL, {"status": "completed"}).json()["results"] == []
    assert care.post(f"{URL}{pk}/acknowledge/").status_code == 403  # care registers, does not handle
    assert marketing.post(f"{URL}{pk}/acknowledge/").json()["status"] == "acknowledged"
    assert marketing.post(f"{URL}{pk}/extend/", {}, format="json").status_code == 400
    extended = marketing.post(f"{URL}{pk}/extend/", {"reason": "Hồ sơ lưu ở kho"}, format="json")
    assert extended.json()["status"] == "extended" and extended.json()["due_at"].startswith("2026-05-29")
    again = marketing.post(f"{URL}{pk}/extend/", {"reason": "Lần hai"}, format="json")
    assert again.status_code == 400 and "chỉ được gia hạn một lần" in again.content.decode()
    export = marketing.get(f"{URL}{pk}/export/")
    assert export.status_code == 200
    assert export.json()["person"]["contacts"][0]["fields"]["full_name"] == "Phạm Thị Hồng Nhung"
    done = marketing.post(f"{URL}{pk}/complete/", {"outcome": "Đã gửi bản sao"}, format="json")
    assert done.json()["status"] == "completed" and done.json()["completed_at"]


def test_bad_input_is_a_clear_4xx_and_changes_nothing(api, contact, org):
    from sencrm.sales.services import lead_create

    care = api("care")
    cases = [
        {"kind": "access"},
        {"contact": contact.pk, "kind": "nuke"},
        {"contact": "abc", "kind": "access"},
        {"contact": 10**15, "kind": "access"},
        {"contact": contact.pk, "kind": "access", "received_at": "31/02/2026"},
        {"contact": contact.pk, "kind": "access", "received_at": "2999-01-01T00:00:00Z"},
        {"contact": contact.pk, "kind": "access", "details": "x" * 6000},
    ]
    for body in cases:
        response = care.post(URL, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["code"] == "invalid"
    hidden = lead_create(actor=org["sales2"], data={"full_name": "Lê Thị Kín"})
    other = care.post(URL, {"lead": hidden.pk, "kind": "access"}, format="json")
    missing = care.post(URL, {"lead": 987654, "kind": "access"}, format="json")
    assert other.status_code == missing.status_code == 400
    assert (
        other.json()["errors"]["lead"][0].replace(f'"{hidden.pk}"', '"987654"')
        == missing.json()["errors"]["lead"][0]
    )
    # Status, number and deadlines are read-only: sent values are ignored.
    made = care.post(
        URL, {"contact": contact.pk, "kind": "access", "status": "completed", "number": "X-1"}, format="json"
    )
    assert made.status_code == 201 and made.json()["status"] == "received" and made.json()["number"] != "X-1"
    assert DataRequest.objects.count() == 1
    for bad in ({"status": "nope"}, {"kind": "x"}, {"ordering": "details;DROP TABLE"}, {"contact": "x"}):
        assert api("marketing").get(URL, bad).status_code == 400
    assert care.patch(f"{URL}{made.json()['id']}/", {"details": "x"}, format="json").status_code == 405


def test_the_access_matrix(api, contact, org, client):
    request = request_create(actor=org["marketing"], data={"contact": contact, "kind": "deletion"})
    for username in ("sales1", "manager", "board", "accountant"):
        assert api(username).get(URL).status_code == 403
        assert (
            api(username).post(URL, {"contact": contact.pk, "kind": "access"}, format="json").status_code
            == 403
        )
    for username in ("admin", "marketing", "care"):
        assert api(username).get(f"{URL}{request.pk}/").status_code == 200
    assert api("care").get(f"{URL}987654/").status_code == 404
    assert client.get(URL).status_code in (401, 403)
    # A role with the module at "own" scope: another's request is 404, exactly like a missing one.
    from sencrm.core.modules import Action, Module, Scope
    from sencrm.users.models import User
    from sencrm.users.services import role_save

    grants = {(Module.PRIVACY, a): Scope.OWN for a in (Action.VIEW, Action.CREATE, Action.EDIT)}
    role = role_save(actor=org["admin"], name="Privacy desk", grants=grants, code="privacy_desk")
    User.objects.filter(username="tech").update(role=role)
    desk = APIClient()
    desk.force_authenticate(User.objects.get(username="tech"))
    theirs = desk.get(f"{URL}{request.pk}/")
    missing = desk.get(f"{URL}987654/")
    assert theirs.status_code == missing.status_code == 404 and theirs.json() == missing.json()
    assert desk.post(f"{URL}{request.pk}/complete/", {"outcome": "x"}, format="json").status_code == 404
    assert desk.get(f"{URL}{request.pk}/export/").status_code == 404
    assert desk.get(URL).json()["results"] == []
    assert DataRequest.objects.get(pk=request.pk).status == "received"
