from django.db import migrations

# Search is `search_key LIKE '%…%' ORDER BY id DESC LIMIT n`. With the default 100-value statistics
# PostgreSQL guesses ~10 matches for any fragment: a common one ("hung": 4 % of the contacts) is then
# read through the trigram index and sorted (13 ms at 100,000 contacts, growing with the table) instead
# of walking the primary key backwards until the page is full (1 ms). A 1,000-value histogram lets it
# tell "hung" from a whole name (docs/benchmarks.md, "Search plans").
TABLES = ("customers_contact", "customers_account")


def more_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN search_key SET STATISTICS 1000")
        schema_editor.execute(f"ANALYZE {table}")


def default_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN search_key SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_first_receipt_at_index")]

    operations = [migrations.RunPython(more_statistics, default_statistics)]
