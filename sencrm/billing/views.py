"""Pages of billing: invoices (list, page, form, issue, corrections), invoicing an order, returns,
receipts and payment vouchers with their allocations, receivables, and bank reconciliation.

Every read starts from the access gate (out of scope: 404; a missing right: 403) and every write is a
service call (sencrm/billing/services.py, reconcile.py), whose ValidationErrors come back on the form
with a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.billing import (
    exports,
    reconcile,
    selectors,
    services,
)
from sencrm.billing.forms import (
    AllocateForm,
    CorrectionForm,
    EInvoiceForm,
    InvoiceForm,
    OrderInvoiceForm,
    PaymentForm,
    ReturnForm,
    StatementUploadForm,
)
from sencrm.billing.models import (
    OPEN_STATUSES,
    BankLine,
    BankLineStatus,
    BankStatement,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    Return,
)
from sencrm.commerce.forms import LineFormSet, initial_lines
from sencrm.commerce.models import Order
from sencrm.commerce.selectors import document_search_filter
from sencrm.commerce.vat import effective_code
from sencrm.core import (
    access,
    vietqr,  # moved to core: a Vietnamese standard, like VAT
)
from sencrm.core.export import csv_response
from sencrm.core.forms import DATE_INPUT_FORMATS, assignable_owners
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.money import amount_in_words
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import RecordList, call_service, get_record, record_export
from sencrm.core.text import fold
from sencrm.core.vat import VatRate
from sencrm.customers.models import Account, Contact
from sencrm.documents.selectors import company_profile
from sencrm.events import selectors as event_selectors
from sencrm.savedviews.selectors import saved_views

PAGE_SIZE = 50


def _bad_filter(name: str) -> ValidationError:
    return ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": name})


def _bad_page() -> str:
    return _("This page link is no longer valid. Start again from the first page.")


def _refuse(request: HttpRequest, exc: ValidationError, form: Any = None) -> None:
    """A service's refusal: errors naming a field of `form` go on it, the others to the page's messages
    (the small forms of a record's page do not show errors of their own)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            if form is not None and name in form.fields:
                form.add_error(name, errors)
            else:
                for error in errors:
                    for message in error.messages:
                        messages.error(request, message)
    else:
        for message in exc.messages:
            messages.error(request, message)


def _visible(user: Any, obj: Any) -> Any:
    return obj if obj is not None and access.in_scope(user, Action.VIEW, obj) else None


def _pk(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


# --- invoice list ----------------------------------------------------------------------------------


def _invoice_filters(qs: Any, params: Mapping[str, Any]) -> Any:
    """The list's filters (status, overdue, owner, the search box), shared by the page and its export."""
    status = params.get("status", "")
    if status and status not in InvoiceStatus.values:
        raise _bad_filter(_("status"))
    if status:
        qs = qs.filter(status=status)
    overdue = params.get("overdue", "")
    if overdue not in ("", "yes", "no"):
        raise _bad_filter(_("overdue"))
    if overdue == "yes":
        qs = qs.filter(selectors.overdue_q())
    elif overdue == "no":
        qs = qs.exclude(selectors.overdue_q())
    owner = params.get("owner", "")
    if owner and _pk(owner) is None:
        raise _bad_filter(_("owner"))
    if owner:
        qs = qs.filter(owner_id=_pk(owner))
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
        context["totals"] = qs.aggregate(
            owed=Sum("balance"), owed_overdue=Sum("balance", filter=selectors.overdue_q(today))
        )
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
        context["error"] = _bad_page()
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
        "contact": _visible(user, invoice.contact),
        "account": _visible(user, invoice.account),
        "order": _visible(user, invoice.order),
        "contract": _visible(user, invoice.contract),
        "original": _visible(user, invoice.original),
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
        pk = _pk(request.GET.get(name, ""))
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
        _refuse(request, exc)
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


# --- returns ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def order_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Goods sent back against the order's delivered lines; when they were invoiced, a credit note is
    issued against the invoice, and optionally what it leaves over is refunded."""
    user = request.user
    order = get_record(request, Order, pk)
    access.check_module(user, Module.BILLING, Action.CREATE)
    delivered = [
        line
        for line in order.lines.select_related("product").order_by("position", "id")
        if line.delivered_quantity > 0
    ]
    back = services.returned_quantities(order)
    form = ReturnForm(request.POST or None, lines=delivered)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            made, status = call_service(
                form,
                lambda: services.return_create(
                    order,
                    actor=user,
                    quantities=form.quantities(),
                    reason=data["reason"],
                    returned_on=data.get("returned_on"),
                    refund_method=data.get("refund_method") or "",
                ),
            )
            if made is not None:
                messages.success(request, _("Return %(number)s recorded.") % {"number": made.number})
                return HttpResponseRedirect(made.get_absolute_url())
    rows = [
        {
            "line": line,
            "returned": back.get(line.pk, Decimal(0)),
            "left": max(line.delivered_quantity - back.get(line.pk, Decimal(0)), Decimal(0)),
            "field": form[f"line_{line.pk}"],
        }
        for line in delivered
    ]
    return render(
        request, "billing/order_return.html", {"order": order, "form": form, "rows": rows}, status=status
    )


@login_required
@require_GET
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    returned = get_record(
        request, Return.objects.select_related("order", "credit_invoice", "refund", "owner"), pk
    )
    context = {
        "object": returned,
        "lines": list(returned.lines.select_related("order_line").order_by("order_line__position", "id")),
        "order": _visible(user, returned.order),
        "credit_invoice": _visible(user, returned.credit_invoice),
        "refund": _visible(user, returned.refund),
    }
    return render(request, "billing/return_detail.html", context)


@login_required
@require_GET
def return_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.BILLING, Action.VIEW)
    context: dict[str, Any] = {}
    try:
        context["page"] = keyset_page(
            access.scope(request.user, Return, Action.VIEW).select_related("order", "credit_invoice"),
            sort="returned_on",
            descending=True,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
    except BadCursor:
        context["error"] = _bad_page()
        return render(request, "billing/return_list.html", context, status=400)
    return render(request, "billing/return_list.html", context)


# --- receipts and payment vouchers -----------------------------------------------------------------


def _date_param(params: Mapping[str, Any], name: str) -> Any:
    from datetime import datetime

    raw = str(params.get(name, "")).strip()[:10]
    if not raw:
        return None
    for fmt in DATE_INPUT_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007  (a calendar day, no time)
        except ValueError:
            continue
    raise _bad_filter(_("date"))


def _payment_filters(qs: Any, params: Mapping[str, Any]) -> Any:
    kind = params.get("kind", "")
    if kind and kind not in PaymentKind.values:
        raise _bad_filter(_("kind"))
    method = params.get("method", "")
    if method and method not in PaymentMethod.values:
        raise _bad_filter(_("method"))
    qs = qs.filter(**{k: v for k, v in (("kind", kind), ("method", method)) if v})
    start, end = _date_param(params, "from"), _date_param(params, "to")
    if start:
        qs = qs.filter(paid_at__date__gte=start)
    if end:
        qs = qs.filter(paid_at__date__lte=end)
    for word in fold(params.get("q", "").strip()[:100]).split():
        qs = qs.filter(search_key__contains=word)
    return qs


PAYMENTS = RecordList(Payment, narrow=_payment_filters)


@login_required
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.BILLING, Action.VIEW)
    params = request.GET
    context: dict[str, Any] = {
        "kinds": PaymentKind.choices,
        "methods": PaymentMethod.choices,
        "kind": params.get("kind", ""),
        "method": params.get("method", ""),
        "date_from": params.get("from", "")[:10],
        "date_to": params.get("to", "")[:10],
        "query": params.get("q", "").strip()[:100],
        "can_create": access.can(user, Module.BILLING, Action.CREATE),
    }
    try:
        context["page"] = keyset_page(
            PAYMENTS.queryset(request, Action.VIEW, params).select_related("contact", "account"),
            sort="paid_at",
            descending=True,
            cursor=params.get("cursor"),
            size=PAGE_SIZE,
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "billing/payment_list.html", context, status=400)
    except BadCursor:
        context["error"] = _bad_page()
        return render(request, "billing/payment_list.html", context, status=400)
    access.label_related(user, context["page"].rows, "contact")
    access.label_related(user, context["page"].rows, "account")
    return render_page_or_partial(
        request, "billing/payment_list.html", "billing/partials/payment_table.html", context
    )


def _open_invoices(user: Any, *, contact: Any = None, account: Any = None) -> QuerySet[Invoice]:
    """The customer's invoices a receipt may be applied to (the services' rule: same account, else the
    same contact), the oldest due first."""
    qs = access.scope(user, Invoice, Action.EDIT).filter(
        status__in=OPEN_STATUSES, is_credit=False, balance__gt=0
    )
    if account is not None:
        qs = qs.filter(account=account)
    elif contact is not None:
        qs = qs.filter(contact=contact)
    else:
        return qs.none()
    return qs.order_by("due_date", "issue_date", "id")[:100]


def _chosen(user: Any, model: Any, raw: Any) -> Any:
    pk = _pk(str(raw or ""))
    return None if pk is None else access.scope(user, model, Action.VIEW).filter(pk=pk).first()


@login_required
@require_http_methods(["GET", "POST"])
def payment_create(request: HttpRequest) -> HttpResponse:
    """A receipt or a voucher. ?invoice= fills in the invoice's customer and balance; the customer's open
    invoices each take an amount of the receipt (the "show" button lists them again without JavaScript
    when the customer was changed)."""
    user = request.user
    access.check_module(user, Module.BILLING, Action.CREATE)
    source = request.POST if request.method == "POST" else request.GET
    contact = _chosen(user, Contact, source.get("contact"))
    account = _chosen(user, Account, source.get("account"))
    initial: dict[str, Any] = {"contact": contact, "account": account}
    invoice = None
    if request.method == "GET":
        invoice = _chosen(user, Invoice, request.GET.get("invoice"))
    if invoice is not None and invoice.is_open and invoice.balance > 0:
        contact, account = _visible(user, invoice.contact), _visible(user, invoice.account)
        initial = {"contact": contact, "account": account, "amount": invoice.balance}
        initial[f"alloc_{invoice.pk}"] = invoice.balance
    if account is None and contact is not None and contact.account_id:
        account = _visible(user, contact.account)
    invoices = _open_invoices(user, contact=contact, account=account)
    saving = request.method == "POST" and "refresh" not in request.POST
    if request.method == "POST" and not saving:
        # Only listing the customer's open invoices again: what was typed stays, nothing is checked.
        initial = {**request.POST.dict(), "contact": contact, "account": account}
    form = PaymentForm(
        request.POST if saving else None,
        user=user,
        invoices=invoices,
        keep=[contact, account],
        initial=initial,
        refresh_url=reverse("billing:payment_create"),
    )
    status = 200
    if saving:
        status = 400
        if form.is_valid():
            payment, status = call_service(
                form,
                lambda: services.payment_create(
                    actor=user, data=form.payment_data(), allocations=form.allocations()
                ),
            )
            if payment is not None:
                messages.success(request, _("%(number)s recorded.") % {"number": payment.number})
                return HttpResponseRedirect(payment.get_absolute_url())
    return render(request, "billing/payment_form.html", {"form": form}, status=status)


def _payment_page(request: HttpRequest, payment: Payment, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    events, next_before = event_selectors.audit_trail(user=user, obj=payment)
    allocations = list(payment.allocations.select_related("invoice").order_by("created_at", "id"))
    visible = access.visible_pks(user, Invoice, [a.invoice_id for a in allocations])
    bank_line = BankLine.objects.filter(payment=payment).select_related("statement").first()
    can_allocate = (
        payment.kind == PaymentKind.RECEIPT
        and payment.unallocated > 0
        and access.in_scope(user, Action.EDIT, payment)
    )
    form = extra.pop("allocate_form", None)
    if form is None and can_allocate:
        form = AllocateForm(invoices=_open_invoices(user, contact=payment.contact, account=payment.account))
    context = {
        "object": payment,
        "amount_in_words": amount_in_words(payment.amount),
        "contact": _visible(user, payment.contact),
        "account": _visible(user, payment.account),
        "allocations": [{"allocation": a, "visible": a.invoice_id in visible} for a in allocations],
        "bank_line": bank_line,
        "statement": _visible(user, bank_line.statement) if bank_line else None,
        "allocate_form": form if can_allocate else None,
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(Payment).pk,
        **extra,
    }
    return render(request, "billing/payment_detail.html", context, status=status)


@login_required
@require_GET
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _payment_page(
        request, get_record(request, Payment.objects.select_related("contact", "account"), pk)
    )


@login_required
@require_POST
def payment_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    """What a receipt has left, applied to the customer's open invoices."""
    user = request.user
    payment = get_record(request, Payment.objects.select_related("contact", "account"), pk, Action.EDIT)
    form = AllocateForm(
        request.POST, invoices=_open_invoices(user, contact=payment.contact, account=payment.account)
    )
    status = 400
    if form.is_valid():
        made, status = call_service(
            form, lambda: services.payment_allocate(payment, actor=user, allocations=form.allocations())
        )
        if made is not None:
            messages.success(request, _("Applied to the invoices."))
            return HttpResponseRedirect(payment.get_absolute_url())
    return _payment_page(request, Payment.all_objects.get(pk=payment.pk), status=status, allocate_form=form)


@login_required
@require_GET
def payment_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from sencrm.billing.printing import payment_pdf_response

    response: HttpResponse = payment_pdf_response(get_record(request, Payment, pk))
    return response


# --- receivables -----------------------------------------------------------------------------------


def _receivables(request: HttpRequest) -> tuple[str, list[dict[str, Any]]]:
    query = request.GET.get("q", "").strip()[:100]
    rows = selectors.receivables(request.user, search=query)
    return query, exports.name_customers(request.user, rows)


@login_required
@require_GET
def receivables(request: HttpRequest) -> HttpResponse:
    """What each customer owes, by how long past due (current, 1–30, 31–60, 61–90, over 90 days)."""
    access.check_module(request.user, Module.BILLING, Action.VIEW)
    query, rows = _receivables(request)
    context = {
        "query": query,
        "rows": rows,
        "totals": selectors.receivables_totals(request.user),
        "buckets": [key for key, _label in exports.BUCKET_HEADERS],
        "can_export": access.can(request.user, Module.BILLING, Action.EXPORT),
    }
    return render(request, "billing/receivables.html", context)


@login_required
@require_GET
def receivables_export(request: HttpRequest) -> HttpResponseBase:
    access.check_module(request.user, Module.BILLING, Action.EXPORT)
    _query, rows = _receivables(request)
    totals = selectors.receivables_totals(request.user)
    body = [
        *exports.receivables_rows(rows),
        [_("Total"), *(totals[key] for key, _label in exports.BUCKET_HEADERS), totals["total"]],
    ]
    return csv_response(f"receivables-{timezone.localdate():%Y%m%d}", exports.receivables_header(), body)


# --- bank reconciliation ---------------------------------------------------------------------------


def _statements_page(request: HttpRequest, form: StatementUploadForm, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {"form": form}
    statements = (
        access.scope(request.user, BankStatement, Action.VIEW)
        .select_related("owner")
        .annotate(open_lines=Count("lines", filter=Q(lines__status=BankLineStatus.OPEN, lines__amount__gt=0)))
    )
    try:
        context["page"] = keyset_page(
            statements, sort="created_at", descending=True, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except BadCursor:
        context["error"] = _bad_page()
        status = 400
    return render(request, "billing/statement_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def statement_list(request: HttpRequest) -> HttpResponse:
    """The upload form, and the statements uploaded before with what is left to reconcile."""
    user = request.user
    access.check_module(user, Module.BILLING, Action.IMPORT)
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _statements_page(request, form)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        statement, status = call_service(
            form,
            lambda: reconcile.statement_upload(
                actor=user,
                upload=upload,
                name=upload.name or "statement.csv",
                size=upload.size or 0,
                mapping=form.mapping(),
                bank=form.cleaned_data.get("bank") or "",
                save_mapping=form.cleaned_data.get("save_mapping") or False,
            ),
        )
        if statement is not None:
            messages.success(
                request,
                _("%(lines)s new lines read, %(skipped)s uploaded before.")
                % {"lines": statement.line_count, "skipped": statement.skipped_count},
            )
            return HttpResponseRedirect(statement.get_absolute_url())
        return _statements_page(request, form, status=status)
    return _statements_page(request, form, status=400)


def _statement_page(request: HttpRequest, statement: BankStatement, status: int = 200) -> HttpResponse:
    user = request.user
    lines = list(statement.lines.select_related("match_invoice", "payment").order_by("row"))
    open_lines = [line for line in lines if line.status == BankLineStatus.OPEN and line.amount > 0]
    open_ids = {line.pk for line in open_lines}
    # The open invoices of each open line's amount, to choose from when the proposal is wrong or missing.
    by_amount: dict[Decimal, list[Invoice]] = {}
    if open_lines:
        candidates = list(
            access.scope(user, Invoice, Action.EDIT)
            .filter(
                status__in=OPEN_STATUSES,
                is_credit=False,
                balance__in={line.amount for line in open_lines},
            )
            .select_related("contact", "account")
            .order_by("due_date", "id")[:500]
        )
        access.label_related(user, candidates, "contact")
        access.label_related(user, candidates, "account")
        for invoice in candidates:
            by_amount.setdefault(invoice.balance, []).append(invoice)
    visible = access.visible_pks(user, Invoice, [line.match_invoice_id for line in lines])
    rows = [
        {
            "line": line,
            "open": line.pk in open_ids,
            "candidates": by_amount.get(line.amount, []) if line.pk in open_ids else [],
            "match_visible": line.match_invoice_id in visible,
        }
        for line in lines
    ]
    context = {
        "object": statement,
        "rows": rows,
        "confident": sum(1 for line in open_lines if line.match_confident and line.match_invoice_id),
        "can_edit": access.in_scope(user, Action.EDIT, statement),
    }
    return render(request, "billing/statement_detail.html", context, status=status)


def _statement(request: HttpRequest, pk: int, action: str = Action.VIEW) -> BankStatement:
    access.check_module(request.user, Module.BILLING, Action.IMPORT)
    statement: BankStatement = get_record(request, BankStatement, pk, action)
    return statement


@login_required
@require_GET
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _statement_page(request, _statement(request, pk))


@login_required
@require_POST
def statement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Every confident proposed match becomes a receipt allocated to its invoice."""
    statement = _statement(request, pk, Action.EDIT)
    try:
        made = reconcile.statement_confirm(statement, actor=request.user)
    except ValidationError as exc:
        _refuse(request, exc)
        return _statement_page(request, statement, status=400)
    if made:
        messages.success(request, _("%(n)s receipts recorded.") % {"n": len(made)})
    else:
        messages.info(request, _("No confident match is left to confirm."))
    return HttpResponseRedirect(statement.get_absolute_url())


def _line(request: HttpRequest, line_pk: int) -> BankLine:
    access.check_module(request.user, Module.BILLING, Action.IMPORT)
    statements = access.scope(request.user, BankStatement, Action.VIEW)
    line = get_object_or_404(BankLine.objects.select_related("statement", "match_invoice"), pk=line_pk)
    if not statements.filter(pk=line.statement_id).exists():
        raise Http404(str(access.NOT_FOUND))
    access.check(request.user, Action.EDIT, line.statement)
    return line


def _chosen_invoice(request: HttpRequest) -> Invoice | None:
    """The invoice typed (its number) or chosen (its id) for a line; ValidationError when not found."""
    visible = access.scope(request.user, Invoice, Action.VIEW)
    number = request.POST.get("invoice_number", "").strip()[:40]
    raw = request.POST.get("invoice", "").strip()
    if number:
        found = visible.filter(number__iexact=number).first()
    elif raw:
        pk = _pk(raw)
        found = visible.filter(pk=pk).first() if pk is not None else None
    else:
        return None
    if found is None:
        raise ValidationError(_("No invoice %(number)s that you may see.") % {"number": number or raw})
    return found


@login_required
@require_POST
def statement_line_confirm(request: HttpRequest, line_pk: int) -> HttpResponse:
    """One line becomes a receipt, allocated to its proposed match or to the invoice chosen."""
    line = _line(request, line_pk)
    try:
        payment = reconcile.line_confirm(line, actor=request.user, invoice=_chosen_invoice(request))
    except ValidationError as exc:
        _refuse(request, exc)
        return _statement_page(request, line.statement, status=400)
    messages.success(request, _("%(number)s recorded.") % {"number": payment.number})
    return HttpResponseRedirect(line.statement.get_absolute_url())


@login_required
@require_POST
def statement_line_ignore(request: HttpRequest, line_pk: int) -> HttpResponse:
    line = _line(request, line_pk)
    reconcile.line_ignore(line, actor=request.user)
    messages.success(request, _("Line ignored."))
    return HttpResponseRedirect(line.statement.get_absolute_url())
