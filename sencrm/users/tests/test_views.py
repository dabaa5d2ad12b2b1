"""Sign-in, lockout, language, navigation by role and the administration pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sencrm.events.models import Event
from sencrm.users.models import Role, Team, User

XSS = '"><img src=x onerror=alert(1)>'


def login_post(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_logout(org, client):
    response = login_post(client, "sales1", "demo")
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert "Nguyễn Văn Nam" in home.content.decode()
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_message_in_vietnamese(org, client):
    response = login_post(client, "sales1", "wrong")
    assert response.status_code == 200
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.content.decode()


def test_repeated_failed_logins_lock_the_account(org, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, "sales1", "wrong")
    locked = login_post(client, "sales1", "demo")
    assert locked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in locked.content.decode() or "quá nhiều" in locked.content.decode()
    # Another address still cannot sign in as the locked user (lockout by user name too).
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert login_post(other, "sales1", "demo").status_code == 429


def test_session_id_rotates_on_login(org, client):
    client.get(reverse("login"))
    client.cookies["sessionid"] = "attacker-chosen"
    login_post(client, "sales1", "demo")
    assert client.cookies["sessionid"].value != "attacker-chosen"


def test_login_needs_a_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "sales1", "password": "demo"})
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.content.decode() or "hết hạn" in response.content.decode()


@pytest.mark.parametrize(
    ("username", "present", "absent"),
    [
        ("admin", ["home", "users:user_list", "events:log", "events:trash"], []),
        ("manager", ["home", "events:trash"], ["users:user_list", "events:log"]),
        ("sales1", ["home", "events:trash"], ["users:user_list", "events:log"]),
        ("board", ["home"], ["users:user_list", "events:trash", "events:log"]),
        ("care", ["home"], ["users:user_list", "events:trash"]),
        ("tech", ["home"], ["users:user_list", "events:trash"]),
    ],
)
def test_navigation_follows_the_role(client_as, username, present, absent):
    html = client_as(username).get("/").content.decode()
    for name in present:
        assert f'data-nav="{name}"' in html
    for name in absent:
        assert f'data-nav="{name}"' not in html


@pytest.mark.parametrize("url_name", ["users:user_list", "users:team_list", "users:role_list", "events:log"])
def test_administration_pages_are_for_administrators_only(client_as, url_name):
    assert client_as("sales1").get(reverse(url_name)).status_code == 403
    assert client_as("board").get(reverse(url_name)).status_code == 403


def test_language_switch_is_saved_on_the_user(client_as, org):
    client = client_as("sales1")
    assert 'lang="vi"' in client.get("/").content.decode()
    response = client.post(reverse("users:set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Hello" in page
    assert User.objects.get(username="sales1").language == "en"


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(client_as):
    client = client_as("sales1")
    response = client.post(reverse("users:set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    response = client.post(reverse("users:set_language"), {"language": "xx'; DROP TABLE", "next": "/"})
    assert response.status_code == 302
    assert User.objects.get(username="sales1").language == "en"  # unchanged by the bogus value


def test_profile_time_zone_must_be_a_real_zone(client_as, org):
    client = client_as("sales1")
    bad = client.post(
        reverse("users:profile"),
        {"form": "preferences", "language": "vi", "time_zone": "UTC'); SELECT pg_sleep(5);--"},
    )
    assert bad.status_code == 200 and "Hãy chọn một lựa chọn hợp lệ" in bad.content.decode()
    assert User.objects.get(username="sales1").time_zone == "Asia/Ho_Chi_Minh"
    ok = client.post(
        reverse("users:profile"), {"form": "preferences", "language": "vi", "time_zone": "Europe/Berlin"}
    )
    assert ok.status_code == 302
    assert User.objects.get(username="sales1").time_zone == "Europe/Berlin"


def test_admin_creates_a_user_with_password_validation(client_as, org):
    client = client_as("admin")
    sales = Role.objects.get(code="sales")
    hcm = Team.objects.get(name="Kinh doanh TP.HCM")
    data = {
        "username": "sales3",
        "full_name": "Phan Thị Lan",
        "email": "Lan@Example.vn",
        "role": sales.pk,
        "teams": [hcm.pk],
        "language": "vi",
        "time_zone": "Asia/Ho_Chi_Minh",
        "is_active": "on",
        "password": "123",
    }
    weak = client.post(reverse("users:user_create"), data)
    assert weak.status_code == 400 and not User.objects.filter(username="sales3").exists()
    data["password"] = "Sen-CRM-2026-an-toan"
    assert client.post(reverse("users:user_create"), data).status_code == 302
    user = User.objects.get(username="sales3")
    assert user.role == sales and list(user.teams.all()) == [hcm] and user.email == "lan@example.vn"
    assert user.check_password("Sen-CRM-2026-an-toan")
    event = Event.objects.get(type="user.created", subject_id=user.pk)
    assert event.actor == org["admin"]
    assert "password" not in str(event.data)


def test_admin_edit_is_audited_and_mass_assignment_is_ignored(client_as, org):
    client = client_as("admin")
    sales1 = org["sales1"]
    data = {
        "username": "sales1",
        "full_name": "Nguyễn Văn Nam",
        "email": "",
        "role": Role.objects.get(code="manager").pk,
        "language": "vi",
        "time_zone": "Asia/Ho_Chi_Minh",
        "is_active": "on",
        "is_superuser": "on",
        "is_staff": "on",
    }
    assert client.post(reverse("users:user_edit", args=[sales1.pk]), data).status_code == 302
    sales1.refresh_from_db()
    assert sales1.role.code == "manager" and not sales1.is_superuser and not sales1.is_staff
    event = Event.objects.get(type="user.updated", subject_id=sales1.pk)
    assert event.data["changes"]["role"][1] == sales1.role_id
    history = client.get(reverse("events:user_audit", args=[sales1.pk])).content.decode()
    assert "Cập nhật người dùng" in history and str(sales1.role) in history  # words, not codes or ids


def test_admin_cannot_deactivate_themself(client_as, org):
    client = client_as("admin")
    admin = org["admin"]
    data = {
        "username": "admin",
        "full_name": admin.full_name,
        "role": admin.role_id,
        "language": "vi",
        "time_zone": "Asia/Ho_Chi_Minh",
    }  # is_active unchecked
    response = client.post(reverse("users:user_edit", args=[admin.pk]), data)
    assert response.status_code == 400
    admin.refresh_from_db()
    assert admin.is_active


def test_names_are_escaped_everywhere_they_are_shown(client_as, org):
    client = client_as("admin")
    team_data = {"name": XSS, "description": XSS, "members": [org["sales1"].pk]}
    assert client.post(reverse("users:team_create"), team_data).status_code == 302
    for url in [reverse("users:team_list"), reverse("events:log")]:
        html = client.get(url).content.decode()
        assert "<img src=x" not in html and "&lt;img src=x" in html


def test_team_names_are_unique_whatever_the_case(client_as):
    client = client_as("admin")
    response = client.post(reverse("users:team_create"), {"name": "kinh doanh hà nội"})
    assert response.status_code == 400
    assert Team.objects.filter(name__iexact="kinh doanh hà nội").count() == 1


def test_admin_edits_a_role_grant_matrix(client_as, org):
    client = client_as("admin")
    board = Role.objects.get(code="board")
    form = {"name": "Board", "description": "", "g_customers_view": "all", "g_reports_view": "all"}
    assert client.post(reverse("users:role_edit", args=[board.pk]), form).status_code == 302
    board_user = User.objects.get(username="board")
    assert board_user.access_scope("customers", "view") == "all"
    assert board_user.access_scope("reports", "export") is None
    bogus = client.post(
        reverse("users:role_edit", args=[board.pk]), {"name": "Board", "g_reports_view": "galaxy"}
    )
    assert bogus.status_code == 400


def test_admin_cannot_strip_administration_from_their_own_role(client_as, org):
    client = client_as("admin")
    admin_role = Role.objects.get(code="admin")
    response = client.post(reverse("users:role_edit", args=[admin_role.pk]), {"name": "Administrator"})
    assert response.status_code == 400
    assert org["admin"].access_scope("admin", "edit") == "all"


def test_editing_a_built_in_role_keeps_it_translatable(client_as):
    from django.utils import translation
    from django.utils.translation import gettext

    client = client_as("admin")
    sales = Role.objects.get(code="sales")
    assert 'value="Kinh doanh"' in client.get(reverse("users:role_edit", args=[sales.pk])).content.decode()
    with translation.override("vi"):
        description = gettext(sales.description)
    form = {"name": "Kinh doanh", "description": description, "g_customers_view": "own"}
    assert client.post(reverse("users:role_edit", args=[sales.pk]), form).status_code == 302
    sales.refresh_from_db()
    assert (sales.name, sales.description) == ("Sales", DEFAULT_DESCRIPTION)
    with translation.override("en"):
        assert str(sales) == "Sales"


DEFAULT_DESCRIPTION = "Works with their own customers, leads, opportunities, quotes and orders."
