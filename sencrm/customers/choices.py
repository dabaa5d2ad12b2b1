from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LifecycleStage(models.TextChoices):
    TARGET = "target", _("Target")
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    INACTIVE = "inactive", _("Inactive")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone call")
    ZALO = "zalo", _("Zalo")


class PhoneLabel(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    WORK = "work", _("Work")
    HOME = "home", pgettext_lazy("phone", "Home")
    OTHER = "other", _("Other")


# Stable codes of the default source channels (the API reads and writes them as `source`).
DEFAULT_SOURCES = [
    ("facebook", "Facebook Fanpage"),
    ("zalo", "Zalo"),
    ("website", "Website"),
    ("phone", "Điện thoại"),
    ("walk_in", "Khách đến cửa hàng"),
    ("referral", "Giới thiệu"),
    ("google_ads", "Google Ads"),
    ("other", "Khác"),
]

# The 34 provinces and centrally-run cities after the 2025 reorganisation (in force 1 July 2025).
PROVINCES = [
    ("ha-noi", "Hà Nội"), ("hue", "Huế"), ("hai-phong", "Hải Phòng"), ("da-nang", "Đà Nẵng"),
    ("ho-chi-minh", "TP. Hồ Chí Minh"), ("can-tho", "Cần Thơ"),
    ("cao-bang", "Cao Bằng"), ("dien-bien", "Điện Biên"), ("ha-tinh", "Hà Tĩnh"), ("lai-chau", "Lai Châu"),
    ("lang-son", "Lạng Sơn"), ("nghe-an", "Nghệ An"), ("quang-ninh", "Quảng Ninh"),
    ("thanh-hoa", "Thanh Hóa"), ("son-la", "Sơn La"),
    ("tuyen-quang", "Tuyên Quang"), ("lao-cai", "Lào Cai"), ("thai-nguyen", "Thái Nguyên"),
    ("phu-tho", "Phú Thọ"), ("bac-ninh", "Bắc Ninh"), ("hung-yen", "Hưng Yên"), ("ninh-binh", "Ninh Bình"),
    ("quang-tri", "Quảng Trị"), ("quang-ngai", "Quảng Ngãi"), ("gia-lai", "Gia Lai"),
    ("khanh-hoa", "Khánh Hòa"), ("lam-dong", "Lâm Đồng"), ("dak-lak", "Đắk Lắk"), ("dong-nai", "Đồng Nai"),
    ("tay-ninh", "Tây Ninh"), ("vinh-long", "Vĩnh Long"), ("dong-thap", "Đồng Tháp"), ("ca-mau", "Cà Mau"),
    ("an-giang", "An Giang"),
]  # fmt: skip


class Region(models.TextChoices):
    """The three regions (miền) that reports and segments group provinces by."""

    NORTH = "north", _("North (Bắc)")
    CENTRAL = "central", _("Central (Trung)")
    SOUTH = "south", _("South (Nam)")


# Each of the 34 provinces' region: the North down to Ninh Bình; the Centre from Thanh Hóa to Lâm Đồng,
# the Central Highlands included; the South from Đồng Nai and Tây Ninh to Cà Mau.
PROVINCE_REGIONS: dict[str, str] = {
    **dict.fromkeys(
        ("ha-noi", "hai-phong", "cao-bang", "dien-bien", "lai-chau", "lang-son", "quang-ninh", "son-la",
         "tuyen-quang", "lao-cai", "thai-nguyen", "phu-tho", "bac-ninh", "hung-yen", "ninh-binh"),
        Region.NORTH,
    ),
    **dict.fromkeys(
        ("thanh-hoa", "nghe-an", "ha-tinh", "quang-tri", "hue", "da-nang", "quang-ngai", "gia-lai",
         "khanh-hoa", "lam-dong", "dak-lak"),
        Region.CENTRAL,
    ),
    **dict.fromkeys(
        ("ho-chi-minh", "can-tho", "dong-nai", "tay-ninh", "vinh-long", "dong-thap", "ca-mau", "an-giang"),
        Region.SOUTH,
    ),
}  # fmt: skip


def provinces_of_region(region: str) -> list[str]:
    return [code for code, of in PROVINCE_REGIONS.items() if of == region]


def sync_reference_data(province_model: type[models.Model], source_model: type[models.Model]) -> None:
    """Create the provinces and default source channels that are missing (used by a migration too)."""
    for position, (code, name) in enumerate(PROVINCES):
        province_model._default_manager.get_or_create(
            code=code, defaults={"name": name, "position": position}
        )
    for position, (code, name) in enumerate(DEFAULT_SOURCES):
        source_model._default_manager.get_or_create(code=code, defaults={"name": name, "position": position})
