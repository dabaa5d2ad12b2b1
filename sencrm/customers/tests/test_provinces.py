"""Province names as people write them → the province of 2025: the data file entry by entry, the 63
provinces before 2025, spellings with/without diacritics and prefixes, and the resolver's doors."""

from __future__ import annotations

import pytest

from sencrm.customers.choices import PROVINCES
from sencrm.customers.provinces import (
    DATA_FILE,
    KINDS,
    ProvinceChoiceField,
    key,
    province_code,
    province_resolve,
    read_aliases,
    table,
)

CODES = {code for code, _name in PROVINCES}
ALIASES = read_aliases()

# Resolution 202/2025/QH15, written out here independently of the data file: the 63 provinces and
# centrally-run cities before 1 July 2025 → the 2025 unit they belong to.
BEFORE_2025 = {
    "Hà Nội": "ha-noi", "Huế": "hue", "Thừa Thiên Huế": "hue", "Lai Châu": "lai-chau",
    "Điện Biên": "dien-bien", "Sơn La": "son-la", "Lạng Sơn": "lang-son", "Quảng Ninh": "quang-ninh",
    "Thanh Hóa": "thanh-hoa", "Nghệ An": "nghe-an", "Hà Tĩnh": "ha-tinh", "Cao Bằng": "cao-bang",
    "Tuyên Quang": "tuyen-quang", "Hà Giang": "tuyen-quang", "Lào Cai": "lao-cai", "Yên Bái": "lao-cai",
    "Thái Nguyên": "thai-nguyen", "Bắc Kạn": "thai-nguyen", "Phú Thọ": "phu-tho", "Vĩnh Phúc": "phu-tho",
    "Hòa Bình": "phu-tho", "Bắc Ninh": "bac-ninh", "Bắc Giang": "bac-ninh", "Hưng Yên": "hung-yen",
    "Thái Bình": "hung-yen", "Hải Phòng": "hai-phong", "Hải Dương": "hai-phong", "Ninh Bình": "ninh-binh",
    "Hà Nam": "ninh-binh", "Nam Định": "ninh-binh", "Quảng Trị": "quang-tri", "Quảng Bình": "quang-tri",
    "Đà Nẵng": "da-nang", "Quảng Nam": "da-nang", "Quảng Ngãi": "quang-ngai", "Kon Tum": "quang-ngai",
    "Gia Lai": "gia-lai", "Bình Định": "gia-lai", "Khánh Hòa": "khanh-hoa", "Ninh Thuận": "khanh-hoa",
    "Lâm Đồng": "lam-dong", "Đắk Nông": "lam-dong", "Bình Thuận": "lam-dong", "Đắk Lắk": "dak-lak",
    "Phú Yên": "dak-lak", "Hồ Chí Minh": "ho-chi-minh", "Bình Dương": "ho-chi-minh",
    "Bà Rịa - Vũng Tàu": "ho-chi-minh", "Đồng Nai": "dong-nai", "Bình Phước": "dong-nai",
    "Tây Ninh": "tay-ninh", "Long An": "tay-ninh", "Cần Thơ": "can-tho", "Sóc Trăng": "can-tho",
    "Hậu Giang": "can-tho", "Vĩnh Long": "vinh-long", "Bến Tre": "vinh-long", "Trà Vinh": "vinh-long",
    "Đồng Tháp": "dong-thap", "Tiền Giang": "dong-thap", "Cà Mau": "ca-mau", "Bạc Liêu": "ca-mau",
    "An Giang": "an-giang", "Kiên Giang": "an-giang",
}  # fmt: skip


def test_the_source_is_named_in_the_data_file():
    head = DATA_FILE.read_text(encoding="utf-8")[:1500]
    assert "202/2025/QH15" in head and "12 June 2025" in head


def test_there_are_34_provinces_of_2025_and_63_before():
    assert len(CODES) == 34
    assert len(set(BEFORE_2025) - {"Huế"}) == 63
    assert len([a for a in ALIASES if a.kind == "province"]) == 63


@pytest.mark.parametrize("alias", ALIASES, ids=lambda a: f"{a.line}:{a.name}")
def test_each_entry_resolves_to_a_2025_province(alias):
    assert alias.code in CODES, f"line {alias.line}: unknown code {alias.code}"
    assert alias.kind in KINDS, f"line {alias.line}: unknown kind {alias.kind}"
    assert province_code(alias.name) == alias.code
    assert province_code(key(alias.name)) == alias.code  # without diacritics, lower case


@pytest.mark.parametrize(("name", "code"), sorted(BEFORE_2025.items()))
def test_every_province_before_2025_is_in_the_file_and_merged_as_the_resolution_says(name, code):
    listed = {key(a.name): a.code for a in ALIASES if a.kind == "province"}
    if name != "Huế":  # Huế was "Thừa Thiên Huế" before 2025
        assert listed.get(key(name)) == code, f"{name} missing or mapped to {listed.get(key(name))}"
    assert province_code(name) == code
    assert province_code(f"Tỉnh {name}") == code


def test_no_name_points_at_two_provinces():
    assert table().conflicts == {}
    seen: dict[str, str] = {}
    for alias in ALIASES:
        assert seen.setdefault(key(alias.name), alias.code) == alias.code, alias.name


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tinh binh dinh", "gia-lai"),
        ("Tỉnh Bình Định", "gia-lai"),
        ("TP. Nha Trang", "khanh-hoa"),
        ("Thành phố Nha Trang", "khanh-hoa"),
        ("nha trang", "khanh-hoa"),
        ("Thu Duc", "ho-chi-minh"),
        ("TP. Thủ Đức", "ho-chi-minh"),
        ("Ba Ria - Vung Tau", "ho-chi-minh"),
        ("Bà Rịa-Vũng Tàu", "ho-chi-minh"),
        ("BR-VT", "ho-chi-minh"),
        ("Vũng Tàu", "ho-chi-minh"),
        ("TP.HCM", "ho-chi-minh"),
        ("TP. Hồ Chí Minh", "ho-chi-minh"),
        ("Ho Chi Minh City", "ho-chi-minh"),
        ("Sài Gòn", "ho-chi-minh"),
        ("Q.1", "ho-chi-minh"),
        ("Quận 7", "ho-chi-minh"),
        ("District 3", "ho-chi-minh"),
        ("Q. Bình Thạnh", "ho-chi-minh"),
        ("HN", "ha-noi"),
        ("Quận Cầu Giấy", "ha-noi"),
        ("Huyện Đông Anh", "ha-noi"),
        ("Hà Tây", "ha-noi"),
        ("Thừa Thiên - Huế", "hue"),
        ("Hue", "hue"),
        ("Danang", "da-nang"),
        ("Hội An", "da-nang"),
        ("Đà Lạt", "lam-dong"),
        ("Buôn Ma Thuột", "dak-lak"),
        ("Buon Me Thuot", "dak-lak"),
        ("Quy Nhơn", "gia-lai"),
        ("Vinh", "nghe-an"),
        ("Hạ Long", "quang-ninh"),
        ("Biên Hòa", "dong-nai"),
        ("Thủ Dầu Một", "ho-chi-minh"),
        ("Rạch Giá", "an-giang"),
        ("Phú Quốc", "an-giang"),
        ("Cà Mau", "ca-mau"),
        ("T. Kon Tum", "quang-ngai"),
        ("Hoà Bình", "phu-tho"),  # the older placement of the tone mark
        ("Đăk Lăk", "dak-lak"),
        ("Tịnh Biên", "an-giang"),  # starts like the prefix "Tỉnh": found before stripping
        ("Huyện Tĩnh Gia", "thanh-hoa"),
        ("Nha Trang, Khánh Hòa", "khanh-hoa"),
        ("Thủ Đức (TP.HCM)", "ho-chi-minh"),
        ("Hà Nội, Việt Nam", "ha-noi"),
        ("ho-chi-minh", "ho-chi-minh"),
        ("Gia Lai", "gia-lai"),
    ],
)
def test_spellings(text, code):
    assert province_code(text) == code


@pytest.mark.parametrize(
    "text", ["", "   ", "Gotham", "Thành phố", "Tỉnh", "Paris", "x" * 5000, "Châu Thành"]
)
def test_what_cannot_be_placed(text):
    assert province_code(text) is None


@pytest.mark.django_db
def test_the_resolver_answers_the_province_record(hanoi):
    from sencrm.customers.models import Province

    assert province_resolve("Bình Định") == Province.objects.get(code="gia-lai")
    assert province_resolve("ha-noi") == hanoi
    assert province_resolve("Gotham") is None


@pytest.mark.django_db
def test_the_form_field_takes_a_typed_name_and_keeps_an_unknown_one_when_asked(hanoi):
    from sencrm.customers.models import Province

    field = ProvinceChoiceField(queryset=Province.objects.all(), to_field_name="code", required=False)
    assert field.clean("khanh-hoa").code == "khanh-hoa"
    assert field.clean("Nha Trang").code == "khanh-hoa"
    with pytest.raises(Exception, match="Gotham"):
        field.clean("Gotham")
    lenient = ProvinceChoiceField(queryset=Province.objects.all(), keep_unknown=True, required=False)
    assert lenient.clean(str(hanoi.pk)) == hanoi
    assert lenient.clean("  Gotham   City ") == "Gotham City"
