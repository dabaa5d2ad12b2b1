"""Personal API tokens: Bearer auth for integrations (caller ID from a PBX), hashed, expiring, revocable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sencrm.customers import services as customer_services
from sencrm.users import authentication
from sencrm.users.models import ApiToken
from sencrm.users.services import api_token_create, api_token_revoke


def bearer(raw):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_caller_id_with_a_token_within_its_users_scope(org):
    customer_services.contact_create(
        actor=org["sales2"], data={"full_name": "Lê Gọi Đến"}, phones=["0966 123 456"]
    )
    _token, care_raw = api_token_create(user=org["care"], name="Tổng đài")
    _token, sales_raw = api_token_create(user=org["sales1"], name="script")
    found = bearer(care_raw).get("/api/v1/caller-id/", {"phone": "0966123456"})
    assert found.status_code == 200 and found.json()["contacts"][0]["name"] == "Lê Gọi Đến"
    assert bearer(sales_raw).get("/api/v1/caller-id/", {"phone": "0966123456"}).json()["contacts"] == []


def test_tokens_are_stored_hashed_and_shown_once(org):
    token, raw = api_token_create(user=org["sales1"], name="x")
    assert raw.startswith("sen_") and raw not in token.key_hash and token.prefix == raw[:12]
    assert not ApiToken.objects.filter(key_hash=raw).exists()


def test_bad_revoked_and_expired_tokens_answer_401(org):
    token, raw = api_token_create(user=org["sales1"], name="x")
    assert bearer(raw).get("/api/v1/contacts/").status_code == 200
    assert bearer("sen_wrong").get("/api/v1/contacts/").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer a b").get("/api/v1/contacts/").status_code == 401
    assert Client().get("/api/v1/contacts/").status_code == 401
    api_token_revoke(actor=org["sales1"], token=token)
    assert bearer(raw).get("/api/v1/contacts/").status_code == 401
    _expired, old = api_token_create(
        user=org["sales1"], name="old", expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert bearer(old).get("/api/v1/contacts/").status_code == 401
    _t, raw2 = api_token_create(user=org["sales2"], name="y")
    org["sales2"].is_active = False
    org["sales2"].save()
    assert bearer(raw2).get("/api/v1/contacts/").status_code == 401


def test_token_writes_need_no_csrf_but_keep_the_gate(org):
    _t, raw = api_token_create(user=org["marketing"], name="x")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", enforce_csrf_checks=True)
    response = client.post("/api/v1/contacts/", {"full_name": "X"}, content_type="application/json")
    assert response.status_code == 403  # marketing may not create contacts: the token carries the role


def test_create_api_token_command(org, capsys):
    call_command("create_api_token", "sales1", "--name", "ERP")
    raw = capsys.readouterr().out.strip()
    assert bearer(raw).get("/api/v1/contacts/").status_code == 200
    assert ApiToken.objects.get(user=org["sales1"]).name == "ERP"


def test_profile_creates_and_revokes_tokens(client_as, org):
    client = client_as("sales1")
    page = client.post(
        reverse("users:profile"), {"form": "token_create", "name": "Tổng đài", "expires_days": "30"}
    )
    raw = page.context["new_token"]
    assert raw.startswith("sen_") and raw in page.content.decode()
    token = ApiToken.objects.get(user=org["sales1"])
    assert token.expires_at > timezone.now() + dt.timedelta(days=29)
    assert raw not in client.get(reverse("users:profile")).content.decode()  # shown once
    other = client_as("sales2")
    other.post(reverse("users:profile"), {"form": "token_revoke", "token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is None  # another user's token: not found
    client = client_as("sales1")
    client.post(reverse("users:profile"), {"form": "token_revoke", "token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_last_used_is_noted_once_a_minute_without_waiting_for_the_disk(org, monkeypatch):
    """A reading request's only write must not queue behind a checkpoint's fsync (issue 12's tails):
    on PostgreSQL it commits with synchronous_commit off, but never inside a caller's transaction."""
    token, raw = api_token_create(user=org["sales1"], name="tổng đài")
    # The test runs inside a transaction: as if there were none, to see the statement sent.
    monkeypatch.setattr(authentication, "_in_outer_transaction", lambda: False)
    with CaptureQueriesContext(connection) as first:
        assert bearer(raw).get("/api/v1/contacts/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert bearer(raw).get("/api/v1/contacts/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < dt.timedelta(minutes=1)
    sent = [q["sql"] for q in first.captured_queries]
    assert sum('UPDATE "users_apitoken"' in q for q in sent) == 1
    assert not any('UPDATE "users_apitoken"' in q["sql"] for q in second.captured_queries)  # within a minute
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    assert any("synchronous_commit TO OFF" in q for q in sent)
    monkeypatch.undo()  # inside the test's transaction: SET LOCAL would cover the caller's writes
    token.last_used_at = None
    token.save(update_fields=["last_used_at"])
    with CaptureQueriesContext(connection) as inner:
        assert bearer(raw).get("/api/v1/contacts/").status_code == 200
    assert not any("synchronous_commit" in q["sql"] for q in inner.captured_queries)
