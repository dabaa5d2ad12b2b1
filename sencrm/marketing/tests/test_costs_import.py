"""Importing the ad platforms' spend exports: real formats, rejected rows, and re-import idempotence."""

from __future__ import annotations

import codecs
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse

from sencrm.events.models import Event
from sencrm.imports.values import CellError
from sencrm.marketing.costs_import import parse_amount
from sencrm.marketing.models import Campaign, CampaignCost


def facebook_export(header_language: str = "en") -> bytes:
    """Ads Manager's "Export table data" as .csv in Excel's flavour: UTF-16 LE with a BOM, tab-separated."""
    header = {
        "en": ["Campaign name", "Day", "Reporting starts", "Reporting ends", "Results", "Amount spent (VND)"],
        "vi": [
            "Tên chiến dịch",
            "Ngày",
            "Bắt đầu báo cáo",
            "Kết thúc báo cáo",
            "Kết quả",
            "Số tiền đã chi tiêu (VND)",
        ],
    }[header_language]
    rows = [
        ["Fanpage T8 - Điều hòa Inverter", "2026-08-01", "2026-08-01", "2026-08-31", "12", "1234567"],
        ["Fanpage T8 - Điều hòa Inverter", "2026-08-02", "2026-08-01", "2026-08-31", "9", "1.000.000"],
        ["fb-t8-lai", "2026-08-02", "2026-08-01", "2026-08-31", "3", "500000.00"],  # by its UTM campaign
        ["Chiến dịch không có", "2026-08-02", "2026-08-01", "2026-08-31", "1", "100000"],
        ["Fanpage T8 - Điều hòa Inverter", "2026-08-03", "2026-08-01", "2026-08-31", "0", "-5"],
        ["Fanpage T8 - Điều hòa Inverter", "31/02/2026", "2026-08-01", "2026-08-31", "0", "100"],
    ]
    text = "\r\n".join("\t".join(r) for r in [header, *rows]) + "\r\n"
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def google_export() -> bytes:
    """Google Ads' report download: a title line and the date range above the header, totals below."""
    lines = [
        "Campaign report",
        '"August 1, 2026 - August 31, 2026"',
        "Day,Campaign,Campaign status,Currency code,Clicks,Cost,Cost / conv.",
        '2026-08-01,Google T8 - Tìm kiếm,Enabled,VND,10,"1,234,567","123,456"',
        "2026-08-02,Google T8 - Tìm kiếm,Enabled,VND,4,250000.00,0",
        "2026-08-02,Google T8 - Tìm kiếm,Enabled,VND,4,abc,0",
        'Total: Account,,,VND,14,"1,484,567",',
        'Total: Campaigns,,,VND,14,"1,484,567",',
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture
def campaigns(make_campaign):
    return {
        "fb": make_campaign(utm_campaign="fb-t8"),
        "fb2": make_campaign(name="Fanpage T8 - Lại", utm_campaign="fb-t8-lai"),
        "gg": make_campaign(name="Google T8 - Tìm kiếm", channel="google_ads"),
    }


def upload(client, name: str, content: bytes, **extra: str):
    return client.post(
        reverse("marketing:campaign_cost_import"), {"file": SimpleUploadedFile(name, content), **extra}
    )


def state() -> tuple[int, dict[int, Decimal]]:
    return CampaignCost.objects.count(), dict(Campaign.objects.values_list("pk", "cost_total"))


@pytest.mark.parametrize("language", ["en", "vi"])
def test_facebook_export_in_utf16_imports_once_however_often_it_is_uploaded(client_as, campaigns, language):
    client = client_as("marketing")
    response = upload(client, "Sen-Campaigns-Aug-1-2026-Aug-31-2026.csv", facebook_export(language))
    assert response.status_code == 200
    fb, fb2 = Campaign.objects.get(pk=campaigns["fb"].pk), Campaign.objects.get(pk=campaigns["fb2"].pk)
    assert fb.cost_total == Decimal(2_234_567) and fb2.cost_total == Decimal(500_000)
    assert set(CampaignCost.objects.values_list("origin", flat=True)) == {"facebook"}
    rejected = response.context["result"].rejected
    assert [(r.line, r.value) for r in rejected] == [(5, "Chiến dịch không có"), (6, "-5"), (7, "31/02/2026")]
    html = response.content.decode()
    assert "Chiến dịch không có" in html and "không có chiến dịch nào có tên" in html  # the reason
    event = Event.objects.get(type="campaign.cost_imported", subject_id=fb.pk)
    assert event.data["rows"] == 2 and event.data["total"] == "2234567"
    assert event.data["file"] == "Sen-Campaigns-Aug-1-2026-Aug-31-2026.csv"
    before = state()
    again = upload(client, "Sen-Campaigns-Aug-1-2026-Aug-31-2026.csv", facebook_export(language))
    assert again.status_code == 200
    assert state() == before  # the same rows and the same totals: nothing doubled


def test_google_report_skips_its_title_and_total_lines(client_as, campaigns):
    client = client_as("marketing")
    response = upload(client, "Campaign report.csv", google_export())
    assert response.status_code == 200
    parsed, result = response.context["parsed"], response.context["result"]
    assert parsed.origin == "google" and parsed.header_line == 3
    assert parsed.mapping == {"date": "Day", "campaign": "Campaign", "amount": "Cost"}
    assert [(r.line, r.value) for r in result.rejected] == [(6, "abc")]
    gg = Campaign.objects.get(pk=campaigns["gg"].pk)
    assert gg.cost_total == Decimal(1_484_567)
    assert gg.cost_total == CampaignCost.objects.filter(campaign=gg).aggregate(s=Sum("amount"))["s"]
    # A corrected export (one day's figure changed) sets that day again: still no doubling.
    fixed = google_export().replace(b"250000.00", b"300000")
    upload(client, "Campaign report.csv", fixed)
    gg.refresh_from_db()
    assert gg.cost_total == Decimal(1_534_567) and CampaignCost.objects.filter(campaign=gg).count() == 2


def test_columns_can_be_named_and_bad_files_are_refused_clearly(client_as, campaigns):
    client = client_as("marketing")
    own = "Hôm;Tên;Phí\r\n01/08/2026;fb-t8;1.000.000\r\n".encode("cp1258")  # Windows-1258
    refused = upload(client, "chi-phi.csv", own)
    assert refused.status_code == 400 and "Không tìm thấy các cột ngày" in refused.content.decode()
    named = upload(client, "chi-phi.csv", own, date_column="hôm", campaign_column="TÊN", amount_column="Phí")
    assert named.status_code == 200
    assert Campaign.objects.get(pk=campaigns["fb"].pk).cost_total == Decimal(1_000_000)
    for name, content in [
        ("x.php.csv", b"a,b"),
        ("empty.csv", b""),
        ("report.xls", b"x"),
        ("bin.csv", b"MZ\x00\x00"),
    ]:
        assert upload(client, name, content).status_code == 400
    # Another marketer's campaign: reported, not changed; a role without the import right: 403.
    assert client_as("sales1").get(reverse("marketing:campaign_cost_import")).status_code == 403


def test_another_users_campaign_is_reported_not_changed(client_as, make_campaign):
    make_campaign(owner="admin", name="Của admin", utm_campaign="adm")
    response = upload(client_as("marketing"), "f.csv", b"Day,Campaign,Cost\r\n2026-08-01,adm,100\r\n")
    assert response.status_code == 200
    assert [r.line for r in response.context["result"].rejected] == [2]
    assert CampaignCost.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "amount"),
    [("1.234.567", 1_234_567), ("1,234,567", 1_234_567), ("1234567.00", 1_234_567),
     ("1 234 567 ₫", 1_234_567), ("1234567,5", 1_234_568), (1234567.0, 1_234_567), ("0", 0)],
)  # fmt: skip
def test_amounts_are_read_as_the_platforms_write_them(raw, amount):
    assert parse_amount(raw) == Decimal(amount)


@pytest.mark.parametrize("raw", ["-1", "abc", "", "1e400", "#N/A", "12..3"])
def test_bad_amounts_are_refused(raw):
    with pytest.raises(CellError):
        parse_amount(raw)
