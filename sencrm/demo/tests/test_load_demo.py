from __future__ import annotations

from django.core.management import call_command

from sencrm.events.models import Event
from sencrm.users.models import Role, Team, User


def test_load_demo_is_idempotent(db):
    call_command("load_demo")
    counts = (User.objects.count(), Team.objects.count(), Role.objects.count(), Event.objects.count())
    call_command("load_demo")
    assert (User.objects.count(), Team.objects.count(), Role.objects.count(), Event.objects.count()) == counts
    assert counts[:3] == (8, 2, 7)


def test_demo_organisation_matches_the_issue(db):
    call_command("load_demo")
    expected_roles = {
        "admin": "admin",
        "manager": "manager",
        "sales1": "sales",
        "sales2": "sales",
        "marketing": "marketing",
        "care": "care",
        "tech": "technician",
        "board": "board",
    }
    for username, role in expected_roles.items():
        user = User.objects.get(username=username)
        assert user.role.code == role and user.check_password("demo")
    assert set(Team.objects.get(name="Kinh doanh Hà Nội").members.values_list("username", flat=True)) == {
        "sales1",
        "manager",
    }
    assert set(Team.objects.get(name="Kinh doanh TP.HCM").members.values_list("username", flat=True)) == {
        "sales2"
    }
