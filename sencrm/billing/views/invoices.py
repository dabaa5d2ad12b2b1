"""Invoice pages: the list and its export, an invoice's page, its form, deletion, issuing, the e-invoice
data, the PDF and XML, corrections (adjustments and replacements), and invoicing an order."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.billing import exports, selectors, services
from sencrm.billing.forms import CorrectionForm, EInvoiceForm, InvoiceForm, OrderInvoiceForm
from sencrm.billing.models import OPEN_STATUSES, Invoice, InvoiceKind, InvoiceStatus, Payment
from sencrm.billing.views.common import PAGE_SIZE, bad_filter, bad_page, parse_pk, refuse, visible_or_none
from sencrm.commerce.forms import LineFormSet, initial_lines
from sencrm.commerce.models import Order
from sencrm.commerce.selectors import document_search_filter
from sencrm.commerce.vat import effective_code
from sencrm.core import (
    access,
    vietqr,  # moved to core: a Vietnamese standard, like VAT
)
from sencrm.core.forms import assignable_owners
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.money import amount_in_words
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import RecordList, call_service, get_record, record_export
from sencrm.core.vat import VatRate
from sencrm.customers.models import Account, Contact
from sencrm.documents.selectors import company_profile
from sencrm.events import selectors as event_selectors
from sencrm.savedviews.selectors import saved_views

# --- invoice list ----------------------------------------------------------------------------------


def _invoice_filters(qs: Any, params: Mapping[str, Any]) -> Any:
    """The list's filters (status, overdue, owner, the search box), shared by the page and its export."""
    status = params.get("status", "")
    if status and status not in InvoiceStatus.values:
        raise bad_filter(_("status"))
    if status:
        qs = qs.filter(status=status)
    overdue = params.get("overdue", "")
    if overdue not in ("", "yes", "no"):
        raise bad_filter(_("overdue"))
    if overdue == "yes":
        qs = qs.filter(selectors.overdue_q())
    elif overdue == "no":
        qs = qs.exclude(selectors.overdue_q())
    owner = params.get("owner", "")
    if owner and parse_pk(owner) is None:
        raise bad_filter(_("owner"))
    if owner:
        qs = qs.filter(owner_id=parse_pk(owner))
    query = params.get("q", "").strip()[:100]
    return document_search_filter(qs, query) if query else qs


INVOICES = RecordList(Invoice, narrow=_invoice_filters)


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.BILLING, Action.VIEW)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "statuses": InvoiceStatus.choices,
        "status": request.GET.get("status", ""),
        "overdue": request.GET.get("overdue", ""),
        "owner": request.GET.get("owner", ""),
        "owners": assignable_owners(user, Module.BILLING, Action.VIEW),
        "query": request.GET.get("q", "").strip()[:100],
        "can_create": access.can(user, Module.BILLING, Action.CREATE),
        "can_export": access.can(user, Module.BILLING, Action.EXPORT),
        "export_url": "billing:invoice_export",
        "list_name": "invoices",
        "saved_views": saved_views(user, "invoices"),
    }
    try:
        qs = INVOICES.queryset(request, Action.VIEW, request.GET)
        page = keyset_page(
            qs.select_related("contact", "account", "owner"),
            sort="issue_date",
            descending=True,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "billing/invoice_list.html", context, status=400)
    except BadCursor:
        context["error"] = bad_page()
        return render(request, "billing/invoice_list.html", context, status=400)
    access.label_related(user, page.rows, "contact")
    access.label_related(user, page.rows, "account")
    for invoice in page.rows:
        invoice.overdue = invoice.is_overdue(today)
    context["page"] = page
    return render_page_or_partial(
        request, "billing/invoice_list.html", "billing/partials/invoice_table.html", context
    )


@login_required
@require_GET
def invoice_totals(request: HttpRequest) -> HttpResponse:
    """What is owed over the list's filter, and how much of it is overdue: loaded after the list (a sum
    over every open invoice the user may see would slow the first page down at a million invoices).
    Only open invoices carry a balance, so the sum reads them alone, through their partial index."""
    access.check_module(request.user, Module.BILLING, Action.VIEW)
    try:
        qs = INVOICES.queryset(request, Action.VIEW, request.GET)
    except ValidationError:
        return HttpResponse(status=400)
    totals = qs.filter(status__in=OPEN_STATUSES, is_credit=False, balance__gt=0).aggregate(
        owed=Sum("balance"), owed_overdue=Sum("balance", filter=selectors.overdue_q(timezone.localdate()))
    )
    return render(request, "billing/partials/invoice_totals.html", {"totals": totals})


@login_required
@require_GET
def invoice_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or XLSX, only over what the user may export."""

    def table(qs: Any) -> tuple[list[str], Any]:
        return exports.invoice_header(), exports.invoice_rows(qs, user=request.user)

    return record_export(request, INVOICES, module=Module.BILLING, name="invoices", table=table)


# --- the invoice's page ----------------------------------------------------------------------------


def _sections(invoice: Invoice) -> list[dict[str, Any]]:
    """The lines by section, each with the VAT rate it pays on the invoice's date (a reducible 10 % line
    shows 8 % during the reduction)."""
    sections: list[dict[str, Any]] = []
    for line in invoice.lines.select_related("product").order_by("position", "id"):
        vat = VatRate(effective_code(line.vat_rate, line.vat_reducible, invoice.issue_date)).label
        if not sections or sections[-1]["name"] != line.section:
            sections.append({"name": line.section, "lines": [], "subtotal": 0})
        sections[-1]["lines"].append({"line": line, "vat": vat})
        sections[-1]["subtotal"] += line.amount
    return sections


def _vietqr_block(invoice: Invoice) -> dict[str, Any] | None:
    """The bank-transfer QR code for the balance, with the transfer it fills in, or None."""
    company = company_profile()
    payload = selectors.invoice_vietqr(invoice, company=company)
    if payload is None:
        return None
    bank = vietqr.bank_by_bin(company.bank_bin)
    return {
        # segno draws the payload as <path> elements with presentation attributes only (no style
        # attribute, nothing from the user but the payload's modules), so it passes the CSP as is.
        "svg": mark_safe(vietqr.qr_svg(payload)),  # noqa: S308
        "bank": bank.short_name if bank else company.bank_name,
        "bank_name": company.bank_name or (bank.name if bank else ""),
        "account": company.bank_account,
        "account_name": company.name,
        "amount": invoice.balance,
        "purpose": vietqr.purpose_text(invoice.number),
    }


def correctable(invoice: Invoice) -> bool:
    """What invoice_correct accepts: an issued invoice that is not itself a credit note or a correction
    of one (a replacement of a replacement corrects the original)."""
    return (
        invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID)
        and not invoice.is_credit
        and (invoice.kind == InvoiceKind.NORMAL or invoice.original_id is not None)
    )


def _allocations(user: Any, invoice: Invoice) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The receipts and credits applied to the invoice, and (for a credit) the invoices it was applied
    to, each with whether the user may open the other side (links only to what they may see)."""
    received = list(invoice.allocations.select_related("payment", "credit").order_by("created_at", "id"))
    payments = access.visible_pks(user, Payment, [a.payment_id for a in received])
    credits = access.visible_pks(user, Invoice, [a.credit_id for a in received])
    applied = list(invoice.credit_allocations.select_related("invoice").order_by("created_at", "id"))
    targets = access.visible_pks(user, Invoice, [a.invoice_id for a in applied])
    return (
        [{"allocation": a, "visible": a.payment_id in payments or a.credit_id in credits} for a in received],
        [{"allocation": a, "visible": a.invoice_id in targets} for a in applied],
    )


def _invoice_page(request: HttpRequest, invoice: Invoice, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    events, next_before = event_selectors.audit_trail(user=user, obj=invoice)
    can_edit = access.in_scope(user, Action.EDIT, invoice)
    can_create = access.can(user, Module.BILLING, Action.CREATE)
    draft = invoice.status == InvoiceStatus.DRAFT
    received, applied = _allocations(user, invoice)
    context = {
        "object": invoice,
        "sections": _sections(invoice),
        "total_in_words": amount_in_words(invoice.total),
        "overdue": invoice.is_overdue(),
        "contact": visible_or_none(user, invoice.contact),
        "account": visible_or_none(user, invoice.account),
        "order": visible_or_none(user, invoice.order),
        "contract": visible_or_none(user, invoice.contract),
        "original": visible_or_none(user, invoice.original),
        "corrections": list(
            access.scope(user, Invoice, Action.VIEW).filter(original=invoice).order_by("issue_date", "id")
        ),
        "allocations": received,
        "applied": applied,
        "vietqr": _vietqr_block(invoice),
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(Invoice).pk,
        "can_edit": can_edit and draft,
        "can_delete": draft and access.in_scope(user, Action.DELETE, invoice),
        "can_issue": can_edit and draft,
        "can_einvoice": can_edit and not draft,
        "can_correct": can_edit and can_create and correctable(invoice),
        "can_pay": invoice.is_open and invoice.balance > 0 and can_create,
        "issue_form": extra.pop("issue_form", None) or EInvoiceForm(invoice=invoice),
        "einvoice_form": extra.pop("einvoice_form", None) or EInvoiceForm(invoice=invoice),
        **extra,
    }
    return render(request, "billing/invoice_detail.html", context, status=status)


@login_required
@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_record(request, Invoice.objects.select_related("contact", "account", "owner", "team"), pk)
    return _invoice_page(request, invoice)


# --- create, edit, delete --------------------------------------------------------------------------


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """?contact=, ?account= of the create page: kept only when valid and visible."""
    found: dict[str, Any] = {}
    for name, model in (("contact", Contact), ("account", Account)):
        pk = parse_pk(request.GET.get(name, ""))
        if pk is not None:
            obj = access.scope(request.user, model, Action.VIEW).filter(pk=pk).first()
            if obj is not None:
                found[name] = obj
    return found


def _invoice_form_page(request: HttpRequest, invoice: Invoice | None = None) -> HttpResponse:
    user = request.user
    prefill = _prefill(request) if invoice is None and request.method == "GET" else {}
    form = InvoiceForm(request.POST or None, user=user, instance=invoice, prefill=prefill)
    lines = None
    if invoice is None or not invoice.order_id:  # an order's invoice takes its lines from the order
        initial = initial_lines(invoice.lines.order_by("position", "id")) if invoice is not None else None
        lines = LineFormSet(request.POST or None, user=user, initial=initial, prefix="lines")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and (lines is None or lines.is_valid()):
            data = form.changes()

            def save() -> Invoice:
                if invoice is None:
                    return services.invoice_create(
                        actor=user, data=data, lines=lines.lines() if lines else []
                    )
                stored = Invoice.all_objects.get(pk=invoice.pk)  # the form validated against a copy
                return services.invoice_update(
                    stored,
                    actor=user,
                    data=data,
                    lines=lines.lines() if lines is not None else None,
                    version=form.cleaned_data.get("version"),
                )

            saved, status = call_service(form, save)
            if saved is not None:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(saved.get_absolute_url())
    context = {"form": form, "lines": lines, "object": invoice}
    return render(request, "billing/invoice_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.BILLING, Action.CREATE)
    return _invoice_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_record(request, Invoice, pk, Action.EDIT)
    if invoice.status != InvoiceStatus.DRAFT:
        messages.info(
            request,
            _("An issued invoice is not edited: correct it with an adjustment or a replacement invoice."),
        )
        return HttpResponseRedirect(invoice.get_absolute_url())
    return _invoice_form_page(request, invoice)


@login_required
@require_POST
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_record(request, Invoice, pk, Action.DELETE)
    try:
        services.invoice_delete(invoice, actor=request.user)
    except ValidationError as exc:
        refuse(request, exc)
        return _invoice_page(request, invoice, status=400)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("billing:invoice_list"))


# --- issue, e-invoice data, PDF, XML ---------------------------------------------------------------


def _einvoice_post(request: HttpRequest, pk: int, *, issuing: bool) -> HttpResponse:
    invoice = get_record(request, Invoice, pk, Action.EDIT)
    form = EInvoiceForm(request.POST, invoice=invoice)
    key = "issue_form" if issuing else "einvoice_form"
    if not form.is_valid():
        return _invoice_page(request, invoice, status=400, **{key: form})
    version = form.cleaned_data.get("version")

    def save() -> Invoice:
        if issuing:
            einvoice = form.values(filled_only=True)
            return services.invoice_issue(invoice, actor=request.user, einvoice=einvoice, version=version)
        values = form.values()
        return services.invoice_record_einvoice(invoice, actor=request.user, values=values, version=version)

    saved, status = call_service(form, save)
    if saved is None:
        for error in form.non_field_errors():
            messages.error(request, str(error))
        return _invoice_page(request, Invoice.all_objects.get(pk=invoice.pk), status=status, **{key: form})
    messages.success(request, _("Invoice issued.") if issuing else _("E-invoice data saved."))
    return HttpResponseRedirect(saved.get_absolute_url())


@login_required
@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    return _einvoice_post(request, pk, issuing=True)


@login_required
@require_POST
def invoice_einvoice(request: HttpRequest, pk: int) -> HttpResponse:
    return _einvoice_post(request, pk, issuing=False)


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from sencrm.billing.printing import invoice_pdf_response

    response: HttpResponse = invoice_pdf_response(get_record(request, Invoice, pk))
    return response


@login_required
@require_GET
def invoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    """The issued invoice in the tax authority's XML layout (unsigned), for the e-invoice provider."""
    from sencrm.billing.einvoice import einvoice_xml

    invoice = get_record(request, Invoice, pk)
    try:
        body = einvoice_xml(invoice)
    except ValueError as error:
        messages.error(request, str(error))
        return _invoice_page(request, invoice, status=400)
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
    return response


# --- corrections -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invoice_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """An adjustment (more or less owed) or a replacement invoice for an issued one; the new draft's page
    follows, to be checked and issued."""
    user = request.user
    original = get_record(request, Invoice, pk, Action.EDIT)
    access.check_module(user, Module.BILLING, Action.CREATE)
    if not correctable(original):
        messages.info(request, _("Only an issued invoice is adjusted or replaced."))
        return HttpResponseRedirect(original.get_absolute_url())
    form = CorrectionForm(request.POST or None)
    initial = initial_lines(original.lines.order_by("position", "id"))
    lines = LineFormSet(request.POST or None, user=user, initial=initial, prefix="lines")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and lines.is_valid():
            data = form.cleaned_data
            made, status = call_service(
                form,
                lambda: services.invoice_correct(
                    original,
                    actor=user,
                    kind=data["kind"],
                    lines=lines.lines(),
                    reason=data["correction_reason"],
                    agreement_date=data["agreement_date"],
                    decrease=data["decrease"],
                ),
            )
            if made is not None:
                messages.success(request, _("Correction created as a draft: check it and issue it."))
                return HttpResponseRedirect(made.get_absolute_url())
    context = {"form": form, "lines": lines, "original": original}
    return render(request, "billing/invoice_correct.html", context, status=status)


# --- invoicing an order ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def order_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """An order's lines with what is ordered, delivered, invoiced and left; POST makes the draft invoice
    of the chosen quantities, of everything left, or of what was delivered and not yet invoiced."""
    user = request.user
    order = get_record(request, Order, pk)
    access.check_module(user, Module.BILLING, Action.CREATE)
    order_lines = list(order.lines.select_related("product").order_by("position", "id"))
    done = services.invoiced_quantities(order)
    left = {line.pk: max(line.quantity - done.get(line.pk, Decimal(0)), Decimal(0)) for line in order_lines}
    initial = {f"line_{pk}": qty.normalize() for pk, qty in left.items() if qty > 0}
    form = OrderInvoiceForm(request.POST or None, lines=order_lines, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            part = form.part()
            invoice, status = call_service(
                form,
                lambda: services.invoice_from_order(
                    order,
                    actor=user,
                    quantities=None if part else form.quantities(),
                    part=part or "all",
                ),
            )
            if invoice is not None:
                messages.success(request, _("Draft invoice %(number)s created.") % {"number": invoice.number})
                return HttpResponseRedirect(invoice.get_absolute_url())
    rows = [
        {
            "line": line,
            "invoiced": done.get(line.pk, Decimal(0)),
            "left": left[line.pk],
            "field": form[f"line_{line.pk}"],
        }
        for line in order_lines
    ]
    context = {"order": order, "form": form, "rows": rows, "anything_left": any(left.values())}
    return render(request, "billing/order_invoice.html", context, status=status)
