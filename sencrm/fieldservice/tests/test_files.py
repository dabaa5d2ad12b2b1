"""Photos and signatures: only real images by content, size and pixel limits, re-encoded (no EXIF),
stored 0600 under a random name in DATA_DIR/fieldservice, streamed back only by that name."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import override_settings
from django.utils import timezone, translation
from PIL import Image

from sencrm.events.models import Event
from sencrm.fieldservice import files, services
from sencrm.fieldservice.models import WorkOrderPhoto
from sencrm.fieldservice.tests.fs_helpers import tech2_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def image_bytes(fmt="PNG", size=(40, 30), exif=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    if exif:
        data = Image.Exif()
        data[0x010F] = "Điện thoại của kỹ thuật viên"  # Make
        data[0x8825] = {2: (21.0, 1.0, 0.0)}  # GPS
        image.save(out, format=fmt, exif=data)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, name="anh.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def refused(call) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        call()
    return " ".join(caught.value.messages)


@pytest.fixture
def wo(org, make_contact, tech2):
    lan = make_contact(owner="care", full_name="Trần Thị Lan")
    wo = services.work_order_create(actor=org["care"], data={"title": "Sửa điều hòa", "contact": lan})
    start = timezone.now() + dt.timedelta(days=1)
    return services.work_order_schedule(wo, actor=org["care"], technician=org["tech"], start=start, end=None)


def test_a_real_png_is_accepted_and_re_encoded_to_jpeg(org, wo):
    photo = services.work_order_add_photo(
        wo, actor=org["tech"], upload=upload(image_bytes("PNG"), "a.png"), caption="Dàn nóng"
    )
    path = files.stored_path(photo.file)
    assert path is not None and path.parent == Path(os.environ["DATA_DIR"]) / "fieldservice"
    assert photo.file.endswith(".jpg") and len(photo.file) == 36
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Image.open(path) as stored:
        assert stored.format == "JPEG" and stored.size == (40, 30) == (photo.width, photo.height)
    assert Event.objects.get(type="work_order.photo_added", subject_id=wo.pk).data["caption"] == "Dàn nóng"


def test_exif_is_dropped_and_large_photos_are_scaled_down(org, wo):
    photo = services.work_order_add_photo(
        wo, actor=org["tech"], upload=upload(image_bytes("JPEG", (3000, 1500), exif=True))
    )
    with Image.open(files.stored_path(photo.file)) as stored:
        assert stored.size == (2000, 1000)
        assert not stored.getexif()
    webp = services.work_order_add_photo(wo, actor=org["tech"], upload=upload(image_bytes("WEBP"), "a.webp"))
    assert webp.width == 40


def test_a_50_mb_photo_is_refused(org, wo):
    big = upload(b"\xff\xd8" + b"\0" * (50 * 1024 * 1024))
    assert "larger than 10 MB" in refused(
        lambda: services.work_order_add_photo(wo, actor=org["tech"], upload=big)
    )
    assert not WorkOrderPhoto.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"#!/bin/sh\nrm -rf /\n",
        b"GIF89a" + b"\0" * 20,
        image_bytes("PNG")[:60],  # cut short
        b"",
    ],
    ids=["html", "svg", "script", "gif-header", "truncated-png", "empty"],
)
def test_what_is_not_a_photo_is_refused(org, wo, data):
    folder = files.storage_dir()
    stored = len(list(folder.iterdir()))
    message = refused(lambda: services.work_order_add_photo(wo, actor=org["tech"], upload=upload(data)))
    assert "JPEG, PNG or WebP" in message or "empty" in message
    assert not WorkOrderPhoto.objects.exists()
    assert len(list(folder.iterdir())) == stored


def test_a_decompression_bomb_is_refused(org, wo):
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, format="PNG")  # tiny file, 144 million pixels
    assert "pixels" in refused(lambda: files.store_photo(upload(out.getvalue(), "bomb.png")))


def test_the_size_limit_follows_the_setting(org, wo):
    with override_settings(FIELDSERVICE_PHOTO_MAX_MB=0):
        assert "larger than 0 MB" in refused(lambda: files.store_photo(upload(image_bytes())))


def test_a_signature_as_a_data_url_or_bytes(org, wo):
    data_url = "data:image/png;base64," + base64.b64encode(image_bytes("PNG")).decode()
    signed = services.work_order_sign(wo, actor=org["tech"], image=data_url, signed_by="Trần Thị Lan")
    assert (
        signed.signed_by == "Trần Thị Lan"
        and signed.signed_at is not None
        and signed.version == wo.version + 1
    )
    with Image.open(files.stored_path(signed.signature_file)) as stored:
        assert stored.format == "PNG"
    again = services.work_order_sign(wo, actor=org["tech"], image=image_bytes("PNG"), signed_by="Lan")
    assert again.signature_file != signed.signature_file
    assert Event.objects.filter(type="work_order.signed", subject_id=wo.pk).count() == 2


@pytest.mark.parametrize(
    "image",
    [
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode(),
        "data:image/png;base64,!!!notbase64",
        "data:image/png;base64," + base64.b64encode(b"<html></html>").decode(),
        image_bytes("JPEG"),
        "https://example.com/sig.png",
        b"",
    ],
    ids=["svg", "bad-base64", "html-as-png", "jpeg", "url", "empty"],
)
def test_a_signature_that_is_not_a_png_is_refused(org, wo, image):
    message = refused(lambda: services.work_order_sign(wo, actor=org["tech"], image=image, signed_by="Lan"))
    assert message == "The signature is not an image."
    wo.refresh_from_db()
    assert wo.signature_file == ""


def test_a_signature_too_large_or_unnamed_is_refused(org, wo):
    assert "too large" in refused(lambda: files.store_signature(b"\x89PNG" + b"\0" * (1024 * 1024 + 1)))
    assert "name" in refused(
        lambda: services.work_order_sign(wo, actor=org["tech"], image=image_bytes(), signed_by=" ")
    )


def test_responses_stream_by_name_only(org, wo):
    photo = services.work_order_add_photo(wo, actor=org["tech"], upload=upload(image_bytes()))
    response = files.photo_response(photo)
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    photo.file = "../../etc/passwd"
    with pytest.raises(Http404):
        files.photo_response(photo)
    with pytest.raises(Http404):
        files.signature_response(wo)  # not signed
    signed = services.work_order_sign(wo, actor=org["tech"], image=image_bytes(), signed_by="Lan")
    assert files.signature_response(signed)["Content-Type"] == "image/png"


def test_another_technician_cannot_add_a_photo(org, wo, tech2):
    with pytest.raises(Http404):
        services.work_order_add_photo(wo, actor=tech2, upload=upload(image_bytes()))
