"""After-sales settings: skills, technicians and checklists written through config_services (audited),
the pages (care and admin change them, a technician reads them, sales has no door), bad input (400 with
the reason), names escaped."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from sencrm.events.models import Event
from sencrm.fieldservice import config_services
from sencrm.fieldservice.models import ChecklistItem, Skill, Technician, WorkKind
from sencrm.fieldservice.tests.fs_helpers import tech2_fixture  # noqa: F401

XSS = '"><img src=x onerror=alert(1)>'
PAGES = [
    "fieldservice:config_index",
    "fieldservice:skill_list",
    "fieldservice:technician_list",
    "fieldservice:checklist_list",
]


@pytest.fixture(autouse=True)
def english(org):
    from sencrm.users.models import User

    User.objects.update(language="en")
    with translation.override("en"):
        yield


def test_skills_are_audited_and_unique(org):
    skill = config_services.skill_save(actor=org["care"], name="Lắp đặt điều hòa")
    config_services.skill_save(actor=org["care"], skill=skill, name="Lắp đặt điều hòa", active=False)
    config_services.skill_save(
        actor=org["care"], skill=skill, name="Lắp đặt điều hòa", active=False
    )  # no change
    types = list(
        Event.objects.filter(subject_id=skill.pk, type__startswith="fieldservice_skill")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == ["fieldservice_skill.created", "fieldservice_skill.updated"]
    with pytest.raises(ValidationError, match="already used"):
        config_services.skill_save(actor=org["admin"], name="lắp đặt điều hòa")
    with pytest.raises(PermissionDenied):
        config_services.skill_save(actor=org["tech"], name="Sửa máy giặt")


def test_a_skill_in_use_is_not_deleted(org):
    skill = config_services.skill_save(actor=org["care"], name="Điện lạnh")
    config_services.technician_save(actor=org["care"], user=org["tech"], skills=[skill])
    with pytest.raises(ValidationError, match="Technicians have it"):
        config_services.skill_delete(actor=org["care"], skill=skill)
    free = config_services.skill_save(actor=org["care"], name="Sửa máy giặt")
    config_services.skill_delete(actor=org["care"], skill=free)
    assert not Skill.objects.filter(pk=free.pk).exists()
    assert Event.objects.filter(type="fieldservice_skill.deleted").count() == 1


def test_technician_profiles(org, hanoi):
    skill = config_services.skill_save(actor=org["admin"], name="Điện lạnh")
    tech = config_services.technician_save(
        actor=org["admin"],
        user=org["tech"],
        skills=[skill],
        provinces=[hanoi],
        phone="0912345678",
        color="#FF8800",
    )
    assert (tech.phone, tech.color) == ("0912 345 678", "#ff8800")
    assert list(tech.skills.all()) == [skill] and list(tech.provinces.all()) == [hanoi]
    changed = config_services.technician_save(
        actor=org["admin"], technician=tech, user=org["tech"], active=False
    )
    event = Event.objects.get(type="fieldservice_technician.updated")
    assert not changed.active and set(event.data["changes"]) == {
        "active",
        "skills",
        "provinces",
        "phone",
        "color",
    }
    for bad, field in [({"color": "red"}, "colour"), ({"phone": "12"}, "phone")]:
        with pytest.raises(ValidationError, match=field):
            config_services.technician_save(actor=org["admin"], user=org["sales1"], **bad)
    with pytest.raises(ValidationError, match="already has a technician profile"):
        config_services.technician_save(actor=org["admin"], user=org["tech"])


def test_checklist_steps_go_last_and_move(org):
    a = config_services.checklist_save(actor=org["care"], kind=WorkKind.MAINTENANCE, text="Vệ sinh lưới lọc")
    b = config_services.checklist_save(actor=org["care"], kind=WorkKind.MAINTENANCE, text="Kiểm tra gas")
    assert (a.position, b.position) == (0, 1)
    config_services.checklist_move(actor=org["care"], item=b, up=True)
    order = list(
        ChecklistItem.objects.filter(kind=WorkKind.MAINTENANCE)
        .order_by("position")
        .values_list("text", flat=True)
    )
    assert order == ["Kiểm tra gas", "Vệ sinh lưới lọc"]
    with pytest.raises(ValidationError, match="Write the step"):
        config_services.checklist_save(actor=org["care"], kind=WorkKind.REPAIR, text="   ")
    config_services.checklist_delete(actor=org["care"], item=a)
    assert Event.objects.filter(type="fieldservice_checklist.deleted").count() == 1


@pytest.mark.parametrize("user", ["care", "admin"])
def test_care_and_admin_change_the_settings_on_the_pages(client_as, org, user):
    client = client_as(user)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.post(reverse("fieldservice:skill_create"), {"name": XSS, "active": "on"}).status_code == 302
    html = client.get(reverse("fieldservice:skill_list")).content.decode()
    assert XSS not in html and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    skill = Skill.objects.get()
    answer = client.post(
        reverse("fieldservice:technician_create"),
        {
            "user": org["tech"].pk,
            "skills": [skill.pk],
            "phone": "0912 345 678",
            "color": "#123456",
            "active": "on",
        },
    )
    assert answer.status_code == 302 and Technician.objects.get().skills.get() == skill
    step = {"kind": "maintenance", "text": "Đo dòng điện", "active": "on"}
    assert client.post(reverse("fieldservice:checklist_create"), step).status_code == 302
    assert "Đo dòng điện" in client.get(reverse("fieldservice:checklist_list")).content.decode()
    if user == "admin":
        assert (
            'data-testid="fieldservice-config-tabs"'
            in client.get(reverse("fieldservice:config_index")).content.decode()
        )


def test_bad_input_is_a_400_with_the_reason(client_as, org):
    client = client_as("care")
    Technician.objects.create(user=org["tech"])
    cases = [
        ("fieldservice:skill_create", {"name": ""}, "This field is required"),
        ("fieldservice:technician_create", {"user": org["sales1"].pk, "color": "blue"}, "#rrggbb"),
        ("fieldservice:technician_create", {"user": org["tech"].pk, "color": "#000000"}, "valid choice"),
        (
            "fieldservice:technician_create",
            {"user": "99999999999999999999", "color": "#000000"},
            "valid choice",
        ),
        ("fieldservice:checklist_create", {"kind": "painting", "text": "x"}, "valid choice"),
        ("fieldservice:checklist_create", {"kind": "repair", "text": "x", "position": -1}, "greater than"),
    ]
    for name, data, words in cases:
        answer = client.post(reverse(name), data)
        assert answer.status_code == 400 and words in answer.content.decode(), (name, data)
    assert Skill.objects.count() == ChecklistItem.objects.count() == 0 and Technician.objects.count() == 1


@pytest.mark.parametrize("user", ["tech", "tech2"])
def test_technicians_read_the_settings_but_change_nothing(client_as, org, tech2, user):
    skill = Skill.objects.create(name="Điện lạnh")
    tech2.language = "en"
    tech2.save(update_fields=["language"])
    org["tech2"] = tech2
    client = client_as(user)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    edit = client.get(reverse("fieldservice:skill_edit", args=[skill.pk])).content.decode()
    assert "disabled" in edit and 'data-testid="save"' not in edit
    assert client.get(reverse("fieldservice:skill_create")).status_code == 403
    assert client.post(reverse("fieldservice:skill_edit", args=[skill.pk]), {"name": "x"}).status_code == 403
    assert client.post(reverse("fieldservice:skill_delete", args=[skill.pk])).status_code == 403
    assert (
        client.post(reverse("fieldservice:checklist_create"), {"kind": "repair", "text": "x"}).status_code
        == 403
    )
    assert Skill.objects.get().name == "Điện lạnh" and not ChecklistItem.objects.exists()


def test_sales_has_no_door_to_the_settings(client_as):
    client = client_as("sales1")
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.post(reverse("fieldservice:skill_create"), {"name": "x"}).status_code == 403
    assert not Skill.objects.exists()
