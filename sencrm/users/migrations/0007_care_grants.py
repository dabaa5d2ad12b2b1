from django.db import migrations

# Technicians answer second-line tickets (tuyến 2): they see, open and work the tickets of the queues
# they are members of (team scope; see support.Ticket.access_q). Added only where missing.
# Care creates the contact of a caller nobody knows yet (the screen pop's quick-create form).
NEW_GRANTS = {
    "technician": [("support", a, "team") for a in ("view", "create", "edit")],
    "care": [("customers", "create", "own"), ("customers", "edit", "own")],
}


def add_grants(apps, schema_editor):
    Role = apps.get_model("users", "Role")
    Grant = apps.get_model("users", "Grant")
    for role in Role.objects.filter(is_system=True, code__in=NEW_GRANTS):
        for module, action, scope in NEW_GRANTS[role.code]:
            Grant.objects.get_or_create(role=role, module=module, action=action, defaults={"scope": scope})


class Migration(migrations.Migration):
    dependencies = [("users", "0006_privacy_module")]

    operations = [migrations.RunPython(add_grants, migrations.RunPython.noop)]
