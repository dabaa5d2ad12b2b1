"""/api/v1/users/ and /api/v1/teams/: read-only, what colleagues may see; administrators see more."""

from __future__ import annotations

import pytest
from django.test import Client

from sencrm.users.models import Team, User
from sencrm.users.services import api_token_create

COLLEAGUE_FIELDS = {"id", "username", "full_name", "display_name", "teams", "is_active"}
ADMIN_FIELDS = COLLEAGUE_FIELDS | {"email", "phone", "role", "last_login", "date_joined"}


def bearer(user):
    _token, raw = api_token_create(user=user, name="script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_colleagues_see_only_public_fields(org):
    body = bearer(org["sales1"]).get("/api/v1/users/").json()
    assert {u["username"] for u in body["results"]} >= {"admin", "manager", "sales1", "sales2", "board"}
    for user in body["results"]:
        assert set(user) == COLLEAGUE_FIELDS
    me = next(u for u in body["results"] if u["username"] == "sales1")
    assert me["id"] == org["sales1"].pk and me["display_name"] == str(org["sales1"])
    assert me["teams"] == list(org["sales1"].teams.values_list("pk", flat=True)) and me["is_active"] is True
    detail = bearer(org["sales2"]).get(f"/api/v1/users/{org['admin'].pk}/").json()
    assert set(detail) == COLLEAGUE_FIELDS


def test_administrators_see_everything_but_secrets(org):
    body = bearer(org["admin"]).get("/api/v1/users/").json()
    sales1 = next(u for u in body["results"] if u["username"] == "sales1")
    assert set(sales1) == ADMIN_FIELDS and sales1["role"] == "sales"
    raw = str(body)
    assert "password" not in raw and "pbkdf2" not in raw and "md5$" not in raw and "key_hash" not in raw


def test_deactivated_users_are_listed_and_filterable(org):
    gone = User.objects.create_user("nghiviec", password="x" * 12, full_name="Lý Thị Nghỉ", is_active=False)
    client = bearer(org["sales1"])
    inactive = client.get("/api/v1/users/", {"is_active": "false"}).json()["results"]
    assert [u["id"] for u in inactive] == [gone.pk] and inactive[0]["is_active"] is False


def test_search_ignores_accents_and_filters_by_team(org):
    client = bearer(org["sales1"])
    full_name = org["sales1"].full_name
    found = client.get("/api/v1/users/", {"search": "nguyen van nam"}).json()["results"]
    assert [u["username"] for u in found] == ["sales1"], full_name
    team = org["sales1"].teams.first()
    members = client.get("/api/v1/users/", {"team": team.pk}).json()["results"]
    assert {u["id"] for u in members} == set(team.members.values_list("pk", flat=True))
    ordered = client.get("/api/v1/users/", {"ordering": "-username"}).json()["results"]
    assert [u["username"] for u in ordered] == sorted((u["username"] for u in ordered), reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "password"},
        {"ordering": "username;DROP TABLE users_user"},
        {"team": "abc"},
        {"team": "999999999"},
        {"is_active": "maybe"},
        {"page_size": "0"},
        {"cursor": "forged"},
    ],
)
def test_bad_parameters_are_400(org, params):
    response = bearer(org["sales1"]).get("/api/v1/users/", params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_teams_with_their_members(org):
    client = bearer(org["care"])
    body = client.get("/api/v1/teams/").json()
    names = [t["name"] for t in body["results"]]
    assert names == sorted(names) and names
    team = Team.objects.get(name=names[0])
    first = body["results"][0]
    assert set(first) == {"id", "name", "description", "members"}
    assert sorted(first["members"]) == sorted(team.members.values_list("pk", flat=True))
    assert client.get(f"/api/v1/teams/{team.pk}/").json()["name"] == team.name
    folded = names[0].lower()
    assert client.get("/api/v1/teams/", {"search": folded}).json()["results"][0]["id"] == team.pk


def test_read_only(org):
    client = bearer(org["admin"])
    assert (
        client.post("/api/v1/users/", {"username": "x"}, content_type="application/json").status_code == 405
    )
    user_url = f"/api/v1/users/{org['sales1'].pk}/"
    response = client.patch(user_url, {"is_superuser": True}, content_type="application/json")
    assert response.status_code == 405
    assert client.delete(f"/api/v1/teams/{Team.objects.first().pk}/").status_code == 405
    org["sales1"].refresh_from_db()
    assert not org["sales1"].is_superuser


def test_who_may_read_them(org):
    # Any role with at least one right (the board only reads reports); a user without a role may not.
    assert bearer(org["board"]).get("/api/v1/users/").status_code == 200
    nobody = User.objects.create_user("khach", password="x" * 12)
    response = bearer(nobody).get("/api/v1/teams/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert Client().get("/api/v1/users/").status_code == 401


def test_list_queries_do_not_grow_with_users(org, django_assert_max_num_queries):
    client = bearer(org["admin"])
    for i in range(30):
        user = User.objects.create_user(f"nv{i}", password="x" * 12, full_name=f"Nhân viên {i}")
        user.teams.set(Team.objects.all())
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/users/", {"page_size": 100}).json()["results"]) > 30
    with django_assert_max_num_queries(12):
        client.get("/api/v1/teams/")
