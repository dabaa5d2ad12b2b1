"""Fixtures for personal-data requests: a person with a journey across the CRM (a lead converted to a
contact, consents and their ledger, an opportunity, an order invoiced and paid, a Fanpage conversation,
activities), built through the modules' services wherever one exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sencrm.commerce.tests.conftest import catalogue  # noqa: F401  (shared fixture)

NAME = "Nguyễn Thị Ẩn Danh"
PHONE = "0912 000 111"
EMAIL = "an.danh@example.vn"


@pytest.fixture(autouse=True)
def _english(request):
    """Messages in English (the services' source text), as the billing tests read them."""
    from django.utils import translation

    if "db" in request.fixturenames or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("org")
        from sencrm.users.models import User

        User.objects.update(language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def person(org, hanoi, catalogue):  # noqa: F811
    """The contact "Nguyễn Thị Ẩn Danh" of sales1 and everything that refers to her."""
    from django.utils import timezone

    from sencrm.activities.services import activity_create
    from sencrm.billing.services import invoice_from_order, invoice_issue, payment_create
    from sencrm.commerce.services import order_confirm, order_create
    from sencrm.customers.models import ConsentRecord
    from sencrm.customers.services import contact_create
    from sencrm.marketing.models import Conversation, ConversationMessage
    from sencrm.sales.services import lead_create, opportunity_create
    from sencrm.sales.services.conversion import lead_convert

    sales1, accountant = org["sales1"], org["accountant"]
    lead = lead_create(
        actor=sales1,
        data={"full_name": NAME, "interest": f"Điều hòa, gọi {PHONE}"},
        phones=[PHONE],
        emails=[EMAIL.upper()],
        consents={"email": {"granted": True, "source": "web form"}},
    )
    contact = contact_create(
        actor=sales1,
        data={
            "full_name": NAME,
            "province": hanoi,
            "street": "12 ngõ Huế Tây Sơn",
            "notes": f"Chị {NAME}, hay gọi lúc tối",
            "date_of_birth": dt.date(1990, 5, 17),
        },
        phones=[PHONE],
        emails=[EMAIL],
        consents={"sms": {"granted": True, "source": "showroom form"}},
    )
    lead_convert(lead, actor=sales1, contact=contact, create_account=False)
    now = timezone.now()
    for channel, purpose in (("email", "marketing"), ("sms", "care")):
        ConsentRecord.objects.create(
            contact=contact, channel=channel, purpose=purpose, granted=True, at=now, source="form",
            evidence=f"Form v2, signed by {NAME}",
        )  # fmt: skip
    opportunity_create(
        actor=sales1,
        data={"name": f"Điều hòa cho nhà {NAME}", "contact": contact, "amount": Decimal(25_000_000)},
    )
    order = order_create(
        actor=sales1,
        data={"contact": contact, "delivery_address": "12 ngõ Huế Tây Sơn, Hà Nội", "notes": f"Gọi {PHONE}"},
        lines=[{"product": catalogue["split"], "quantity": 1, "unit_price": 12_000_000}],
    )
    order = order_confirm(order, actor=sales1)
    invoice = invoice_issue(invoice_from_order(order, actor=accountant), actor=accountant)
    payment_create(
        actor=accountant,
        data={
            "amount": invoice.total,
            "contact": contact,
            "reference": "FT2608 NGUYEN THI AN DANH CK",
            "notes": f"{EMAIL} chuyển khoản",
        },
        allocations=[(invoice, invoice.total)],
    )
    activity_create(
        actor=sales1,
        data={
            "kind": "call",
            "subject": f"Gọi {NAME}",
            "description": f"Chị dặn gọi số 0912.000.111 hoặc email {EMAIL}",
            "contact": contact,
        },
    )
    conversation = Conversation.objects.create(
        platform="facebook",
        page_id="page-1",
        platform_user_id="psid-998877",
        display_name=NAME,
        contact=contact,
        phone="+84912000111",
        first_message_at=now,
        last_message_at=now,
        message_count=2,
    )
    for number, text in enumerate(("Em chào shop", "Số của em là +84 912 000 111 nhé")):
        ConversationMessage.objects.create(
            conversation=conversation,
            platform="facebook",
            platform_message_id=f"m.{number}",
            text=text,
            sent_at=now,
        )
    # An import that updated her (its undo keeps her former values) and rejected a row about her (the
    # rejected-rows file keeps the row as it was typed).
    from sencrm.imports.models import ImportChunk, ImportJob, ImportRowError

    job = ImportJob.objects.create(created_by=sales1, target="contacts", file_name="khach.csv", status="done")
    ImportChunk.objects.create(
        job=job,
        updated={str(contact.pk): {"before": {"full_name": NAME, "phones": ["0912 000 111"]}, "version": 2}},
    )
    ImportRowError.objects.create(job=job, line=7, message="Email: not valid",
                                  cells=[NAME, "0912.000.111", "an.danh@@example"])  # fmt: skip
    return contact
