from django.db import migrations


def load(apps, schema_editor):
    from sencrm.sales.defaults import sync_sales_defaults

    sync_sales_defaults(
        apps.get_model("sales", "Pipeline"),
        apps.get_model("sales", "Stage"),
        apps.get_model("sales", "ScoringRule"),
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
