"""Leads keep consent as rows with a date and a source, like contacts (customers.Consent), instead of a
JSON field: the answers in the JSON move to sales.LeadConsent, then the field goes.

The new rows' related name is "consent_rows" while the JSON field `consents` still exists (the two names
would clash), and becomes "consents" once the field is gone.
"""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models
from django.utils.dateparse import parse_datetime

CHANNELS = {"email", "sms", "phone", "zalo"}
BATCH = 2000


def _when(value, fallback):
    when = None
    if isinstance(value, str):
        try:
            when = parse_datetime(value)
        except ValueError:
            when = None
    if when is None:
        return fallback
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def json_to_rows(apps, schema_editor):
    Lead = apps.get_model("sales", "Lead")
    LeadConsent = apps.get_model("sales", "LeadConsent")
    rows = []
    leads = Lead._base_manager.exclude(consents={}).values_list("pk", "created_at", "consents")
    for pk, created_at, consents in leads.iterator(chunk_size=BATCH):
        if not isinstance(consents, dict):
            continue
        for channel, answer in consents.items():
            if channel not in CHANNELS or not isinstance(answer, dict):
                continue
            if not isinstance(answer.get("granted"), bool):
                continue
            source = answer.get("source")
            rows.append(
                LeadConsent(
                    lead_id=pk,
                    channel=channel,
                    granted=answer["granted"],
                    # An answer without a readable date is dated when the lead was created.
                    recorded_at=_when(answer.get("at"), created_at),
                    source=(source if isinstance(source, str) else "")[:200],
                )
            )
        if len(rows) >= BATCH:
            LeadConsent.objects.bulk_create(rows)
            rows = []
    LeadConsent.objects.bulk_create(rows)


def rows_to_json(apps, schema_editor):
    Lead = apps.get_model("sales", "Lead")
    LeadConsent = apps.get_model("sales", "LeadConsent")
    answers: dict[int, dict] = {}
    for row in LeadConsent.objects.order_by("lead_id", "id").iterator(chunk_size=BATCH):
        answers.setdefault(row.lead_id, {})[row.channel] = {
            "granted": row.granted,
            "at": row.recorded_at.isoformat(),
            "source": row.source,
        }
    for pk, consents in answers.items():
        Lead._base_manager.filter(pk=pk).update(consents=consents)


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_opportunity_search_key")]

    operations = [
        migrations.CreateModel(
            name="LeadConsent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("email", "Email"),
                            ("sms", "SMS"),
                            ("phone", "Phone call"),
                            ("zalo", "Zalo"),
                        ],
                        max_length=10,
                        verbose_name="channel",
                    ),
                ),
                ("granted", models.BooleanField(verbose_name="granted")),
                ("recorded_at", models.DateTimeField(verbose_name="date")),
                ("source", models.CharField(blank=True, max_length=200, verbose_name="source")),
                (
                    "lead",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consent_rows",
                        to="sales.lead",
                    ),
                ),
            ],
            options={
                "verbose_name": "consent",
                "verbose_name_plural": "consents",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("lead", "channel"), name="sales_leadconsent_unique_lead_channel"
                    )
                ],
            },
        ),
        migrations.RunPython(json_to_rows, rows_to_json, elidable=False),
        migrations.RemoveField(model_name="lead", name="consents"),
        migrations.AlterField(
            model_name="leadconsent",
            name="lead",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="consents", to="sales.lead"
            ),
        ),
    ]
