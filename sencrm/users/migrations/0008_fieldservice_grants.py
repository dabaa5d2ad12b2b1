from django.db import migrations

# Care dispatches field work: it creates work orders from tickets, books technicians on the dispatch
# board and records installed products. Added only where missing; an existing grant is widened to "all".
NEW_GRANTS = {
    "care": [("fieldservice", a, "all") for a in ("view", "create", "edit", "export")],
}


def add_grants(apps, schema_editor):
    Role = apps.get_model("users", "Role")
    Grant = apps.get_model("users", "Grant")
    for role in Role.objects.filter(is_system=True, code__in=NEW_GRANTS):
        for module, action, scope in NEW_GRANTS[role.code]:
            grant, created = Grant.objects.get_or_create(
                role=role, module=module, action=action, defaults={"scope": scope}
            )
            if not created and grant.scope != scope:
                grant.scope = scope
                grant.save(update_fields=["scope"])


class Migration(migrations.Migration):
    dependencies = [("users", "0007_care_grants")]

    operations = [migrations.RunPython(add_grants, migrations.RunPython.noop)]
