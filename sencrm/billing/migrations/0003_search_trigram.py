from django.db import migrations

TABLES = {"billing_invoice": "billing_invoice_search_trgm", "billing_payment": "billing_payment_search_trgm"}



def create(apps, schema_editor):
    """PostgreSQL: trigram indexes for the invoices' and payments' search (LIKE '%…%' on the folded number and
    customer name), like the customers' and leads'. Nothing on SQLite."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, index in TABLES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin (search_key gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in TABLES.values():
            schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_invoice_open_index")]

    operations = [migrations.RunPython(create, drop)]
