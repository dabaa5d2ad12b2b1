from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.management import call_command
from django.db.models import Count, F, Max
from django.utils import timezone

from sencrm.billing.models import Invoice, Payment
from sencrm.catalog.models import PriceList, Product
from sencrm.commerce import totals
from sencrm.commerce.models import Contract, Order, Quote
from sencrm.customers.models import Contact
from sencrm.demo.tests.history_checks import check_history
from sencrm.events.models import Event
from sencrm.sales import selectors
from sencrm.sales.models import Lead, LeadConsent, Opportunity, StageChange, WebForm, WebFormSubmission
from sencrm.users.models import Role, Team, User


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Team.objects.count(),
        Role.objects.count(),
        Event.objects.count(),
        Lead.all_objects.count(),
        Opportunity.all_objects.count(),
        StageChange.objects.count(),
        WebForm.objects.count(),
        Product.all_objects.count(),
        Quote.all_objects.count(),
        Order.all_objects.count(),
        Contract.all_objects.count(),
        Invoice.all_objects.count(),
        Payment.all_objects.count(),
        _fieldservice_count(),
    )


def _fieldservice_count() -> int:
    from sencrm.fieldservice.models import Asset, WorkOrder

    return Asset.all_objects.count() * 1000 + WorkOrder.all_objects.count()


def test_load_demo_is_idempotent_and_its_sales_data_hold_together(db):
    """One load for every check (a load takes a minute of the suite's time)."""
    call_command("load_demo")
    counts = _counts()
    _check_organisation()
    _check_sales_invariants()
    _check_commerce_invariants()
    _check_billing_invariants()
    _check_support_invariants()
    _check_fieldservice_invariants()
    check_history()  # two and more years of sales for the reports (sencrm/demo/history.py)
    _check_reports()
    call_command("load_demo")
    assert _counts() == counts
    assert counts[:3] == (10, 2, 8)  # the nine demo logins and the second technician, tech2


def _check_fieldservice_invariants() -> None:
    """Every delivered air conditioner is an installed product; maintenance contracts have 6-month plans;
    both technicians have jobs today; past work orders are done with parts, photos and signatures."""
    from sencrm.commerce.models import DeliveryLine
    from sencrm.fieldservice.models import Asset, MaintenancePlan, WorkOrder, WorkOrderPhoto

    delivered_units = sum(
        int(line.quantity) for line in DeliveryLine.objects.filter(order_line__product__serialised=True)
    )
    assert delivered_units > 0
    assert Asset.objects.filter(product__serialised=True).count() == delivered_units
    assert MaintenancePlan.objects.filter(interval_months=6, contract__isnull=False).count() >= 5
    today = timezone.localdate()
    for username in ("tech", "tech2"):
        jobs = WorkOrder.objects.filter(technician__username=username, scheduled_start__date=today)
        assert jobs.count() >= 3, username
    done = WorkOrder.objects.filter(status="done")
    assert done.count() >= 6
    assert done.filter(signed_at__isnull=False).count() == done.count()
    assert WorkOrderPhoto.objects.filter(work_order__in=done).exists()
    assert done.filter(parts__isnull=False).exists()
    assert done.filter(invoice__status="draft").exists()  # chargeable parts and labour, to be issued
    assert WorkOrder.objects.filter(technician__isnull=True, status="scheduled").count() >= 3
    assert not Event.objects.filter(
        type__startswith="work_order.done", occurred_at__gt=timezone.now()
    ).exists()


def _check_support_invariants() -> None:
    """A month of tickets: most resolved and rated, some waiting, some escalated, some past their SLA;
    care starts the day with open tickets and care calls; no event in the future."""
    from sencrm.support.models import CareCall, Queue, Review, Ticket

    assert Queue.objects.filter(line="first").exists() and Queue.objects.filter(line="second").exists()
    tickets = Ticket.objects.all()
    statuses = Counter(tickets.values_list("status", flat=True))
    assert statuses["resolved"] + statuses["closed"] >= 10
    assert statuses["waiting"] >= 2 and statuses["new"] >= 2
    assert tickets.filter(breached=True).count() >= 2
    assert tickets.filter(line="second").count() >= 3
    assert Event.objects.filter(type="ticket.escalated").exists()
    assert Event.objects.filter(type="ticket.sla_breached").exists()
    assert Review.objects.filter(answered_at__isnull=False, score__isnull=False).count() >= 8
    care = User.objects.get(username="care")
    assert tickets.filter(owner=care, status__in=["new", "open"]).exists()
    assert CareCall.objects.filter(owner=care, status="planned", due_date=timezone.localdate()).exists()
    assert not Event.objects.filter(type__startswith="ticket.", occurred_at__gt=timezone.now()).exists()
    for ticket in tickets.filter(status__in=["resolved", "closed"]):
        assert ticket.resolved_at is not None and ticket.resolved_at >= ticket.created_at, ticket.number


def _check_billing_invariants() -> None:
    """A year of invoices consistent with the orders: most paid, some late, a few overdue now, one
    customer with a credit; every balance is the total minus the allocations; a statement to upload."""
    from django.conf import settings
    from django.db.models import Sum

    from sencrm.billing.models import Allocation, InvoiceStatus
    from sencrm.billing.selectors import overdue_q
    from sencrm.billing.services import customer_credit, invoiced_quantities

    invoices = Invoice.objects.all()
    assert invoices.count() >= 40
    statuses = Counter(invoices.values_list("status", flat=True))
    assert statuses[InvoiceStatus.PAID] > invoices.count() / 3
    assert invoices.filter(overdue_q()).exists()
    assert invoices.filter(status=InvoiceStatus.ISSUED, due_date__gte=timezone.localdate()).exists()
    # Chargeable work orders leave draft invoices for the accountant to issue (the after-sales demo).
    for invoice in invoices.exclude(status=InvoiceStatus.DRAFT):
        allocated = Allocation.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"] or 0
        assert invoice.balance == invoice.total - allocated, invoice.number
        assert invoice.einvoice_series == "C26TAA" and invoice.einvoice_number
        if invoice.order_id:
            done = invoiced_quantities(invoice.order)
            for line in invoice.order.lines.all():
                assert done.get(line.pk, 0) <= line.delivered_quantity
    late = Payment.objects.filter(allocations__invoice__due_date__lt=F("paid_at__date"))
    assert late.exists()
    credits = [
        c
        for c in {p.contact_id for p in Payment.objects.filter(account__isnull=True)}
        if customer_credit(contact_id=c)
    ]
    assert len(credits) == 1
    statement = next((settings.DATA_DIR / "demo").glob("sao-ke-*.csv")).read_text(encoding="utf-8-sig")
    assert "Ngày giao dịch" in statement and "HDBH" in statement


def _check_sales_invariants() -> None:
    now = timezone.now()
    leads = Lead.objects.all()
    opps = Opportunity.objects.all()
    assert 280 <= leads.count() <= 330
    assert 380 <= opps.count() <= 420
    statuses = Counter(leads.values_list("status", flat=True))
    assert set(statuses) == {"new", "contacted", "qualified", "unqualified", "converted"}
    assert 0.2 <= statuses["converted"] / leads.count() <= 0.3
    assert set(leads.values_list("source__code", flat=True)) >= {
        "facebook",
        "zalo",
        "website",
        "phone",
        "walk_in",
        "referral",
        "google_ads",
    }
    assert leads.filter(first_touch_at__lt=F("created_at")).exists()  # wrote on the Fanpage first
    assert leads.filter(score__gt=0).exclude(score_details=[]).exists()

    # Every converted lead became a contact; its deal (if any) is the contact's and keeps the lead.
    for lead in leads.filter(status="converted").select_related("converted_contact", "converted_opportunity"):
        assert lead.converted_contact is not None and lead.converted_at is not None, lead.pk
        assert lead.converted_at >= lead.created_at
        assert lead.converted_contact.first_touch_at <= (lead.first_touch_at or lead.created_at)
        if lead.converted_opportunity is not None:
            assert lead.converted_opportunity.lead_id == lead.pk
            assert lead.converted_opportunity.contact_id == lead.converted_contact_id
    assert not leads.exclude(status="converted").exclude(converted_contact=None).exists()
    story = Lead.objects.get(full_name="Trần Thị Thu Hương", campaign="Fanpage T8 - Điều hòa Inverter")
    touched = timezone.localtime(story.first_touch_at)
    assert (touched.day, touched.month) == (1, 8)
    assert timezone.localtime(story.created_at).day == 10
    assert story.converted_contact.first_touch_at == story.first_touch_at
    assert story.converted_opportunity.status == "won"

    # Won and lost deals, in both pipelines, for the three salespeople.
    by_status = Counter(opps.values_list("status", flat=True))
    assert by_status["won"] == 60 and by_status["lost"] == 40
    assert set(opps.values_list("pipeline__name", flat=True)) == {"Bán lẻ", "Dự án"}
    assert set(opps.values_list("owner__username", flat=True)) == {"sales1", "sales2", "manager"}
    assert not opps.filter(amount__lt=8_000_000).exists()
    assert not opps.filter(amount__gt=2_000_000_000).exists()
    won = opps.filter(status="won")
    assert not won.exclude(contact__lifecycle_stage="customer").exists()
    assert not won.exclude(account=None).exclude(account__lifecycle_stage="customer").exists()
    assert not opps.filter(status="lost", close_reason="").exists()
    assert not opps.exclude(status="open").filter(closed_at=None).exists()
    assert not opps.filter(status="open").exclude(closed_at=None).exists()

    # Stage history: one row per stage entered, the last one still open and where the deal is.
    history = StageChange.objects.values("opportunity").annotate(n=Count("id"), last=Max("entered_at"))
    assert len(history) == opps.count()
    assert StageChange.objects.count() > opps.count() * 2
    assert not StageChange.objects.filter(entered_at__gt=now).exists()
    assert not StageChange.objects.filter(left_at__lt=F("entered_at")).exists()
    for opp in opps.prefetch_related("stage_changes"):
        changes = list(opp.stage_changes.all())
        assert changes[-1].to_stage_id == opp.stage_id and changes[-1].left_at is None, opp.pk
        assert all(c.left_at is not None for c in changes[:-1]), opp.pk
        assert opp.stage_entered_at == changes[-1].entered_at, opp.pk
    assert not Event.objects.filter(type__startswith="opportunity.", occurred_at__gt=now).exists()
    assert not Event.objects.filter(type__startswith="lead.", occurred_at__gt=now).exists()
    assert (
        Event.objects.filter(type="opportunity.stage_changed").count()
        == StageChange.objects.filter(from_stage__isnull=False).count()
    )

    # "My day": each salesperson has follow-ups due today or overdue.
    for username in ("sales1", "sales2", "manager"):
        due = selectors.follow_ups(User.objects.get(username=username))
        assert any(lead.next_action_at < now for lead in due), username
        # Due today (by the clock of the load: late in the evening "today" may already be past).
        today = timezone.localtime(now).date()
        assert any(timezone.localtime(lead.next_action_at).date() == today for lead in due), username

    # Some leads are customers we already have (same phone, typed another way).
    admin = User.objects.get(username="admin")
    duplicates = [
        selectors.lead_duplicates(
            user=admin, phones_e164=list(lead.phones.values_list("e164", flat=True)), emails=[]
        )
        for lead in leads.filter(status__in=["new", "contacted", "qualified"])
    ]
    assert any(d.contacts for d in duplicates)

    # The website's form and what it captured.
    form = WebForm.objects.get(name="Form tư vấn trên website")
    assert form.team.name == "Kinh doanh Hà Nội" and form.source.code == "website"
    assert set(form.fields) == {"phone", "email", "province", "interest"}
    captured = leads.filter(web_form=form)
    assert captured.count() >= 5
    assert set(captured.values_list("owner__username", flat=True)) == {"manager", "sales1"}  # round robin
    assert WebFormSubmission.objects.filter(form=form, outcome="created").count() == captured.count()
    assert captured.exclude(utm={}).exists() and not captured.filter(referrer="").exists()
    assert Contact.objects.filter(source_leads__isnull=False).exists()

    # Consent, as rows with a date and a source: the form's visitors agreed when they sent it, people who
    # came by Zalo or the hotline agreed there, and converted leads handed their answers to the contact.
    for lead in captured.prefetch_related("consents"):
        rows = list(lead.consents.all())
        assert rows and all(c.granted and c.recorded_at == lead.created_at for c in rows), lead.pk
    zalo = leads.filter(source__code="zalo")
    assert LeadConsent.objects.filter(lead__in=zalo, channel="zalo").count() == zalo.count()
    for lead in zalo.filter(status="converted").select_related("converted_contact"):
        assert lead.converted_contact.consents.filter(channel="zalo").exists(), lead.pk
    answer = story.consents.get()
    assert (answer.channel, answer.granted, answer.recorded_at) == ("phone", True, story.created_at)
    kept = story.converted_contact.consents.get(channel="phone")
    assert (kept.granted, kept.recorded_at, kept.source) == (True, answer.recorded_at, answer.source)

    # The segments a marketer keeps (issue 16), each selecting someone, counted under the gate.
    from sencrm.marketing import segments
    from sencrm.marketing.models import Segment

    marketer = story.converted_contact.owner.__class__.objects.get(username="marketing")
    kept_segments = {s.name: s for s in Segment.objects.all()}
    assert set(kept_segments) >= {
        "Khách mua điều hòa > 6 tháng chưa bảo dưỡng", "Khách doanh nghiệp Hà Nội", "Sinh nhật tháng này",
    }  # fmt: skip
    counted = segments.counts(marketer, kept_segments.values())
    assert counted[kept_segments["Khách mua điều hòa > 6 tháng chưa bảo dưỡng"].pk]
    assert counted[kept_segments["Khách doanh nghiệp Hà Nội"].pk]
    assert Segment.objects.filter(kind="frozen", frozen_count__gt=0).exists()
    # Two email campaigns sent in the past with their results, a draft, the birthday email (issue 16).
    from sencrm.events.models import Event as TimelineEvent
    from sencrm.marketing.models import CareOccasion, EmailCampaign, EmailRecipient

    sent = list(EmailCampaign.objects.filter(status="sent"))
    assert len(sent) == 2
    for email in sent:
        rows = EmailRecipient.objects.filter(email_campaign=email)
        assert email.sent == rows.filter(sent_at__isnull=False).count() > 0
        assert email.opened == rows.filter(opened_at__isnull=False).count()
        assert email.recipients_total == rows.count()
    assert sum(e.opened for e in sent) > 0 and sum(e.clicked for e in sent) > 0
    assert TimelineEvent.objects.filter(type="email.sent").count() == sum(e.sent for e in sent)
    assert EmailCampaign.objects.filter(status="draft").count() == 2
    assert CareOccasion.objects.filter(kind="birthday", email__isnull=False).exists()


def _check_organisation() -> None:
    """The demo logins of the issue, with their roles, the password "demo" and their teams."""
    expected_roles = {
        "admin": "admin",
        "manager": "manager",
        "sales1": "sales",
        "sales2": "sales",
        "marketing": "marketing",
        "care": "care",
        "tech": "technician",
        "board": "board",
    }
    for username, role in expected_roles.items():
        user = User.objects.get(username=username)
        assert user.role.code == role and user.check_password("demo")
    assert set(Team.objects.get(name="Kinh doanh Hà Nội").members.values_list("username", flat=True)) == {
        "sales1",
        "manager",
    }
    assert set(Team.objects.get(name="Kinh doanh TP.HCM").members.values_list("username", flat=True)) == {
        "sales2"
    }


def _check_commerce_invariants() -> None:
    """Quotes from deals, orders from accepted quotes, contracts with the larger customers (issue 13)."""
    assert Product.all_objects.count() >= 15 and PriceList.objects.exists()

    quotes = Quote.objects.all()
    assert set(quotes.values_list("status", flat=True)) == {"sent", "accepted"}
    assert not quotes.filter(opportunity=None).exists()
    for quote in quotes.filter(status="accepted").prefetch_related("lines"):
        assert quote.total > 0 and quote.number.startswith("BG-"), quote.pk
        assert Order.objects.filter(quote=quote).count() == 1, quote.pk
    # The stored totals are what the one totals function computes from the lines.
    for order in Order.objects.prefetch_related("lines")[:20]:
        computed = totals.compute(
            [
                totals.LineInput(
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                    discount_amount=line.discount_amount,
                    vat_rate=line.vat_rate,
                    vat_reducible=line.vat_reducible,
                    section=line.section,
                    promotion_discount=line.promotion_discount,
                )
                for line in order.lines.all()
            ],
            document_discount=totals.DocumentDiscount(
                percent=order.discount_percent, amount=order.discount_amount
            ),
            on=order.issue_date,
        )
        assert computed.total == order.total > 0, order.number
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"delivered", "partly_delivered", "cancelled"} <= statuses
    assert not Order.objects.filter(status="cancelled", cancelled_reason="").exists()

    today = timezone.localdate()
    contracts = Contract.objects.all()
    assert contracts.count() == 10 and not contracts.exclude(status="signed").exists()
    assert contracts.filter(end_date__lte=today + dt.timedelta(days=31)).count() >= 2  # renewals due
    assert any(c.ordered_total > c.total for c in contracts)  # one overruns


def _check_reports() -> None:
    """This year's targets, the board's saved reports, and the board's dashboard has figures."""
    from sencrm.reports import dashboards
    from sencrm.reports.models import RevenueTarget, SavedReport

    board = User.objects.get(username="board")
    assert RevenueTarget.objects.filter(month__year=timezone.localdate().year).count() == 12
    assert SavedReport.objects.filter(owner=board, schedule="monthly").exists()
    widgets = {w["key"]: w for w in dashboards.widgets(board)}
    assert widgets["revenue_month"]["target"] > 0
    assert any(key.startswith("saved-") for key in widgets)
