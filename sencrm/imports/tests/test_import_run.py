"""The import engine: rows → records through the services' rules (derived fields, events, gate),
duplicates (in the file and in the CRM), update/skip/create, the report adding up, undo, cancel."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import translation

from sencrm.core.modules import Action
from sencrm.customers import services
from sencrm.customers.models import Account, Contact, CustomerGroup, Phone, Tag
from sencrm.customfields.models import CustomField
from sencrm.events.diff import snapshot
from sencrm.events.models import Event
from sencrm.events.services import record_bulk_create, record_bulk_update
from sencrm.imports import jobs, runner
from sencrm.imports.models import ImportChunk, ImportJob, ImportStatus


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the source language); the app runs in Vietnamese by default."""
    with translation.override("en"):
        yield


XSS = '"><img src=x onerror=alert(1)>'
HEADER = ["Họ và tên", "Số điện thoại", "Email", "Tỉnh/Thành phố", "Ngày sinh", "Ghi chú"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = HEADER, **kw) -> Path:
    with path.open("w", encoding=kw.get("encoding", "utf-8"), newline="") as handle:
        writer = csv.writer(handle, delimiter=kw.get("delimiter", ","))
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def do_import(user, path: Path, target: str = "contacts", mode: str = "skip", **kw) -> ImportJob:
    job = jobs.job_create(user=user, target=target, file_name=path.name, path=path)
    job.dedupe_mode = mode
    for name, value in kw.items():
        setattr(job, name, value)
    job.save()
    job = runner.run(job, user, path)
    assert job.rows_read == job.created + job.updated + job.skipped + job.rejected  # the report adds up
    return job


def errors(job: ImportJob) -> dict[int, str]:
    return {e.line: e.message for e in job.row_errors.filter(skipped=False, warning=False)}


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


def test_rows_become_contacts_like_the_service_makes_them(org, hanoi, data_dir):
    path = write_csv(
        data_dir / "khach.csv",
        [
            [
                "Nguyễn Thị Ánh Tuyết",
                "0912 345 678; 0987.654.321",
                "Tuyet@Example.vn",
                "Hà Nội",
                "12/03/1990",
                "",
            ],
            ["Trần Văn Bình", "+84 988 111 222", "", "TP. Hồ Chí Minh", "", "Khách quen\nmua 2 máy"],
        ],
    )
    job = do_import(org["manager"], path)
    assert (job.created, job.rejected, job.status) == (2, 0, ImportStatus.DONE)
    tuyet = Contact.objects.get(full_name="Nguyễn Thị Ánh Tuyết")
    # The same contact through the service, for comparison of every derived field.
    twin = services.contact_create(
        actor=org["manager"],
        data={"full_name": "Nguyễn Thị Ánh Tuyết", "province": hanoi, "date_of_birth": tuyet.date_of_birth},
        phones=["0912 345 678", "0987.654.321"],
        emails=["Tuyet@Example.vn"],
    )
    for name in (
        "family_name",
        "middle_name",
        "given_name",
        "sort_key",
        "search_key",
        "primary_phone",
        "primary_email",
        "owner_id",
        "team_id",
        "lifecycle_stage",
        "province_id",
        "date_of_birth",
    ):
        assert getattr(tuyet, name) == getattr(twin, name), name
    assert [p.e164 for p in tuyet.phones.all()] == ["+84912345678", "+84987654321"]
    assert str(tuyet.date_of_birth) == "1990-03-12"  # 12/03 under dd/mm is 12 March
    assert Contact.objects.get(full_name="Trần Văn Bình").notes == "Khách quen\nmua 2 máy"
    # One created event per record, shaped like the service's, with the import named.
    ct = ContentType.objects.get_for_model(Contact)
    imported = Event.objects.get(subject_type=ct, subject_id=tuyet.pk)
    by_service = Event.objects.get(subject_type=ct, subject_id=twin.pk)
    assert imported.type == by_service.type == "contact.created"
    assert imported.actor == org["manager"] and imported.actor_label == f"system:import#{job.pk}"
    assert (imported.customer_type, imported.customer_id, imported.version) == (ct, tuyet.pk, 1)
    assert set(imported.data["record"]) == set(by_service.data["record"])
    assert imported.data["record"] == {
        **snapshot(tuyet),
        "phones": ["0912 345 678", "0987.654.321"],
        "emails": ["Tuyet@Example.vn"],
    }
    assert (imported.data["import"], imported.data["file"]) == (job.pk, "khach.csv")
    from sencrm.events.selectors import event_label

    assert "khach.csv" in event_label(imported)  # the timeline says where it came from


def mixed_file(data_dir: Path) -> Path:
    return write_csv(
        data_dir / "mixed.csv",
        [
            ["Lê Văn Đúng", "0912000001", "", "Hà Nội", "01/02/1985", ""],
            ["Sai Ngày", "0912000002", "", "", "07/30/2023", ""],  # month 30: an error, not a rollover
            ["Sai Số", "012345", "", "", "", ""],
            ["", "0912000003", "", "", "", ""],  # no name
            ["Tương Lai", "0912000004", "", "", "01/01/2999", ""],
            ["Tỉnh Lạ", "0912000005", "x@y", "Gotham", "31/02/2020", ""],
            ["Hai Chữ Số Năm", "0912000006", "", "", "12/03/21", ""],
            ["Công Thức", "0912000007", "", "", "", "#N/A"],
        ],
    )


def test_invalid_rows_are_rejected_and_valid_rows_kept_when_warnings_are_rejected(org, hanoi, data_dir):
    job = do_import(org["manager"], mixed_file(data_dir), reject_warnings=True)
    assert (job.rows_read, job.created, job.rejected, job.warned) == (8, 1, 7, 0)
    found = errors(job)
    assert set(found) == {3, 4, 5, 6, 7, 8, 9}
    assert "Ngày sinh" in found[3] and "dd/mm/yyyy" in found[3]
    assert "Số điện thoại" in found[4] and "012345" in found[4]
    assert "name" in found[5].lower()
    assert "future" in found[6]
    assert "Gotham" in found[7] and "Email" in found[7] and "Ngày sinh" in found[7]  # every problem listed
    assert "four digits" in found[8]
    assert "#N/A" in found[9]
    assert job.row_errors.get(line=4).cells == ["Sai Số", "012345", "", "", "", ""]  # the original cells


def test_a_bad_date_of_birth_or_province_is_a_warning_and_the_row_is_imported(org, hanoi, data_dir):
    job = do_import(org["manager"], mixed_file(data_dir))
    assert (job.rows_read, job.created, job.rejected, job.warned) == (8, 4, 4, 3)
    assert set(errors(job)) == {4, 5, 7, 9}  # bad phone, no name, bad email (+ its warnings), formula
    assert "Gotham" in errors(job)[7] and "x@y" in errors(job)[7]  # a rejected row lists every problem
    warned = {e.line: e.message for e in job.row_errors.filter(warning=True)}
    assert set(warned) == {3, 6, 8} and "dd/mm/yyyy" in warned[3] and "future" in warned[6]
    contact = Contact.objects.get(full_name="Sai Ngày")
    assert contact.date_of_birth is None and contact.notes == "Ngày sinh: 07/30/2023"  # kept as typed


def test_old_eleven_digit_numbers_are_renumbered_and_match(org, data_dir, make_contact):
    existing = make_contact(owner="manager", full_name="Đã Có", phones=["0389 123 456"])
    path = write_csv(
        data_dir / "old.csv",
        [["Số Cũ", "01689 123 456", "", "", "", ""], ["Số Mới", "0169 123 4567", "", "", "", ""]],
    )
    job = do_import(org["manager"], path)
    assert (job.skipped, job.created) == (1, 1)  # 01689… is 0389…: the existing contact
    assert job.skip_reasons == {"duplicate": 1}
    assert Phone.objects.filter(e164="+84389123456").count() == 1 and existing.pk


def test_duplicates_inside_the_file(org, data_dir):
    path = write_csv(
        data_dir / "dups.csv",
        [
            ["Một", "0912 100 200", "mot@x.vn", "", "", ""],
            ["Một Lặp", "+84912100200", "", "", "", ""],  # same phone, another format
            ["Hai", "0912 100 300", "HAI@x.vn", "", "", ""],
            ["Hai Lặp", "", "hai@X.vn", "", "", ""],  # same email, other case
        ],
    )
    job = do_import(org["manager"], path)
    assert (job.created, job.skipped) == (2, 2)
    assert job.skip_reasons == {"duplicate_in_file": 2}
    # update: the repeated rows update the record created by the first one
    path2 = write_csv(
        data_dir / "dups2.csv",
        [["Ba", "0912 100 400", "", "", "", ""], ["Ba", "0912 100 400", "ba@x.vn", "", "", ""]],
    )
    job = do_import(org["manager"], path2, mode="update")
    assert (job.created, job.updated) == (1, 1)
    assert list(Contact.objects.get(full_name="Ba").emails.values_list("address", flat=True)) == ["ba@x.vn"]


def test_update_mode_and_the_same_file_twice_changes_nothing(org, hanoi, data_dir, make_contact):
    old = make_contact(owner="manager", full_name="Phạm Cũ", phones=["0912 555 666"], emails=[])
    rows = [
        ["Phạm Mới", "0912555666", "moi@x.vn", "Hà Nội", "05/06/1970", "ghi chú"],
        ["Người Mới", "0912 555 777", "", "", "", ""],
    ]
    path = write_csv(data_dir / "upd.csv", rows)
    job = do_import(org["manager"], path, mode="update")
    assert (job.created, job.updated, job.skipped) == (1, 1, 0)
    old.refresh_from_db()
    assert (old.full_name, old.given_name, old.notes, old.version) == ("Phạm Mới", "Mới", "ghi chú", 2)
    assert [e.address for e in old.emails.all()] == ["moi@x.vn"] and "moi@x.vn" in old.search_key
    event = Event.objects.filter(subject_id=old.pk, type="contact.updated").get()
    assert event.data["changes"]["full_name"] == ["Phạm Cũ", "Phạm Mới"]
    assert event.data["changes"]["emails"] == [[], ["moi@x.vn"]] and event.version == 2
    events_before = Event.objects.count()
    again = do_import(org["manager"], path, mode="update")
    assert (again.created, again.updated, again.skipped, again.skip_reasons) == (0, 0, 2, {"unchanged": 2})
    assert Event.objects.count() == events_before
    old.refresh_from_db()
    assert old.version == 2


def test_create_mode_creates_duplicates_anyway(org, data_dir, make_contact):
    make_contact(owner="manager", full_name="Có Rồi", phones=["0912 777 888"])
    path = write_csv(data_dir / "c.csv", [["Có Rồi", "0912 777 888", "", "", "", ""]])
    job = do_import(org["manager"], path, mode="create")
    assert job.created == 1 and Phone.objects.filter(e164="+84912777888").count() == 2


def test_a_manager_cannot_update_another_teams_records(org, data_dir, make_contact):
    theirs = make_contact(owner="sales2", full_name="Của Đội Khác", phones=["0912 999 000"])
    path = write_csv(data_dir / "x.csv", [["Đổi Tên", "0912 999 000", "", "", "", ""]])
    job = do_import(org["manager"], path, mode="update")
    assert (job.updated, job.skipped, job.skip_reasons) == (0, 1, {"no_access": 1})
    note = job.row_errors.get()
    assert note.skipped and note.line == 2
    theirs.refresh_from_db()
    assert theirs.full_name == "Của Đội Khác" and theirs.version == 1


def test_owner_column_only_for_owners_the_importer_may_assign(org, data_dir):
    path = write_csv(
        data_dir / "o.csv",
        [["A Của Nam", "0912 000 111", "sales1"], ["B Của Mai Anh", "0912 000 222", "sales2"]],
        header=["Họ tên", "SĐT", "Người phụ trách"],
    )
    job = do_import(org["manager"], path)
    assert (job.created, job.rejected) == (1, 1)
    assert Contact.objects.get(full_name="A Của Nam").owner == org["sales1"]
    assert "sales2" in errors(job)[3] or "Lê Thị Mai Anh" in errors(job)[3]


def test_owners_get_one_notification_per_import_not_one_per_record(org, data_dir, make_contact):
    from sencrm.events.consumers import run_all
    from sencrm.events.messages import render_notification
    from sencrm.events.models import Notification

    mine = make_contact(owner="manager", full_name="Đổi Chủ", phones=["0912 000 900"])
    rows = [[f"Khách {i}", f"0912 100 {i:03d}", "sales1"] for i in range(30)]
    rows += [["Của Tôi", "0912 000 901", "manager"], ["Đổi Chủ", "0912 000 900", "sales1"]]
    path = write_csv(data_dir / "giao.csv", rows, header=["Họ tên", "SĐT", "Người phụ trách"])
    job = do_import(org["manager"], path, mode="update")
    assert (job.created, job.updated, job.rejected) == (31, 1, 0)
    run_all()  # the event consumers, as the worker runs them
    notes = list(Notification.objects.filter(recipient=org["sales1"]))
    assert [(n.kind, n.params["count"]) for n in notes] == [("import_assigned", 31)]  # 30 new + 1 reassigned
    assert render_notification(notes[0]).endswith(
        "imported 31 contacts from “giao.csv” and assigned them to you."
    )
    assert notes[0].url == f"/contacts/?owner={org['sales1'].pk}"
    assert not Notification.objects.filter(recipient=org["manager"]).exists()  # the importer's own records
    mine.refresh_from_db()
    assert mine.owner == org["sales1"]
    # An owner change made by hand still notifies, once, as before.
    services.contact_update(
        mine, actor=org["manager"], changes={"owner": org["sales2"]}, version=mine.version
    )
    run_all()
    assert Notification.objects.filter(recipient=org["sales2"], kind="assigned").count() == 1


def test_nobody_without_the_import_right_runs_an_import(org, data_dir):
    path = write_csv(data_dir / "s.csv", [["Bán Hàng", "0912 000 333", "", "", "", ""]])
    with pytest.raises(PermissionDenied):
        jobs.job_create(user=org["sales1"], target="contacts", file_name="s.csv", path=path)
    with pytest.raises(PermissionDenied):
        record_bulk_create(Contact, actor=org["sales1"], drafts=[], action=Action.IMPORT)
    with pytest.raises(PermissionDenied):
        record_bulk_update(Contact, actor=org["sales1"], changes=[], action=Action.IMPORT)


def test_html_is_stored_as_text(org, data_dir):
    path = write_csv(data_dir / "xss.csv", [[XSS, "0912 000 444", "", "", "", "<svg/onload=alert(1)>"]])
    job = do_import(org["manager"], path)
    contact = Contact.objects.get(phones__e164="+84912000444")
    assert job.created == 1 and contact.full_name == XSS and contact.notes == "<svg/onload=alert(1)>"


@pytest.mark.parametrize("size", [2000, 2001])
def test_no_silent_cap(org, data_dir, size, monkeypatch):
    monkeypatch.setattr(runner, "BATCH", 1000)  # batch boundaries at 1,000 and 2,000
    rows = [[f"Khách {i}", f"09{i:08d}", "", "", "", ""] for i in range(size)]
    job = do_import(org["manager"], write_csv(data_dir / "n.csv", rows))
    assert job.created == size and Contact.objects.count() == size and job.rows_read == size
    assert ImportChunk.objects.filter(job=job).count() == (2 if size == 2000 else 3)


def test_groups_tags_custom_fields_and_accounts_for_contacts(org, data_dir):
    ct = ContentType.objects.get_for_model(Contact)
    CustomField.objects.create(content_type=ct, key="btu", label="Công suất (BTU)", type="number")
    CustomField.objects.create(
        content_type=ct, key="kenh", label="Kênh ưa thích", type="choice", options=["Zalo", "SMS"]
    )
    account = services.account_create(actor=org["manager"], data={"name": "Công ty TNHH Sen Việt"})
    path = write_csv(
        data_dir / "g.csv",
        [
            [
                "Có Nhóm",
                "0912 000 555",
                "VIP",
                "mới; vip",
                "1.234.567,5",
                "Zalo",
                "công ty tnhh sen việt",
                "Nam",
            ],
            ["Sai Chọn", "0912 000 666", "", "", "12", "Viber", "", "Nữ"],
            ["Không Công Ty", "0912 000 777", "", "", "", "", "Công ty ma", ""],
        ],
        header=[
            "Họ tên",
            "SĐT",
            "Nhóm khách hàng",
            "Thẻ",
            "Công suất (BTU)",
            "Kênh ưa thích",
            "Công ty",
            "Giới tính",
        ],
    )
    job = do_import(org["manager"], path)
    assert (job.created, job.rejected) == (1, 2)
    contact = Contact.objects.get(full_name="Có Nhóm")
    assert contact.customer_group == CustomerGroup.objects.get(name="VIP") and contact.account == account
    assert sorted(t.name for t in contact.tags.all()) == ["mới", "vip"] and Tag.objects.count() == 2
    assert contact.custom_field_data == {"btu": "1234567.5", "kenh": "Zalo"} and contact.gender == "male"
    assert "Kênh ưa thích" in errors(job)[3] and "Công ty ma" in errors(job)[4]


def test_accounts_by_tax_code(org, data_dir):
    services.account_create(actor=org["manager"], data={"name": "Cũ", "tax_code": "0101234567"})
    path = write_csv(
        data_dir / "a.csv",
        [
            ["Công ty Mới", "0101234567", "Điện lạnh", "sen.vn"],
            ["Chi nhánh", "0101234567-001", "", ""],
            ["Sai MST", "12345", "", ""],
        ],
        header=["Tên công ty", "MST", "Ngành nghề", "Website"],
    )
    job = do_import(org["manager"], path, target="accounts", mode="update")
    assert (job.updated, job.created, job.rejected) == (1, 1, 1)
    account = Account.objects.get(tax_code="0101234567")
    assert (account.name, account.industry, account.website) == ("Công ty Mới", "Điện lạnh", "https://sen.vn")
    assert account.sort_key == "cong ty moi" and "0101234567" in account.search_key
    assert "MST" in errors(job)[4]


def test_leads_by_marketing(org, data_dir):
    from sencrm.sales.models import Lead

    path = write_csv(
        data_dir / "l.csv",
        [
            [
                "Lead Một",
                "0912 000 888",
                "Công ty A",
                "Quan tâm điều hòa",
                "Facebook Fanpage",
                "01/06/2024 09:30",
            ]
        ],
        header=["Họ tên", "SĐT", "Công ty", "Nhu cầu", "Nguồn", "Lần tiếp cận đầu tiên"],
    )
    job = do_import(org["marketing"], path, target="leads")
    lead = Lead.objects.get()
    assert job.created == 1 and lead.owner == org["marketing"] and lead.company == "Công ty A"
    assert lead.source.code == "facebook" and lead.first_touch_at.hour == 2  # 09:30 in Hồ Chí Minh City
    assert "cong ty a" in lead.search_key and lead.primary_phone == "0912 000 888"
    event = Event.objects.get(type="lead.created")
    assert event.data["record"]["company"] == "Công ty A" and event.customer_id == lead.pk


def test_undo_removes_created_and_restores_updated(org, hanoi, data_dir, make_contact):
    old = make_contact(owner="manager", full_name="Giữ Nguyên", phones=["0912 321 000"], emails=["a@x.vn"])
    path = write_csv(
        data_dir / "u.csv",
        [
            ["Tên Đổi", "0912 321 000", "b@x.vn", "", "", "note"],
            ["Mới Tinh", "0912 321 111", "", "", "", ""],
            ["Mới Nữa", "0912 321 222", "", "", "", ""],
        ],
    )
    job = do_import(org["manager"], path, mode="update")
    assert (job.created, job.updated) == (2, 1)
    changed_later = Contact.objects.get(full_name="Mới Nữa")
    services.contact_update(changed_later, actor=org["manager"], changes={"title": "Giám đốc"}, version=1)
    jobs.job_undo(job)
    result = jobs.run_undo(job, org["manager"])
    assert result == {"removed": 1, "restored": 1, "kept": 1}
    old.refresh_from_db()
    assert (old.full_name, old.notes, old.given_name) == ("Giữ Nguyên", "", "Nguyên")
    assert [e.address for e in old.emails.all()] == ["a@x.vn"] and "b@x.vn" not in old.search_key
    assert not Contact.objects.filter(full_name="Mới Tinh").exists()
    assert Contact.all_objects.get(full_name="Mới Tinh").is_deleted  # in the trash, restorable
    assert Contact.objects.filter(full_name="Mới Nữa").exists()  # changed since: kept
    job.refresh_from_db()
    assert job.status == ImportStatus.UNDONE
    assert Event.objects.filter(type="contact.deleted", data__undo=True).count() == 1


def test_cancel_stops_after_the_current_batch(org, data_dir, monkeypatch):
    monkeypatch.setattr(runner, "BATCH", 10)
    rows = [[f"Khách {i}", f"09{i:08d}", "", "", "", ""] for i in range(50)]
    path = write_csv(data_dir / "c.csv", rows)
    job = jobs.job_create(user=org["manager"], target="contacts", file_name="c.csv", path=path)
    original = runner.Writer.write

    def write_then_cancel(self, batch):
        original(self, batch)
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)

    monkeypatch.setattr(runner.Writer, "write", write_then_cancel)
    job = runner.run(job, org["manager"], path)
    assert job.status == ImportStatus.CANCELLED and job.created == 10 == Contact.objects.count()
    assert job.rows_read == 10


def test_export_edit_import_round_trips(org, client_as, data_dir, make_contact):
    from django.urls import reverse

    contact = make_contact(owner="manager", full_name="=Công Thức", phones=["0912 654 321"], emails=[])
    response = client_as("manager").get(reverse("customers:contact_export"), {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1][0] == "'=Công Thức"  # escaped by the export
    rows[1][rows[0].index("Chức danh")] = "Trưởng phòng"  # the job title, edited in a spreadsheet
    path = data_dir / "export.csv"
    path.write_text("\ufeff" + "\n".join(",".join(f'"{c}"' for c in r) for r in rows), encoding="utf-8")
    job = do_import(org["manager"], path, mode="update")
    assert (job.updated, job.rejected) == (1, 0), errors(job)
    contact.refresh_from_db()
    assert contact.title == "Trưởng phòng" and contact.full_name == "=Công Thức"  # un-escaped on import


def test_an_edit_opened_before_the_import_is_not_silently_overwritten(org, data_dir, make_contact):
    from sencrm.core.exceptions import StaleRecord

    contact = make_contact(owner="manager", full_name="Đang Sửa", phones=["0912 888 100"])
    opened_at = contact.version  # a user opens the edit form…
    path = write_csv(data_dir / "e.csv", [["Tên Từ File", "0912 888 100", "", "", "", ""]])
    do_import(org["manager"], path, mode="update")  # …the import changes the name meanwhile…
    with pytest.raises(StaleRecord):  # …and the user's save of the same field is refused (409)
        services.contact_update(
            contact, actor=org["manager"], changes={"full_name": "Tên Người Sửa"}, version=opened_at
        )
    contact.refresh_from_db()
    assert contact.full_name == "Tên Từ File"
