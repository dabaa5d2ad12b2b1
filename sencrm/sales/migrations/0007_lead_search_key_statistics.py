from django.db import migrations

# As customers/0011: a 1,000-value histogram on the folded search key, so that PostgreSQL tells a
# common fragment from a rare one and picks the primary key walk or the trigram index accordingly.


def more_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE sales_lead ALTER COLUMN search_key SET STATISTICS 1000")
    schema_editor.execute("ANALYZE sales_lead")


def default_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE sales_lead ALTER COLUMN search_key SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("sales", "0006_lead_first_campaign_lead_latest_campaign_and_more")]

    operations = [migrations.RunPython(more_statistics, default_statistics)]
