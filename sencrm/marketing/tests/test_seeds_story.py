"""The seeds' central example end to end, through every door it passes: a Fanpage message on 01/08
(signed as Facebook signs it, posted to the running receiver), the phone number on 10/08 (the lead is
created), conversion, an order, its invoice and a receipt of 50.000.000 ₫ on 04/09 — then the
attribution report answers August in the lead view, September in the cash view and a lag of 34 days."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sencrm.commerce.tests.conftest import catalogue  # noqa: F401  (shared fixture)
from sencrm.marketing.tests.inbound_helpers import (  # noqa: F401  (fixtures)
    fanpage_campaign,
    fb_channel,
    fb_message,
    local,
    post_fb,
)

pytestmark = pytest.mark.django_db

REPORT = "/api/v1/reports/attribution/"


def test_fanpage_message_to_cash_month_and_lead_month(client, client_as, org, fb_channel, catalogue):  # noqa: F811
    from sencrm.billing.services import invoice_from_order, invoice_issue, payment_create
    from sencrm.commerce.services import order_confirm, order_create
    from sencrm.marketing.models import Conversation
    from sencrm.sales.models import Lead
    from sencrm.sales.services.conversion import lead_convert

    psid = "6021458839217734"
    first = post_fb(
        client, fb_message(psid, "Chào shop, em hỏi máy Daikin 12.000 BTU", "m.0108", local(1, 8, 9))
    )
    assert first.status_code == 200
    assert Conversation.objects.get().lead_id is None  # no phone yet: no lead
    second = post_fb(client, fb_message(psid, "Em để sđt 0983 456 127 nhé", "m.1008", local(10, 8, 14)))
    assert second.status_code == 200
    lead = Lead.objects.get()
    assert lead.first_touch_at == local(1, 8, 9)
    campaign = lead.first_campaign
    assert campaign is not None and campaign.channel == "facebook_ads"

    sales1 = org["sales1"]
    lead.owner = sales1  # a salesperson takes the lead over (as the queue's assignment would)
    Lead.all_objects.filter(pk=lead.pk).update(owner=sales1)
    contact = lead_convert(lead, actor=org["admin"], create_account=False).contact
    contact.refresh_from_db()
    assert contact.first_touch_at == local(1, 8, 9)
    assert contact.first_campaign == campaign

    accountant = org["accountant"]
    order = order_create(
        actor=org["admin"],
        data={"contact": contact, "issue_date": local(1, 9).date()},
        lines=[{"product": catalogue["split"], "quantity": 2, "unit_price": 25_000_000}],
    )
    order = order_confirm(order, actor=org["admin"])
    invoice = invoice_issue(invoice_from_order(order, actor=accountant), actor=accountant)
    amount = Decimal(50_000_000)
    payment_create(
        actor=accountant,
        data={"amount": amount, "contact": contact, "paid_at": local(4, 9, 10)},
        allocations=[(invoice, amount)],
    )

    api = client_as("marketing")
    params = {"by": "campaign", "date_from": "2026-08-01", "date_to": "2026-09-30"}
    lead_view = api.get(REPORT, {**params, "view": "lead"}).json()
    cash_view = api.get(REPORT, {**params, "view": "cash"}).json()
    revenue = {
        view["view"]: {(r["month"], r["campaign"]): r["revenue"] for r in view["rows"] if r["revenue"] != "0"}
        for view in (lead_view, cash_view)
    }
    assert revenue["lead"] == {("2026-08", campaign.pk): "50000000"}
    assert revenue["cash"] == {("2026-09", campaign.pk): "50000000"}
    assert lead_view["lag_days"]["median"] == 34 == cash_view["lag_days"]["median"]
