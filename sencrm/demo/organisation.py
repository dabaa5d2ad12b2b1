"""The demo company: an air-conditioner retailer with showrooms in Hà Nội and TP.HCM."""

from __future__ import annotations

from django.db import transaction

from sencrm.users import services
from sencrm.users.models import Role, Team, User

DEMO_PASSWORD = "demo"  # noqa: S105 - demo data only; real users get Django's password validation

TEAMS = {
    "Kinh doanh Hà Nội": "Đội bán hàng và tư vấn tại showroom Cầu Giấy, Hà Nội",
    "Kinh doanh TP.HCM": "Đội bán hàng và tư vấn tại showroom Quận 3, TP. Hồ Chí Minh",
}

# username: (full name, role code, teams, email)
USERS = {
    "admin": ("Phạm Quốc Huy", "admin", [], "huy.pham@dieuhoasen.vn"),
    "manager": ("Trần Thị Thu Hà", "manager", ["Kinh doanh Hà Nội"], "ha.tran@dieuhoasen.vn"),
    "sales1": ("Nguyễn Văn Nam", "sales", ["Kinh doanh Hà Nội"], "nam.nguyen@dieuhoasen.vn"),
    "sales2": ("Lê Thị Mai Anh", "sales", ["Kinh doanh TP.HCM"], "anh.le@dieuhoasen.vn"),
    "marketing": ("Đặng Minh Tuấn", "marketing", [], "tuan.dang@dieuhoasen.vn"),
    "care": ("Võ Thị Hồng Nhung", "care", [], "nhung.vo@dieuhoasen.vn"),
    "tech": ("Bùi Đức Thắng", "technician", [], "thang.bui@dieuhoasen.vn"),
    "accountant": ("Ngô Thị Lan", "accountant", [], "lan.ngo@dieuhoasen.vn"),
    "board": ("Hoàng Văn Sơn", "board", [], "son.hoang@dieuhoasen.vn"),
}


@transaction.atomic
def load_organisation() -> dict[str, User]:
    """Roles, teams and the demo users; running it again changes nothing."""
    services.roles_sync_defaults()
    teams = {}
    for name, description in TEAMS.items():
        team = Team.objects.filter(name=name).first()
        teams[name] = team or services.team_save(actor=None, name=name, description=description)
    users = {}
    for username, (full_name, role_code, team_names, email) in USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_create(
                actor=None,
                username=username,
                password=DEMO_PASSWORD,
                full_name=full_name,
                email=email,
                role=Role.objects.get(code=role_code),
                teams=[teams[t] for t in team_names],
                validate=False,
            )
        users[username] = user
    return users
