"""The counts of an import say what happened to the rows ("Đã tạo"), not a date ("Ngày tạo"): the two
meanings of "Created" have their own messages (pgettext contexts, docs/glossary.md)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sencrm.imports.models import ImportJob

pytestmark = pytest.mark.django_db

COUNTS = ["Đã tạo", "Đã cập nhật", "Bỏ qua", "Bị từ chối"]


@pytest.fixture
def finished_job(org):
    return ImportJob.objects.create(
        created_by=org["manager"],
        target="contacts",
        file_name="khach-hang.csv",
        status="done",
        created=3,
        updated=2,
        skipped=1,
        rejected=1,
    )


@pytest.mark.parametrize("url_name", ["imports:import_list", "imports:import_job"])
def test_import_counts_are_labelled_as_counts(client_as, finished_job, url_name):
    args = [finished_job.pk] if url_name == "imports:import_job" else []
    response = client_as("manager").get(reverse(url_name, args=args))
    assert response.status_code == 200
    html = response.content.decode()
    for label in COUNTS:
        assert label in html, label
    assert "Ngày tạo" not in html and "Ngày cập nhật" not in html


def test_a_creation_date_is_still_a_date(client_as, make_contact):
    contact = make_contact()
    html = client_as("sales1").get(contact.get_absolute_url()).content.decode()
    assert "Ngày tạo" in html and "Đã tạo" not in html
