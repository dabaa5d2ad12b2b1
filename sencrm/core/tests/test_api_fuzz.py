"""Schemathesis over the whole API, in process (WSGI, no server): every operation and method, as an
administrator and as a sales user (each with a Bearer token), with valid and invalid data.

Checked on every answer: no server error (5xx), the status code is documented, the content type is
documented and the body matches the schema. Each example runs in a savepoint that is rolled back, so
a DELETE or a merge never takes the records the next example needs; path ids point at existing
records two times out of three (random ids mostly answer 404).
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation and user, valid and invalid data together. Only Hypothesis's generation (and shrinking,
# on a failure): Schemathesis's coverage phase would add hundreds of boundary cases per operation,
# minutes in all; `make test` runs this on SQLite and on PostgreSQL.
MAX_EXAMPLES = 20


class InProcessApp:
    """Django's WSGI handler, keeping the test's database transaction: Django closes a connection
    that is not in autocommit mode at the start and end of every request (as its own test client
    prevents too)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def _openapi() -> dict[str, Any]:
    """The schema /api/v1/schema/ serves (which needs a signed-in caller; the database is not open yet)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


schema = schemathesis.openapi.from_dict(_openapi())
schema.app = InProcessApp()


@pytest.fixture
def records(org, make_contact, no_dns):
    """One record of every kind, owned by sales1 (so both users see them), and their ids by path."""
    from sencrm.activities import services as activity_services
    from sencrm.customers import services as customer_services
    from sencrm.customfields.services import custom_field_save, customizable_types
    from sencrm.events.models import Event
    from sencrm.events.webhooks import services as webhook_services
    from sencrm.events.webhooks.delivery import deliveries_create
    from sencrm.sales import services as sales_services
    from sencrm.sales.models import Pipeline, Stage

    sales1, admin = org["sales1"], org["admin"]
    webhook, _secret = webhook_services.webhook_create(
        actor=admin, url="https://erp.example.vn/hook", event_types=["contact.created"]
    )
    contact = make_contact(full_name="Nguyễn Thị Ánh Tuyết", emails=["tuyet@example.vn"])
    other = make_contact(full_name="Trần Văn Bình", phones=["0903 123 456"])
    (delivery_id,) = deliveries_create(Event.objects.filter(type="contact.created").latest("id"))
    account = customer_services.account_create(
        actor=sales1, data={"name": "Công ty Ánh Dương"}, phones=["028 3822 1234"]
    )
    activity = activity_services.activity_create(
        actor=sales1, data={"kind": "call", "subject": "Gọi lại báo giá", "contact": contact}
    )
    lead = sales_services.lead_create(
        actor=sales1, data={"full_name": "Phạm Minh Khang", "company": "Cty Khang"}, phones=["0903 111 222"]
    )
    pipeline = Pipeline.objects.order_by("position").first()
    opportunity = sales_services.opportunity_create(
        actor=sales1, data={"name": "Điều hòa văn phòng", "amount": 50_000_000, "pipeline": pipeline}
    )
    field = custom_field_save(
        actor=admin,
        content_type=customizable_types()[0],
        key="nganh_hang",
        label="Ngành hàng",
        type="choice",
        options=["Điều hòa", "Tủ lạnh"],
    )
    return {
        "contacts": [contact.pk, other.pk],
        "accounts": [account.pk],
        "activities": [activity.pk],
        "leads": [lead.pk],
        "opportunities": [opportunity.pk],
        "pipelines": [pipeline.pk],
        "stages": [Stage.objects.filter(pipeline=pipeline).order_by("position").first().pk],
        "webhooks": [webhook.pk],
        "users": [sales1.pk, admin.pk],
        "teams": list(sales1.teams.values_list("pk", flat=True)),
        "custom-fields": [field.pk],
        "deliveries": [delivery_id],
    }


@pytest.fixture
def no_dns(monkeypatch):
    """Webhook URLs resolve to a public address without asking a real DNS server."""
    monkeypatch.setattr(
        "sencrm.events.webhooks.ssrf._getaddrinfo",
        lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))],
    )


def _point_at_records(case: Any, records: dict[str, list[int]]) -> None:
    collection = case.path.split("/")[3]  # /api/v1/<collection>/{id}/…
    for name, ids in (("id", records.get(collection)), ("delivery_id", records["deliveries"])):
        raw = case.path_parameters.get(name) if case.path_parameters else None
        key = raw if isinstance(raw, int) else len(raw) if isinstance(raw, str) else 0
        if ids and key % 3:
            case.path_parameters[name] = ids[key % len(ids)]


@pytest.fixture(params=["admin", "sales1"])
def bearer(request, org):
    from sencrm.users.services import api_token_create

    _token, raw = api_token_create(user=org[request.param], name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    phases=[Phase.generate, Phase.shrink],
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, bearer, records):
    _point_at_records(case, records)
    with transaction.atomic():
        case.call_and_validate(headers=bearer, checks=CHECKS)
        transaction.set_rollback(True)
