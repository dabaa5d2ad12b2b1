"""Receipts and payment vouchers: the list, the form (with the allocations to the customer's open
invoices), a payment's page, allocating what a receipt has left, and the PDF."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.billing import services
from sencrm.billing.forms import AllocateForm, PaymentForm
from sencrm.billing.models import OPEN_STATUSES, BankLine, Invoice, Payment, PaymentKind, PaymentMethod
from sencrm.billing.views.common import PAGE_SIZE, bad_filter, bad_page, parse_pk, visible_or_none
from sencrm.core import access
from sencrm.core.forms import DATE_INPUT_FORMATS
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.money import amount_in_words
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import RecordList, call_service, get_record
from sencrm.core.text import fold
from sencrm.customers.models import Account, Contact
from sencrm.events import selectors as event_selectors

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
    raise bad_filter(_("date"))


def _payment_filters(qs: Any, params: Mapping[str, Any]) -> Any:
    kind = params.get("kind", "")
    if kind and kind not in PaymentKind.values:
        raise bad_filter(_("kind"))
    method = params.get("method", "")
    if method and method not in PaymentMethod.values:
        raise bad_filter(_("method"))
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
        context["error"] = bad_page()
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
    pk = parse_pk(str(raw or ""))
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
        contact, account = visible_or_none(user, invoice.contact), visible_or_none(user, invoice.account)
        initial = {"contact": contact, "account": account, "amount": invoice.balance}
        initial[f"alloc_{invoice.pk}"] = invoice.balance
    if account is None and contact is not None and contact.account_id:
        account = visible_or_none(user, contact.account)
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
        "contact": visible_or_none(user, payment.contact),
        "account": visible_or_none(user, payment.account),
        "allocations": [{"allocation": a, "visible": a.invoice_id in visible} for a in allocations],
        "bank_line": bank_line,
        "statement": visible_or_none(user, bank_line.statement) if bank_line else None,
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
