"""What every API endpoint shares: the schema and its docs, CSV lists, rate limits, JSON errors."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from sencrm.users.models import Team
from sencrm.users.services import api_token_create


def bearer(org, username, name="script"):
    _token, raw = api_token_create(user=org[username], name=name)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def read_csv(response):
    assert response.streaming, "a CSV list is streamed"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "UTF-8 with a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(body[1:])))


# --- schema and docs ---------------------------------------------------------------------------


def test_schema_is_valid_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text(encoding="utf-8")
    for path in ("/api/v1/users/", "/api/v1/teams/", "/api/v1/custom-fields/", "/api/v1/contacts/"):
        assert f"{path}:" in text
    assert "bearerAuth" in text and "scheme: bearer" in text
    assert "Retry-After" in text and "text/csv" in text


def test_schema_documents_every_operation_and_field(org):
    import yaml

    response = bearer(org, "admin").get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary") and operation.get("description"), (method, path)
            for code in ("401", "403", "429"):
                assert code in operation["responses"], (method, path, code)
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (method, path, parameter["name"])
            csv_answer = operation["responses"].get("200", {}).get("content", {}).get("text/csv")
            assert bool(csv_answer) == (method == "get" and operation["operationId"].endswith("_list")), path
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            assert spec.get("description") or "$ref" in spec, (name, field)


def test_schema_and_docs_need_a_signed_in_caller(db):
    anonymous = Client()
    response = anonymous.get("/api/v1/schema/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    response = anonymous.get("/api/v1/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/api/v1/docs/")


def test_docs_page_is_served_locally_without_inline_script(client_as):
    client = client_as("sales1")
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>" not in html and "<style>" not in html and "cdn" not in html.lower()
    assert '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in html
    assert '<script src="/api/v1/docs/?script="' in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b'url: "/api/v1/schema/"' in script.content
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_schema_as_json_for_a_token(org):
    response = bearer(org, "sales1").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200 and response.json()["info"]["title"] == "Sen CRM API"


# --- authentication and JSON errors --------------------------------------------------------------


def test_without_credentials_401_names_the_bearer_scheme(db):
    response = Client().get("/api/v1/leads/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"
    bad = Client(HTTP_AUTHORIZATION="Bearer sen_nope").get("/api/v1/leads/")
    assert bad.status_code == 401 and bad.json()["code"] == "authentication_failed"


def test_session_writes_need_the_csrf_token(org):
    from sencrm.customers.models import Contact

    client = Client(enforce_csrf_checks=True)
    client.force_login(org["sales1"])
    assert client.get("/api/v1/contacts/").status_code == 200  # reading needs no token
    body = {"full_name": "Hồ Văn Csrf"}
    refused = client.post("/api/v1/contacts/", body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert not Contact.objects.filter(full_name="Hồ Văn Csrf").exists()
    client.get("/api/v1/docs/?script=")  # the docs page's script carries the CSRF token
    token = client.cookies["csrftoken"].value
    done = client.post("/api/v1/contacts/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert done.status_code == 201, done.content


def test_unknown_api_address_answers_json_404(org):
    response = bearer(org, "sales1").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": response.json()["message"], "errors": {}}


@pytest.mark.parametrize("value", ["xml", "CSV", "json;drop", "../../etc/passwd", "x" * 5000])
def test_unknown_format_is_a_400(org, value):
    response = bearer(org, "sales1").get("/api/v1/contacts/", {"format": value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "format" in response.json()["errors"]


def test_an_empty_format_is_the_default(org):
    response = bearer(org, "sales1").get("/api/v1/contacts/", {"format": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_a_write_never_answers_csv(org):
    response = bearer(org, "sales1").post(
        "/api/v1/contacts/?format=csv", {"full_name": "Lê Văn Tám"}, content_type="application/json"
    )
    assert response.status_code == 400 and "format" in response.json()["errors"]


# --- CSV lists ---------------------------------------------------------------------------------


def test_contacts_as_csv_with_the_same_filters_and_scope(org, make_contact):
    from sencrm.customfields.services import custom_field_save, customizable_types

    custom_field_save(
        actor=org["admin"], content_type=customizable_types()[0], key="nganh", label="Ngành", type="text"
    )
    make_contact(
        full_name="Đặng Văn Hùng",
        phones=["0988 111 222", "028 3822 1234"],
        emails=["hung@example.vn"],
        lifecycle_stage="customer",
        custom_field_data={"nganh": '=HYPERLINK("http://evil/")'},
    )
    make_contact(full_name="=cmd|' /C calc'!A0", phones=["0988 111 333"], lifecycle_stage="customer")
    make_contact(full_name="Trần Thị Lan", phones=["0988 111 444"], lifecycle_stage="lead")
    make_contact(owner="sales2", full_name="Đặng Thị Khác Đội", phones=["0988 111 555"])
    client = bearer(org, "sales1")

    response = client.get("/api/v1/contacts/", {"format": "csv", "lifecycle_stage": "customer"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="contacts.csv"'
    rows = read_csv(response)
    assert sorted(r["full_name"] for r in rows) == ["'=cmd|' /C calc'!A0", "Đặng Văn Hùng"]
    hung = next(r for r in rows if r["full_name"] == "Đặng Văn Hùng")
    assert hung["phones"] == "0988 111 222; 028 3822 1234" and hung["emails"] == "hung@example.vn"
    assert hung["cf_nganh"] == '\'=HYPERLINK("http://evil/")'
    assert "custom_fields" not in hung and hung["owner"] == str(org["sales1"].pk)

    # Search and ordering as in JSON; no pages (page_size is ignored); nothing of another team.
    searched = read_csv(client.get("/api/v1/contacts/", {"format": "csv", "search": "dang"}))
    assert [r["full_name"] for r in searched] == ["Đặng Văn Hùng"]
    ordered = read_csv(
        client.get("/api/v1/contacts/", {"format": "csv", "ordering": "sort_key", "page_size": 1})
    )
    as_json = client.get("/api/v1/contacts/", {"ordering": "sort_key"}).json()["results"]
    assert [r["id"] for r in ordered] == [str(c["id"]) for c in as_json] and len(ordered) == 3
    # The Accept header works too.
    assert read_csv(client.get("/api/v1/contacts/", HTTP_ACCEPT="text/csv"))[0]["id"]


def test_csv_is_not_paged_and_its_queries_do_not_grow_with_rows(
    org, make_contact, django_assert_max_num_queries
):
    for i in range(60):
        make_contact(full_name=f"Khách {i}", phones=[f"0912 000 {i:03d}"])
    client = bearer(org, "sales1")
    response = client.get("/api/v1/contacts/?format=csv")
    with django_assert_max_num_queries(20):
        rows = read_csv(response)
    assert len(rows) == 60


def test_csv_needs_the_export_right(org, make_contact):
    make_contact(full_name="Nguyễn Văn Xuất")
    # Marketing may view every contact, but not export them.
    client = bearer(org, "marketing")
    assert client.get("/api/v1/contacts/").status_code == 200
    response = client.get("/api/v1/contacts/", {"format": "csv"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "permission_denied"
    # Users and teams as CSV are for administrators; the JSON list is for everybody.
    sales = bearer(org, "sales1")
    assert sales.get("/api/v1/users/").status_code == 200
    assert sales.get("/api/v1/users/", {"format": "csv"}).status_code == 403
    rows = read_csv(bearer(org, "admin").get("/api/v1/users/", {"format": "csv"}))
    assert {r["username"] for r in rows} >= {"admin", "sales1", "care"}
    assert "password" not in rows[0]


def test_csv_of_leads_opportunities_stages_and_activities(org, make_contact):
    from sencrm.activities import services as activity_services
    from sencrm.sales import services as sales_services

    sales_services.lead_create(
        actor=org["sales1"], data={"full_name": "Phạm Minh Khang"}, phones=["0903111222"]
    )
    contact = make_contact(full_name="Vũ Thị Hoa")
    activity_services.activity_create(
        actor=org["sales1"], data={"kind": "call", "subject": "-2+3 gọi lại", "contact": contact}
    )
    client = bearer(org, "sales1")
    leads = read_csv(client.get("/api/v1/leads/?format=csv"))
    assert leads[0]["full_name"] == "Phạm Minh Khang" and leads[0]["phones"] == "0903111222"
    activities = read_csv(client.get("/api/v1/activities/?format=csv"))
    assert activities[0]["subject"] == "'-2+3 gọi lại"
    stages = read_csv(client.get("/api/v1/stages/?format=csv"))
    assert stages and {"probability", "is_won", "is_lost"} <= set(stages[0])
    assert {s["is_won"] for s in stages} == {"true", "false"}


def test_csv_of_users_teams_and_webhooks_for_administrators(org, settings, monkeypatch):
    import socket

    from sencrm.events.webhooks import services as webhook_services

    monkeypatch.setattr(
        "sencrm.events.webhooks.ssrf._getaddrinfo",
        lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))],
    )
    webhook_services.webhook_create(
        actor=org["admin"], url="https://erp.example.vn/hook", event_types=["contact.created", "lead.*"]
    )
    admin = bearer(org, "admin")
    teams = read_csv(admin.get("/api/v1/teams/?format=csv"))
    hanoi_team = Team.objects.get(name="Kinh doanh Hà Nội")
    assert teams[0]["name"] == hanoi_team.name
    assert sorted(teams[0]["members"].split("; ")) == sorted(
        str(pk) for pk in hanoi_team.members.values_list("pk", flat=True)
    )
    hooks = read_csv(admin.get("/api/v1/webhooks/?format=csv"))
    assert hooks[0]["event_types"] == "contact.created; lead.*" and "secret" not in hooks[0]
    assert bearer(org, "manager").get("/api/v1/webhooks/?format=csv").status_code == 403


# --- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def limit(settings):
    settings.API_RATE_LIMIT = "3/min"
    cache.clear()
    yield
    cache.clear()


def test_rate_limit_per_token_answers_429_with_retry_after(org, limit):
    first = bearer(org, "sales1", "first")
    for _ in range(3):
        assert first.get("/api/v1/contacts/").status_code == 200
    response = first.get("/api/v1/contacts/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["code"] == "throttled" and body["message"] and body["errors"] == {}
    # Another token of the same user has its own count, and so has the browser session.
    assert bearer(org, "sales1", "second").get("/api/v1/contacts/").status_code == 200
    session = Client()
    session.force_login(org["sales1"])
    assert session.get("/api/v1/contacts/").status_code == 200


def test_rate_limit_per_user_for_the_session_and_per_ip_for_anonymous(org, limit):
    session = Client()
    session.force_login(org["sales1"])
    for _ in range(3):
        session.get("/api/v1/leads/")
    assert session.get("/api/v1/opportunities/").status_code == 429  # the count is per user, not per URL
    other = Client()
    other.force_login(org["sales2"])
    assert other.get("/api/v1/leads/").status_code == 200
    # Anonymous callers are refused (401) before they are counted: a flood of them costs no quota.
    for _ in range(5):
        assert Client().get("/api/v1/contacts/").status_code == 401


def test_rate_limit_can_be_switched_off(org, settings, limit):
    client = bearer(org, "sales1")
    # With the low limit of the fixture, the fourth request is refused…
    assert [client.get("/api/v1/pipelines/").status_code for _ in range(4)] == [200, 200, 200, 429]
    # …switched off, the same token is served again, well past that limit.
    settings.API_RATE_LIMIT = None
    cache.clear()
    assert all(client.get("/api/v1/pipelines/").status_code == 200 for _ in range(10))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("120/min", "120/min"), ("5000/hour", "5000/hour"), (" 10/S ", "10/s"), ("off", None), ("0", None)],
)
def test_api_rate_limit_setting(monkeypatch, raw, expected):
    from config.env import env_rate

    monkeypatch.setenv("API_RATE_LIMIT", raw)
    assert env_rate("API_RATE_LIMIT", "120/min") == expected


@pytest.mark.parametrize("raw", ["120", "fast", "-1/min", "10/fortnight", "1e3/min"])
def test_api_rate_limit_setting_refuses_nonsense(monkeypatch, raw):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_rate

    monkeypatch.setenv("API_RATE_LIMIT", raw)
    with pytest.raises(ImproperlyConfigured):
        env_rate("API_RATE_LIMIT", "120/min")
