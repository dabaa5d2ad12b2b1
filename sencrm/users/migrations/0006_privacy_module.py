from django.db import migrations, models

from sencrm.core.modules import Module


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0005_billing_module'),
    ]

    operations = [
        migrations.AlterField(
            model_name='grant',
            name='module',
            field=models.CharField(choices=Module.choices, max_length=20, verbose_name='module'),
        ),
    ]


# Built-in roles gain the personal-data-requests module; marketing reads every campaign's results and
# sales names campaigns on leads. Added only where missing, widened only where still the old default:
# an administrator's edits stay.
NEW_GRANTS = {
    "admin": [("privacy", a, "all") for a in ("view", "create", "edit", "delete", "export", "import")],
    "marketing": [("privacy", a, "all") for a in ("view", "create", "edit", "delete", "export", "import")]
    + [("reports", "export", "all")],
    "care": [("privacy", "view", "all"), ("privacy", "create", "all")],
    "sales": [("marketing", "view", "all")],
}
WIDENED = {
    "marketing": [
        ("marketing", "view", "own", "all"),
        ("marketing", "export", "own", "all"),
        ("reports", "view", "own", "all"),
    ]
}


def add_grants(apps, schema_editor):
    Role = apps.get_model("users", "Role")
    Grant = apps.get_model("users", "Grant")
    for role in Role.objects.filter(is_system=True, code__in=NEW_GRANTS):
        for module, action, scope in NEW_GRANTS[role.code]:
            Grant.objects.get_or_create(role=role, module=module, action=action, defaults={"scope": scope})
    for role in Role.objects.filter(is_system=True, code__in=WIDENED):
        for module, action, old, new in WIDENED[role.code]:
            Grant.objects.filter(role=role, module=module, action=action, scope=old).update(scope=new)


Migration.operations.append(migrations.RunPython(add_grants, migrations.RunPython.noop))
