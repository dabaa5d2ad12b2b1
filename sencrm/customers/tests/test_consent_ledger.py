"""The consent ledger: every door appends (form, API, web form, import, conversion), never assumes consent,
emits consent.changed, keeps the current answers in step; the SQL selector; the contact page; the
unsubscribe link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sencrm.customers import ledger, services
from sencrm.customers.models import Consent, ConsentRecord, Contact
from sencrm.events.models import Event
from sencrm.sales.services.conversion import lead_convert
from sencrm.sales.tests.conftest import make_lead, pipelines  # noqa: F401,F811  (shared fixtures)
from sencrm.users.services import api_token_create

XSS = '"><img src=x onerror=alert(1)>'


def rows(person) -> list[tuple[str, str, bool, str]]:
    return [
        (r.channel, r.purpose, r.granted, r.source) for r in ledger.ledger_rows(person).order_by("at", "id")
    ]


def test_the_form_records_ticked_boxes_and_withdrawals_and_never_a_refusal_nobody_gave(client_as, org):
    client = client_as("sales1")
    page = client.get(reverse("customers:contact_create")).content.decode()
    boxes = re.findall(r'<input[^>]*name="consent_(?:email|sms|phone|zalo)"[^>]*>', page)
    assert len(boxes) == 4 and not any("checked" in b for b in boxes)  # nothing pre-ticked
    lead_page = client.get(reverse("sales:lead_create")).content.decode()
    lead_boxes = re.findall(r'<input[^>]*name="consent_(?:email|sms|phone|zalo)"[^>]*>', lead_page)
    assert len(lead_boxes) == 4 and not any("checked" in b for b in lead_boxes)

    contact = services.contact_create(
        actor=org["sales1"],
        data={"full_name": "Lê Văn Hùng"},
        consents={"email": {"granted": True, "source": "Phiếu showroom", "via": "form"}},
    )
    assert rows(contact) == [("email", "marketing", True, "form")]
    row = ConsentRecord.objects.get(contact=contact)
    assert row.recorded_by == org["sales1"] and row.evidence == "Phiếu showroom"
    event = Event.objects.get(type="consent.changed")
    assert event.subject_id == contact.pk and event.subject_type == ContentType.objects.get_for_model(Contact)
    assert event.data == {
        "channel": "email",
        "purpose": "marketing",
        "granted": True,
        "source": "form",
        "at": row.at.isoformat(),
    }
    # The same answer again records nothing; a withdrawal appends; the current answer follows.
    services.contact_update(
        contact, actor=org["sales1"], changes={}, version=None, consents={"email": {"granted": True}}
    )
    assert ConsentRecord.objects.count() == 1
    services.contact_update(
        contact, actor=org["manager"], changes={}, version=None, consents={"email": {"granted": False}}
    )
    assert [r[2] for r in rows(contact)] == [True, False]
    assert Consent.objects.get(contact=contact).granted is False
    assert Event.objects.filter(type="consent.changed").count() == 2


def test_the_contact_api_is_a_door_with_its_token(org, make_contact):
    contact = make_contact()
    token, raw = api_token_create(user=org["sales1"], name="zalo-sync")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {"consents": {"zalo": {"granted": True, "source": "Zalo OA", "via": "merge", "at": "2001-01-01"}}}
    response = api.patch(f"/api/v1/contacts/{contact.pk}/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    row = ConsentRecord.objects.get(contact=contact)
    # The client cannot name another door nor backdate the answer.
    assert row.source == "api" and row.evidence == f"API token #{token.pk}: Zalo OA"
    assert row.at > timezone.now() - dt.timedelta(minutes=1)
    bad = api.patch(
        f"/api/v1/contacts/{contact.pk}/", {"consents": {"zalo": "yes"}}, content_type="application/json"
    )
    assert bad.status_code == 400 and ConsentRecord.objects.count() == 1


@pytest.fixture
def webform(org, pipelines, settings):  # noqa: F811
    from sencrm.sales.services import settings as settings_services

    settings.WEBFORM_MIN_SECONDS = 2
    return settings_services.webform_save(
        actor=org["admin"],
        name="Trang chủ",
        title="Đăng ký tư vấn",
        fields=["phone", "email"],
        required_fields=["phone"],
        thank_you="Cảm ơn",
        consent_text="Tôi đồng ý để Điều hòa Sen liên hệ tư vấn.",
        owner=org["sales1"],
        source=None,
        campaign="",
    )


def test_the_web_form_records_its_text_and_version_and_nothing_unticked(webform):
    import time

    from sencrm.sales.models import Lead
    from sencrm.sales.services.webforms import UTM_KEYS  # noqa: F401  (the module under test)
    from sencrm.sales.views.public import make_token

    url = reverse("sales:webform_public", args=[webform.key])
    data = {"ts": make_token(webform, at=time.time() - 10), "full_name": "Trần Bích Ngọc",
            "phone": "0912 345 678", "email": "", "website": ""}  # fmt: skip
    refused = Client(REMOTE_ADDR="203.0.113.8").post(url, data)  # the box not ticked
    assert refused.status_code == 400 and not ConsentRecord.objects.exists() and not Lead.objects.exists()
    done = Client(REMOTE_ADDR="203.0.113.9").post(url, {**data, "consent": "on"})
    assert done.status_code == 303
    row = ConsentRecord.objects.get()
    assert (row.lead, row.channel, row.granted, row.source) == (Lead.objects.get(), "phone", True, "web_form")
    assert f"web form #{webform.pk}" in row.evidence and "Tôi đồng ý để Điều hòa Sen" in row.evidence
    assert re.search(r"\(text [0-9a-f]{12}\)", row.evidence)  # the text's version


def _import(user, tmp_path, header, rows_, name="khach.csv"):
    import csv

    from sencrm.imports import jobs, runner

    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows_])
    job = jobs.job_create(user=user, target="contacts", file_name=name, path=path)
    job.dedupe_mode = "update"
    job.save()
    return runner.run(job, user, path)


def test_an_import_records_its_consent_column_and_nothing_without_one(org, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    user = org["marketing"]
    user.is_superuser = True  # the import right on contacts (the role's rights are tested elsewhere)
    job = _import(user, tmp_path, ["Họ và tên", "Số điện thoại"], [["Phan Thị Mai", "0912 000 001"]])
    assert job.created == 1 and not ConsentRecord.objects.exists()  # no column: no consent, none assumed
    header = ["Họ và tên", "Số điện thoại", "Đồng ý nhận email", "Zalo consent"]
    job = _import(
        user,
        tmp_path,
        header,
        [["Phan Thị Mai", "0912 000 001", "có", ""], ["Võ Văn Tâm", "0912 000 002", "không", "x"]],
        name="dong-y.csv",
    )
    assert job.created == 1  # Mai is matched (only her consent is new: "unchanged" in the report)
    mai, tam = Contact.objects.get(full_name="Phan Thị Mai"), Contact.objects.get(full_name="Võ Văn Tâm")
    assert rows(mai) == [("email", "marketing", True, "import")]  # an empty cell answers nothing
    assert sorted(rows(tam)) == [
        ("email", "marketing", False, "import"),
        ("zalo", "marketing", True, "import"),
    ]
    assert ConsentRecord.objects.filter(evidence=f"import #{job.pk}: dong-y.csv").count() == 3
    again = _import(user, tmp_path, header, [["Phan Thị Mai", "0912 000 001", "có", ""]], name="dong-y.csv")
    assert again.rows_read == 1 and ConsentRecord.objects.count() == 3  # the same answers: nothing new


def test_conversion_copies_the_leads_ledger_with_its_dates(org, make_lead, make_contact):  # noqa: F811
    long_ago = timezone.now() - dt.timedelta(days=40)
    lead = make_lead(consents={"sms": {"granted": True, "source": "Gọi điện", "at": long_ago, "via": "call"}})
    from sencrm.sales.services import lead_update

    lead = lead_update(
        lead, actor=org["sales1"], changes={}, version=None, consents={"sms": {"granted": False}}
    )
    contact = make_contact(full_name="Khách đã có")
    contact = services.contact_update(
        contact,
        actor=org["sales1"],
        changes={},
        version=None,
        consents={"sms": {"granted": True, "at": long_ago - dt.timedelta(days=1)}},
    )
    lead_convert(lead, actor=org["sales1"], contact=contact, create_account=False)
    copied = ConsentRecord.objects.filter(contact=contact, source="conversion").order_by("at", "id")
    lead_rows = ConsentRecord.objects.filter(lead=lead).order_by("at", "id")
    assert [(r.granted, r.at) for r in copied] == [(r.granted, r.at) for r in lead_rows]
    assert copied[0].evidence == f"lead #{lead.pk}: Gọi điện"
    assert all(r.evidence.startswith(f"lead #{lead.pk}") for r in copied)
    # The latest answer (the lead's withdrawal) is the contact's current one.
    assert Consent.objects.get(contact=contact, channel="sms").granted is False
    assert not ledger.consented_contacts(Contact.objects.filter(pk=contact.pk), "sms").exists()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # which contact
            st.sampled_from(["email", "zalo"]),
            st.sampled_from(["marketing", "care"]),
            st.booleans(),
            st.integers(0, 5),  # days ago: equal dates are ordered by id
        ),
        max_size=25,
    )
)
def test_the_sql_selector_equals_the_ledger_read_in_python(people, answers):
    ConsentRecord.objects.all().delete()
    now = timezone.now().replace(microsecond=0)
    for who, channel, purpose, granted, days in answers:
        ConsentRecord.objects.create(
            contact=people[who], channel=channel, purpose=purpose, granted=granted,
            at=now - dt.timedelta(days=days), source="form",
        )  # fmt: skip
    for channel in ("email", "zalo"):
        for purpose in ("marketing", "care"):
            latest: dict[int, bool] = {}
            for row in ConsentRecord.objects.filter(channel=channel, purpose=purpose).order_by("at", "id"):
                latest[row.contact_id] = row.granted
            expected = {pk for pk, granted in latest.items() if granted}
            qs = Contact.objects.filter(pk__in=[p.pk for p in people])
            assert (
                set(ledger.consented_contacts(qs, channel, purpose).values_list("pk", flat=True)) == expected
            )
            excluded = set(
                qs.exclude(ledger.consent_granted_q(channel, purpose)).values_list("pk", flat=True)
            )
            assert excluded == {p.pk for p in people} - expected


@pytest.fixture
def people(org, make_contact):
    return [make_contact(full_name=f"Người {i}", phones=[f"0912 000 10{i}"]) for i in range(4)]


def test_the_contact_page_shows_the_ledger_escaped(client_as, org, make_contact):
    contact = make_contact()
    ledger.consent_append(
        person=contact, channel="zalo", granted=True, source="call", evidence=f"Cuộc gọi #88 {XSS}",
        actor=org["sales1"],
    )  # fmt: skip
    ledger.consent_append(
        person=contact, channel="zalo", granted=False, source="unsubscribe", evidence="link of 02/08"
    )
    html = client_as("sales1").get(contact.get_absolute_url()).content.decode()
    panel = html[html.index('data-testid="consent-ledger"') :]
    assert "Cuộc gọi #88" in panel and XSS not in panel and "&lt;img" in panel
    assert panel.count("<tr>") == 3  # the header and two rows, newest first
    assert panel.index("link of 02/08") < panel.index("Cuộc gọi #88")


def test_the_unsubscribe_link_withdraws_email_marketing_and_a_tampered_one_records_nothing(org, make_contact):
    from sencrm.customers.unsubscribe import unsubscribe_url

    contact = make_contact()
    services.contact_update(
        contact, actor=org["sales1"], changes={}, version=None, consents={"email": {"granted": True}}
    )
    url = unsubscribe_url(contact)
    visitor = Client()
    assert visitor.get(url).status_code == 200 and ConsentRecord.objects.count() == 1  # GET changes nothing
    token = url.split("/")[2]
    tampered = "/u/" + token[:-2] + ("xy" if not token.endswith("xy") else "zw") + "/"
    assert visitor.get(tampered).status_code == 400
    assert visitor.post(tampered).status_code == 400 and ConsentRecord.objects.count() == 1
    assert visitor.post("/u/" + "x" * 5000 + "/").status_code == 400
    done = visitor.post(url)
    assert done.status_code == 200 and 'data-testid="unsubscribe-done"' in done.content.decode()
    row = ledger.ledger_rows(contact).first()
    assert (row.channel, row.purpose, row.granted, row.source) == ("email", "marketing", False, "unsubscribe")
    assert "unsubscribe" in row.evidence and row.recorded_by is None
    assert visitor.post(url).status_code == 200 and ConsentRecord.objects.count() == 2  # once only
    assert Consent.objects.get(contact=contact).granted is False
