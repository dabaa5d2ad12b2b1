from django.db import migrations, models


def fill_and_index(apps, schema_editor):
    """Fold the names of the deals that exist; PostgreSQL: a trigram index for LIKE '%…%'."""
    from sencrm.core.text import fold

    Opportunity = apps.get_model("sales", "Opportunity")
    batch = []
    for pk, name in Opportunity.objects.values_list("pk", "name").iterator(chunk_size=2000):
        batch.append(Opportunity(pk=pk, search_key=fold(name)))
        if len(batch) >= 2000:
            Opportunity.objects.bulk_update(batch, ["search_key"])
            batch = []
    Opportunity.objects.bulk_update(batch, ["search_key"])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS sales_opp_search_trgm ON sales_opportunity "
            "USING gin (search_key gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS sales_opp_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_lead_search_trigram")]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="search_key",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_and_index, drop_index),
    ]
