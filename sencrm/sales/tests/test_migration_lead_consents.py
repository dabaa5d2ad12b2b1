"""The migration that moves leads' consent from a JSON field to rows keeps every answer, its date and source,
and goes back the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("sales", "0004_opportunity_search_key")]
AFTER = [("sales", "0005_lead_consent_rows")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_json_consents_become_rows_and_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = _migrate(BEFORE)
        User = apps.get_model("users", "User")
        Lead = apps.get_model("sales", "Lead")
        owner = User.objects.create(username="migration-owner")
        created = dt.datetime(2025, 8, 10, 7, 25, tzinfo=dt.UTC)
        answered = Lead.objects.create(
            owner=owner,
            full_name="Trần Thị Thu Hương",
            created_at=created,
            consents={
                "email": {"granted": True, "at": "2025-08-01T02:40:00+00:00", "source": "Fanpage: đồng ý"},
                "phone": {"granted": False, "source": "Từ chối"},  # no date: dated when the lead was made
                "fax": {"granted": True},  # not a channel: dropped
                "zalo": {"granted": "yes"},  # not an answer: dropped
            },
        )
        silent = Lead.objects.create(owner=owner, full_name="Không hỏi", consents={})

        apps = _migrate(AFTER)
        LeadConsent = apps.get_model("sales", "LeadConsent")
        rows = {
            c.channel: (c.granted, c.recorded_at, c.source)
            for c in LeadConsent.objects.filter(lead_id=answered.pk)
        }
        assert rows == {
            "email": (True, dt.datetime(2025, 8, 1, 2, 40, tzinfo=dt.UTC), "Fanpage: đồng ý"),
            "phone": (False, created, "Từ chối"),
        }
        assert not LeadConsent.objects.filter(lead_id=silent.pk).exists()
        assert "consents" not in {f.name for f in apps.get_model("sales", "Lead")._meta.concrete_fields}

        apps = _migrate(BEFORE)
        back = apps.get_model("sales", "Lead").objects.get(pk=answered.pk).consents
        assert back == {
            "email": {"granted": True, "at": "2025-08-01T02:40:00+00:00", "source": "Fanpage: đồng ý"},
            "phone": {"granted": False, "at": created.isoformat(), "source": "Từ chối"},
        }
    finally:
        _migrate(latest)
