"""Older language and time-zone switches were logged as `user.updated`; they are settings changes
(`user.preferences_changed`), which the audit views leave out (docs/decisions.md, "History reads")."""

from django.db import migrations

PREFERENCE_FIELDS = {"language", "time_zone"}


def retype(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    ids = [
        pk
        for pk, data in Event.objects.filter(type="user.updated").values_list("pk", "data").iterator()
        if isinstance(data, dict)
        and isinstance(data.get("changes"), dict)
        and data["changes"]
        and set(data["changes"]) <= PREFERENCE_FIELDS
    ]
    for start in range(0, len(ids), 500):
        Event.objects.filter(pk__in=ids[start : start + 500]).update(type="user.preferences_changed")


class Migration(migrations.Migration):
    dependencies = [("events", "0005_event_loose_references")]

    operations = [migrations.RunPython(retype, migrations.RunPython.noop)]
