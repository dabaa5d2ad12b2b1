from django.db import migrations


def trigram_index(apps, schema_editor):
    # PostgreSQL only: leads are searched with LIKE '%…%' on the folded key, as contacts are.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS sales_lead_search_trgm ON sales_lead USING gin (search_key gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS sales_lead_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_default_pipelines_and_rules")]

    operations = [migrations.RunPython(trigram_index, drop_trigram_index)]
