"""The 34 provinces (2025), the default source channels, and trigram indexes on PostgreSQL."""

from django.db import migrations

from sencrm.customers.choices import sync_reference_data


def load_reference_data(apps, schema_editor):
    sync_reference_data(apps.get_model("customers", "Province"), apps.get_model("customers", "SourceChannel"))


def trigram_indexes(apps, schema_editor):
    # PostgreSQL only: folded search keys are matched with LIKE '%…%', which a trigram GIN index
    # serves; SQLite scans the (small) table instead.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in ("customers_contact", "customers_account"):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_trgm ON {table} USING gin (search_key gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("customers_contact", "customers_account"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        migrations.RunPython(load_reference_data, migrations.RunPython.noop),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
