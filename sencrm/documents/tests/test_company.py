"""Administration → Company: the profile, its checks, the logo upload, the gate and the event."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from sencrm.core.exceptions import StaleRecord
from sencrm.documents import logos, services
from sencrm.documents.context import company_context
from sencrm.documents.models import CompanyProfile
from sencrm.documents.selectors import company_profile
from sencrm.events.models import Event

URL = "/settings/company/"
DATA = {
    "name": "Công ty TNHH Điều hòa Sen",
    "address": "Số 88 đường Trần Duy Hưng, phường Yên Hòa, Hà Nội",
    "tax_code": "0108123456",
    "phone": "024 3999 8888",
    "email": "KeToan@DieuHoaSen.vn",
    "website": "https://dieuhoasen.vn",
    "bank_account": "0011 0045 67890",
    "bank_name": "Vietcombank — CN Thăng Long",
    "bank_bin": "970436",
    "representative": "Phạm Quốc Huy",
    "representative_title": "Giám đốc",
}


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _image(fmt: str = "PNG", size: tuple[int, int] = (300, 120), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128 if mode == "L" else (15, 118, 110)).save(out, format=fmt)
    return out.getvalue()


def _upload(data: bytes, name: str = "logo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_an_administrator_fills_in_the_profile(org):
    profile = services.company_update(actor=org["admin"], changes=DATA, version=0)
    profile.refresh_from_db()
    assert profile.pk == CompanyProfile.SINGLETON_PK
    assert profile.name == "Công ty TNHH Điều hòa Sen"
    assert profile.email == "ketoan@dieuhoasen.vn"
    assert profile.phone == "024 3999 8888"
    assert profile.bank_account == "0011004567890"
    assert profile.version == 1
    event = Event.objects.get(type="company.updated")
    assert event.actor == org["admin"]
    assert event.data["changes"]["name"] == ["", "Công ty TNHH Điều hòa Sen"]
    assert company_context()["tax_code"] == "0108123456"


def test_a_save_without_changes_writes_nothing(org):
    services.company_update(actor=org["admin"], changes=DATA, version=0)
    services.company_update(actor=org["admin"], changes=DATA, version=1)
    assert Event.objects.filter(type="company.updated").count() == 1
    assert company_profile().version == 1


@pytest.mark.parametrize(
    ("code", "stored"),
    [("0108123456", "0108123456"), ("0108123456-001", "0108123456-001"), ("0108123456001", "0108123456-001"),
     ("010 812 3456", "0108123456")],
)  # fmt: skip
def test_tax_codes(org, code, stored):
    services.company_update(actor=org["admin"], changes={"tax_code": code}, version=None)
    assert company_profile().tax_code == stored


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tax_code", "12345"),
        ("tax_code", "0108123456-01"),
        ("tax_code", "01081234AB"),
        ("bank_bin", "97043"),
        ("bank_bin", "97043a"),
        ("bank_account", "12"),
        ("phone", "12"),
        ("email", "not-an-email"),
        ("website", "javascript:alert(1)"),
    ],
)
def test_bad_values_are_refused_by_field(org, field, value):
    with pytest.raises(ValidationError) as info:
        services.company_update(actor=org["admin"], changes={field: value}, version=None)
    assert field in info.value.message_dict
    assert not CompanyProfile.objects.filter(**{field: value}).exists()


def test_a_stale_save_is_refused(org):
    services.company_update(actor=org["admin"], changes={"name": "A"}, version=0)
    with pytest.raises(StaleRecord):
        services.company_update(actor=org["admin"], changes={"name": "B"}, version=0)
    assert company_profile().name == "A"


@pytest.mark.parametrize("username", ["manager", "sales1", "care", "board"])
def test_only_administrators_change_it(org, username):
    with pytest.raises(PermissionDenied):
        services.company_update(actor=org[username], changes={"name": "X"}, version=None)
    assert not CompanyProfile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_logo_is_checked_reencoded_and_stored_outside_the_web_root(org, settings):
    services.company_update(
        actor=org["admin"], changes={}, version=None, logo=_upload(_image(size=(3000, 900)))
    )
    profile = company_profile()
    path = logos.logo_path(profile.logo)
    assert path is not None and path.parent == settings.DATA_DIR / "company"
    assert not str(path).startswith(str(settings.MEDIA_ROOT)) and not str(path).startswith(
        str(settings.STATIC_ROOT)
    )
    stored = Image.open(path)
    assert stored.format == "PNG" and max(stored.size) == logos.MAX_LOGO_SIDE  # scaled down
    assert company_context()["logo"].startswith("data:image/png;base64,")
    # A new logo replaces the old file; removing it removes the file.
    services.company_update(
        actor=org["admin"], changes={}, version=None, logo=_upload(_image("JPEG"), "x.jpg", "image/jpeg")
    )
    assert not path.exists()
    jpeg = logos.logo_path(company_profile().logo)
    assert jpeg is not None and company_profile().logo_type == "jpeg"
    services.company_update(actor=org["admin"], changes={}, version=None, remove_logo=True)
    assert not jpeg.exists() and company_context()["logo"] == ""


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<?php system($_GET['c']); ?>", "shell.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.svg"),
        (b"GIF89a" + b"\x00" * 100, "logo.png"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "broken.png"),  # a PNG signature, then nothing valid
        (_image("GIF"), "anim.png"),
        (_image("BMP"), "logo.jpg"),
        (b"", "empty.png"),
    ],
)
def test_anything_but_a_png_or_jpeg_is_refused(org, data, name):
    with pytest.raises(ValidationError) as info:
        services.company_update(actor=org["admin"], changes={}, version=None, logo=_upload(data, name))
    assert "logo" in info.value.message_dict
    assert not CompanyProfile.objects.exclude(logo="").exists()


def test_a_polyglot_loses_its_payload(org, django_capture_on_commit_callbacks):
    payload = b"<script>alert(1)</script><?php echo 1; ?>"
    with django_capture_on_commit_callbacks(execute=True):
        services.company_update(
            actor=org["admin"], changes={}, version=None, logo=_upload(_image() + payload, "logo.png")
        )
    path = logos.logo_path(company_profile().logo)
    assert path is not None and payload not in path.read_bytes()


def test_large_and_bomb_images_are_refused(org, monkeypatch):
    too_big = _upload(b"\x00" * (logos.MAX_LOGO_BYTES + 1))
    with pytest.raises(ValidationError, match="lớn hơn 2 MB"):
        services.company_update(actor=org["admin"], changes={}, version=None, logo=too_big)
    # 5000 × 5000 pixels compress to a few kilobytes but would unpack to 75 MB.
    bomb = _upload(_image(size=(5000, 5000), mode="L"))
    assert bomb.size < 200_000
    with pytest.raises(ValidationError, match="4096"):
        services.company_update(actor=org["admin"], changes={}, version=None, logo=bomb)


# ---------------------------------------------------------------------------------------------
# The page


def test_the_page_saves_and_shows_the_logo(client_as, django_capture_on_commit_callbacks):
    client = client_as("admin")
    page = client.get(URL)
    assert page.status_code == 200
    assert b'data-testid="admin-tab-company"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**DATA, "version": 0, "logo": _upload(_image())})
    assert response.status_code == 302
    profile = company_profile()
    assert profile.name == DATA["name"] and profile.logo
    page = client.get(URL)
    assert "Công ty TNHH Điều hòa Sen".encode() in page.content
    logo = client.get(reverse("documents:company_logo"))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"


def test_bad_input_is_a_form_error_not_a_500(client_as):
    client = client_as("admin")
    response = client.post(URL, {**DATA, "tax_code": "123", "bank_bin": "12", "version": 0})
    assert response.status_code == 400
    assert b'data-testid="error-tax_code"' in response.content
    assert b'data-testid="error-bank_bin"' in response.content
    response = client.post(URL, {**DATA, "version": 0, "logo": _upload(b"<?php ?>", "x.png")})
    assert response.status_code == 400
    assert b'data-testid="error-logo"' in response.content
    assert not CompanyProfile.objects.exists()


def test_a_stale_page_is_a_409(client_as, org):
    services.company_update(actor=org["admin"], changes={"name": "A"}, version=0)
    response = client_as("admin").post(URL, {**DATA, "version": 0})
    assert response.status_code == 409
    assert company_profile().name == "A"


def test_names_are_escaped_on_the_page(client_as, org):
    services.company_update(actor=org["admin"], changes={"name": '"><img src=x onerror=alert(1)>'}, version=0)
    page = client_as("admin").get(URL)
    assert b"<img src=x onerror" not in page.content


@pytest.mark.parametrize("username", ["manager", "sales1", "marketing", "care", "tech", "board"])
def test_other_roles_get_a_403(client_as, username):
    client = client_as(username)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {**DATA, "version": 0}).status_code == 403
    assert client.get(reverse("documents:company_logo")).status_code == 403
    assert not CompanyProfile.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
