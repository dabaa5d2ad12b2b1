"""Receivables (what each customer owes, by age, and its export) and bank reconciliation: uploading a
statement, its page, confirming the proposed matches, and confirming or ignoring one line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.billing import exports, reconcile, selectors
from sencrm.billing.forms import StatementUploadForm
from sencrm.billing.models import OPEN_STATUSES, BankLine, BankLineStatus, BankStatement, Invoice
from sencrm.billing.views.common import PAGE_SIZE, bad_page, parse_pk, refuse
from sencrm.core import access
from sencrm.core.export import csv_response
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import call_service, get_record

# --- receivables -----------------------------------------------------------------------------------


def _receivables(request: HttpRequest) -> tuple[str, list[dict[str, Any]], dict[str, Decimal]]:
    query = request.GET.get("q", "").strip()[:100]
    rows, totals = selectors.receivables_report(request.user, search=query)
    return query, exports.name_customers(request.user, rows), totals


@login_required
@require_GET
def receivables(request: HttpRequest) -> HttpResponse:
    """What each customer owes, by how long past due (current, 1–30, 31–60, 61–90, over 90 days)."""
    access.check_module(request.user, Module.BILLING, Action.VIEW)
    query, rows, totals = _receivables(request)
    context = {
        "query": query,
        "rows": rows,
        "totals": totals,
        "buckets": [key for key, _label in exports.BUCKET_HEADERS],
        "can_export": access.can(request.user, Module.BILLING, Action.EXPORT),
    }
    return render(request, "billing/receivables.html", context)


@login_required
@require_GET
def receivables_export(request: HttpRequest) -> HttpResponseBase:
    access.check_module(request.user, Module.BILLING, Action.EXPORT)
    _query, rows, totals = _receivables(request)
    body = [
        *exports.receivables_rows(rows),
        [_("Total"), *(totals[key] for key, _label in exports.BUCKET_HEADERS), totals["total"]],
    ]
    return csv_response(f"receivables-{timezone.localdate():%Y%m%d}", exports.receivables_header(), body)


# --- bank reconciliation ---------------------------------------------------------------------------


def sample_statement_path() -> Path | None:
    """The sample statement `make demo` writes (DATA_DIR/demo/sao-ke-*.csv), the newest, if any."""
    found = sorted((Path(settings.DATA_DIR) / "demo").glob("sao-ke-*.csv"))
    return found[-1] if found else None


def _statements_page(request: HttpRequest, form: StatementUploadForm, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "sample": sample_statement_path()}
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
        context["error"] = bad_page()
        status = 400
    return render(request, "billing/statement_list.html", context, status=status)


@login_required
@require_GET
def statement_sample(request: HttpRequest) -> FileResponse:
    """The demo's sample statement of this month, to try the reconciliation with."""
    access.check_module(request.user, Module.BILLING, Action.IMPORT)
    path = sample_statement_path()
    if path is None:
        raise Http404(_("There is no sample statement: it comes with the demo data."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name, content_type="text/csv")


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
    waiting = reconcile.confident_lines(statement)
    if waiting > reconcile.CONFIRM_INLINE:
        user_id = request.user.pk
        assert user_id is not None  # noqa: S101  (login_required)
        reconcile.confirm_in_background(statement.pk, user_id)
        messages.info(
            request,
            _("%(n)s matches are being confirmed in the background: reload this page to follow them.")
            % {"n": waiting},
        )
        return HttpResponseRedirect(statement.get_absolute_url())
    try:
        made = reconcile.statement_confirm(statement, actor=request.user)
    except ValidationError as exc:
        refuse(request, exc)
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
        pk = parse_pk(raw)
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
        refuse(request, exc)
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
