"""Products through the import engine: cells read the Vietnamese way, rows written through the catalogue's
services, every bad row reported with its line, duplicates skipped or updated, undo, and the gate."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from sencrm.catalog import services
from sencrm.catalog.models import Category, Product
from sencrm.customers import services as customer_services
from sencrm.events.models import Event
from sencrm.imports import jobs, products, runner
from sencrm.imports.models import ImportJob, ImportStatus
from sencrm.imports.values import CellError

HEADER = [
    "Mã sản phẩm",
    "Tên sản phẩm",
    "Danh mục",
    "ĐVT",
    "Loại",
    "Giá bán",
    "Thuế suất",
    "Giảm thuế",
    "Bảo hành",
    "Bảo trì",
    "Nhà cung cấp",
    "Đang bán",
]
GOOD = [
    ["dh-12", "Điều hòa Daikin 12.000 BTU", "Điều hòa > Treo tường", "bộ", "hàng hóa", "12.500.000", "10%",
     "có", "24", "6", "Công ty Daikin Việt Nam", "có"],
    ["LD-01", "Công lắp đặt", "Dịch vụ", "lần", "Dịch vụ", "500000", "8", "không", "0", "0", "", "có"],
    ["BD-01", "Bảo dưỡng định kỳ", "Dịch vụ › Bảo dưỡng", "lần", "DV", "250,000", "kct", "", "", "12",
     "0101234567", "1"],
]  # fmt: skip


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the source language); the app runs in Vietnamese by default."""
    with translation.override("en"):
        yield


@pytest.fixture
def suppliers(org):
    manager = org["manager"]
    return {
        "daikin": customer_services.account_create(
            actor=manager, data={"name": "Công ty Daikin Việt Nam", "is_supplier": True}
        ),
        "gree": customer_services.account_create(
            actor=manager, data={"name": "Công ty Gree", "tax_code": "0101234567", "is_supplier": True}
        ),
        # A customer, not a supplier: a product may not name it.
        "customer": customer_services.account_create(actor=manager, data={"name": "Khách sạn Sen Vàng"}),
        # A supplier the importer may not view (another team's account).
        "hidden": customer_services.account_create(
            actor=org["sales2"], data={"name": "Nhà cung cấp phía Nam", "is_supplier": True}
        ),
    }


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def do_import(user, path: Path, mode: str = "skip") -> ImportJob:
    job = jobs.job_create(user=user, target="products", file_name=path.name, path=path)
    assert job.mapping.count("") == 0, job.mapping  # every column is recognised
    job.dedupe_mode = mode
    job.save()
    job = runner.run(job, user, path)
    assert job.status == ImportStatus.DONE
    assert job.rows_read == job.created + job.updated + job.skipped + job.rejected  # the report adds up
    return job


def rejected(job: ImportJob) -> dict[int, str]:
    return {e.line: e.message for e in job.row_errors.filter(skipped=False, warning=False)}


def notes(job: ImportJob) -> dict[int, str]:
    return {e.line: e.message for e in job.row_errors.filter(skipped=True)}


def test_good_rows_land_and_every_bad_row_is_reported_with_its_line(org, suppliers, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    services.product_create(actor=org["manager"], data={"code": "DT-01", "name": "Đào tạo vận hành"})
    bad = [
        [
            "DH-12",
            "Điều hòa Daikin (lặp lại)",
            "",
            "bộ",
            "",
            "13.000.000",
            "10",
            "",
            "",
            "",
            "",
            "",
        ],  # line 5
        ["XX-01", "Thuế sai", "", "cái", "", "100000", "7%", "", "", "", "", ""],  # line 6
        ["XX-02", "Giá âm", "", "cái", "", "-100", "10", "", "", "", "", ""],  # line 7
        ["XX-03", "NCC lạ", "", "cái", "", "100000", "10", "", "", "", "Công ty Ma", ""],  # line 8
        ["XX-04", "Khách, không phải NCC", "", "cái", "", "1", "10", "", "", "", "Khách sạn Sen Vàng", ""],
        ["XX-05", "NCC đội khác", "", "cái", "", "1", "10", "", "", "", "Nhà cung cấp phía Nam", ""],
        ["DT-01", "Đào tạo (đã có)", "", "giờ", "", "300000", "KCT", "", "", "", "", ""],  # line 11
        ["XX-06", "Bảo hành quá dài", "", "cái", "", "1", "10", "", "601", "", "", ""],  # line 12
        ["", "Không có mã", "", "cái", "", "1", "10", "", "", "", "", ""],  # line 13
        ["XX-07", "Loại lạ", "", "cái", "hàng mượn", "1", "10", "", "", "", "", "có"],  # line 14
    ]
    path = write_csv(tmp_path / "san-pham.csv", GOOD + bad)
    job = do_import(org["manager"], path)
    assert (job.created, job.updated, job.skipped, job.rejected) == (3, 0, 2, 8)
    assert set(Product.objects.values_list("code", flat=True)) == {"DH-12", "LD-01", "BD-01", "DT-01"}
    errors = rejected(job)
    assert set(errors) == {6, 7, 8, 9, 10, 12, 13, 14}
    assert "VAT rate" in errors[6] and "7%" in errors[6]
    assert "price" in errors[7] and "10^15" in errors[7]
    assert "Công ty Ma" in errors[8]
    assert "Khách sạn Sen Vàng" in errors[9]  # an account, but not a supplier
    assert "Nhà cung cấp phía Nam" in errors[10]  # a supplier the importer may not view
    assert "600" in errors[12]
    assert "code is missing" in errors[13]
    assert "hàng mượn" in errors[14]
    skipped = notes(job)  # duplicates are listed with their line and code too
    assert "DH-12" in skipped[5] and "earlier row" in skipped[5]
    assert "DT-01" in skipped[11] and "already in the CRM" in skipped[11]
    # The rejected rows' file: the original columns and the reason, ready to fix and import again.
    assert job.row_errors.get(line=6).cells[:2] == ["XX-01", "Thuế sai"]

    split = Product.objects.select_related("category__parent", "supplier").get(code="DH-12")
    assert split.name == "Điều hòa Daikin 12.000 BTU" and split.unit == "bộ" and split.kind == "goods"
    assert split.category.path == "Điều hòa › Treo tường"
    assert (split.list_price, split.vat_rate, split.vat_reducible) == (Decimal(12_500_000), "10", True)
    assert (split.warranty_months, split.maintenance_months) == (24, 6)
    assert split.supplier == suppliers["daikin"] and split.active
    assert split.search_key  # derived by the service
    care = Product.objects.get(code="BD-01")
    assert care.supplier == suppliers["gree"]  # found by its tax code
    assert (care.kind, care.list_price, care.vat_rate, care.maintenance_months) == (
        "service",
        250_000,
        "KCT",
        12,
    )
    assert care.category.path == "Dịch vụ › Bảo dưỡng"
    assert Category.objects.filter(name="Dịch vụ", parent=None).count() == 1  # created once, shared
    # Written by the service: its event, naming the import as the door.
    event = Event.objects.get(
        subject_type=ContentType.objects.get_for_model(Product), subject_id=split.pk, type="product.created"
    )
    assert event.actor == org["manager"] and event.actor_label == f"system:import#{job.pk}"
    assert event.data["record"]["code"] == "DH-12"


def test_the_preview_counts_and_names_the_categories_to_create(org, suppliers, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    path = write_csv(tmp_path / "san-pham.csv", [*GOOD, ["XX", "Thuế sai", "", "", "", "1", "7", *[""] * 5]])
    job = jobs.job_create(user=org["manager"], target="products", file_name=path.name, path=path)
    counts = runner.analyse(job, org["manager"], path)
    assert (counts["total"], counts["new"], counts["invalid"]) == (4, 3, 1)
    assert counts["new_categories"] == ["Dịch vụ", "Dịch vụ › Bảo dưỡng", "Điều hòa > Treo tường"]
    assert not Product.objects.exists() and not Category.objects.exists()  # nothing written


def test_importing_again_skips_or_updates_instead_of_duplicating(org, suppliers, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    first = do_import(org["manager"], write_csv(tmp_path / "lan-1.csv", GOOD))
    assert first.created == 3
    again = do_import(org["manager"], write_csv(tmp_path / "lan-2.csv", GOOD))
    assert (again.created, again.skipped, again.rejected) == (0, 3, 0)
    assert again.skip_reasons == {"duplicate": 3}
    changed = [row[:] for row in GOOD]
    changed[0][5] = "13.900.000"  # a new list price
    changed[0][11] = "không"  # no longer sold
    changed[1][2] = ""  # an empty cell changes nothing
    updated = do_import(org["manager"], write_csv(tmp_path / "lan-3.csv", changed), mode="update")
    assert (updated.created, updated.updated, updated.skipped) == (0, 1, 2)
    assert updated.skip_reasons == {"unchanged": 2}
    assert Product.objects.count() == 3
    split = Product.all_objects.get(code="DH-12")
    assert split.list_price == Decimal(13_900_000) and not split.active and split.version == 2
    assert Product.objects.get(code="LD-01").category.name == "Dịch vụ"

    # Undoing the update puts the previous values back; undoing the first import removes what it made.
    assert jobs.run_undo(updated, org["manager"]) == {"removed": 0, "restored": 1, "kept": 0}
    split.refresh_from_db()
    assert split.list_price == Decimal(12_500_000) and split.active
    # DH-12 was changed since (by the update and its undo): kept, like any record changed after an import.
    assert jobs.run_undo(first, org["manager"]) == {"removed": 2, "restored": 0, "kept": 1}
    assert list(Product.objects.values_list("code", flat=True)) == ["DH-12"]
    assert Product.all_objects.count() == 3  # the others in the trash


def test_xlsx_numbers_and_percent_cells(org, suppliers, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã", "Tên", "Giá niêm yết", "Thuế suất GTGT", "Bảo hành (tháng)", "Được giảm thuế GTGT"])
    sheet.append(["MLK-01", "Máy lọc không khí", 4590000, 0.1, 12.0, True])
    sheet.append(["MLK-02", "Lõi lọc", 350000.5, 0.05, 0, False])
    path = tmp_path / "san-pham.xlsx"
    book.save(path)
    job = do_import(org["manager"], path)
    assert (job.created, job.rejected) == (1, 1)
    product = Product.objects.get(code="MLK-01")
    assert (product.list_price, product.vat_rate, product.warranty_months) == (4_590_000, "10", 12)
    assert product.vat_reducible
    assert "whole number" in rejected(job)[3]


def test_an_exported_file_imports_back(client_as, org, suppliers, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    do_import(org["manager"], write_csv(tmp_path / "san-pham.csv", GOOD))
    with translation.override("vi"):
        response = client_as("manager").get(reverse("catalog:product_export"))
        path = tmp_path / "xuat.csv"
        path.write_bytes(b"".join(response.streaming_content))
        job = jobs.job_create(user=org["manager"], target="products", file_name=path.name, path=path)
    assert "" not in job.mapping  # every exported column maps back to its field
    job.dedupe_mode = "update"
    job.save()
    job = runner.run(job, org["manager"], path)
    assert (job.created, job.updated, job.rejected) == (0, 0, 0) and job.skip_reasons == {"unchanged": 3}


def test_only_roles_with_the_catalogue_import_right_may_import_products(client_as, org, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    path = write_csv(tmp_path / "san-pham.csv", GOOD)
    for username in ("sales1", "care", "marketing"):
        with pytest.raises(PermissionDenied):
            jobs.job_create(user=org[username], target="products", file_name=path.name, path=path)
        assert client_as(username).get(reverse("imports:import_new", args=["products"])).status_code == 403
        listing = client_as(username).get(reverse("imports:import_list")).text
        assert 'data-testid="import-new-products"' not in listing
        assert (
            'data-testid="import-link"' not in client_as(username).get(reverse("catalog:product_list")).text
        )
    manager = client_as("manager")
    assert 'data-testid="import-new-products"' in manager.get(reverse("imports:import_list")).text
    assert manager.get(reverse("imports:import_new", args=["products"])).status_code == 200
    page = manager.get(reverse("catalog:product_list")).text
    assert f'href="{reverse("imports:import_new", args=["products"])}"' in page
    assert not Product.objects.exists()


def test_a_job_whose_importer_lost_the_right_does_not_run(org, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    path = write_csv(tmp_path / "san-pham.csv", GOOD)
    job = jobs.job_create(user=org["manager"], target="products", file_name=path.name, path=path)
    with pytest.raises(PermissionDenied):
        runner.run(job, org["sales1"], path)
    assert not Product.objects.exists()


def test_the_wizard_imports_products(
    client_as, org, suppliers, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.DATA_DIR = tmp_path
    content = write_csv(
        tmp_path / "san-pham.csv", [*GOOD, ["XX", "Thuế sai", "", "", "", "1", "7", *[""] * 5]]
    )
    client = client_as("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:import_new", args=["products"]),
            {"file": SimpleUploadedFile("san-pham.csv", content.read_bytes())},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    mapping_page = client.get(job.get_absolute_url())
    assert mapping_page.status_code == 200 and 'value="code" selected' in mapping_page.text
    form = {f"col_{i}": key for i, key in enumerate(job.mapping)}
    without_code = {**form, "col_0": ""}
    refused = client.post(
        reverse("imports:import_mapping", args=[job.pk]), {**without_code, "dedupe_mode": "skip"}
    )
    assert refused.status_code == 400 and "code" in refused.text.lower()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:import_mapping", args=[job.pk]),
            {**form, "dedupe_mode": "skip", "match_keys": ["code"]},
        )
    assert response.status_code == 302
    preview = client.get(job.get_absolute_url())
    assert preview.status_code == 200 and 'data-testid="new-categories"' in preview.text
    assert "Điều hòa Daikin 12.000 BTU" in preview.text and "Dịch vụ › Bảo dưỡng" in preview.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:import_start", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created, job.rejected) == (ImportStatus.DONE, 3, 1)
    report = client.get(job.get_absolute_url())
    assert report.status_code == 200 and "<td>5</td>" in report.text and "Thuế suất: " in report.text
    assert f'href="{reverse("catalog:product_list")}"' in report.text


def test_a_code_in_the_trash_is_refused_with_the_reason(org, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    old = services.product_create(actor=org["manager"], data={"code": "LD-01", "name": "Công lắp đặt cũ"})
    services.product_delete(old, actor=org["manager"])
    job = do_import(org["manager"], write_csv(tmp_path / "san-pham.csv", GOOD[1:2]))
    assert job.created == 0 and "in the trash" in rejected(job)[2]


@pytest.mark.parametrize(
    ("typed", "rate"),
    [("0", "0"), ("5%", "5"), (" 8 % ", "8"), ("10", "10"), (10, "10"), (0.1, "10"), (0.05, "5"),
     ("10.0", "10"), ("kct", "KCT"), ("KKKNT", "KKKNT"), ("Không chịu thuế GTGT (KCT)", "KCT"),
     ("Not declared, not paid (KKKNT)", "KKKNT")],
)  # fmt: skip
def test_vat_rates_are_read_however_they_are_written(typed, rate):
    assert products.read_vat_rate(typed) == rate


@pytest.mark.parametrize("typed", ["7", "7%", "10,5", "VAT", 0.07, True])
def test_other_vat_rates_are_refused(typed):
    with pytest.raises((CellError, ValidationError)):
        products.read_vat_rate(typed)


@pytest.mark.parametrize(
    ("typed", "price"),
    [("12.500.000", 12_500_000), ("12500000", 12_500_000), ("12,500,000", 12_500_000),
     ("12.500.000 ₫", 12_500_000), (12500000, 12_500_000), (12500000.0, 12_500_000), ("0", 0),
     (1234.0, 1234)],
)  # fmt: skip
def test_prices_are_read_the_vietnamese_way_and_plainly(typed, price):
    assert products.read_price(typed) == Decimal(price)


@pytest.mark.parametrize("typed", ["-100", -100, "abc", 1234.567, "1.5", "10^16", True])
def test_bad_prices_are_refused(typed):
    with pytest.raises((CellError, ValidationError)):
        products.read_price(typed)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("có", True), ("Có", True), ("x", True), ("yes", True), (1, True), (True, True),
     ("không", False), ("Không", False), ("no", False), (0, False), (False, False)],
)  # fmt: skip
def test_yes_and_no_in_vietnamese_and_english(typed, value):
    assert products.read_yes_no(typed) is value


@pytest.mark.parametrize(("typed", "months"), [("12", 12), ("24 tháng", 24), (6, 6), (6.0, 6), ("0", 0)])
def test_months(typed, months):
    assert products.read_months(typed, 600) == months


@pytest.mark.parametrize("typed", ["-1", "601", "1.5", 1.5, "một năm"])
def test_bad_months_are_refused(typed):
    with pytest.raises(CellError):
        products.read_months(typed, 600)
