"""Pages of quotes, orders and contracts: lists, the document's page, its form with lines, transitions.

The three kinds share these views through `KINDS` (model, form, services, words); every read starts from
the access gate and every write is a service call (sencrm/commerce/services.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.commerce import exports, services
from sencrm.commerce.forms import (
    ContractForm,
    DeliveryForm,
    DocumentForm,
    LineFormSet,
    OrderForm,
    QuoteForm,
    ReasonForm,
    SignedFileForm,
    initial_lines,
)
from sencrm.commerce.models import (
    Contract,
    ContractStatus,
    Document,
    Order,
    OrderStatus,
    Quote,
    QuoteStatus,
)
from sencrm.commerce.selectors import document_search_filter
from sencrm.commerce.vat import effective_code
from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.money import amount_in_words
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.panels import panels as record_panels
from sencrm.core.record_views import RecordList, add_validation_errors, record_export
from sencrm.core.vat import VatRate
from sencrm.customers.models import Account, Contact
from sencrm.events import selectors as event_selectors
from sencrm.sales.models import Opportunity
from sencrm.savedviews.selectors import saved_views

PAGE_SIZE = 50


@dataclass(frozen=True)
class Kind:
    name: str  # "quote"
    model: type[Document]
    form: type[DocumentForm]
    statuses: Any
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    title: Promise
    title_one: Promise
    new_label: Promise

    def url(self, view: str, *args: Any) -> str:
        return reverse(f"commerce:{self.name}_{view}", args=args)

    @property
    def records(self) -> RecordList:
        """The documents a list page, or its export, shows for its parameters (over the gate's scope)."""
        return RecordList(self.model, narrow=_document_filters(self.statuses))


KINDS: dict[str, Kind] = {
    "quote": Kind(
        "quote",
        Quote,
        QuoteForm,
        QuoteStatus,
        services.quote_create,
        services.quote_update,
        services.quote_delete,
        gettext_lazy("Quotes"),
        gettext_lazy("Quote"),
        gettext_lazy("New quote"),
    ),
    "order": Kind(
        "order",
        Order,
        OrderForm,
        OrderStatus,
        services.order_create,
        services.order_update,
        services.order_delete,
        gettext_lazy("Orders"),
        pgettext_lazy("document kind", "Order"),
        gettext_lazy("New order"),
    ),
    "contract": Kind(
        "contract",
        Contract,
        ContractForm,
        ContractStatus,
        services.contract_create,
        services.contract_update,
        services.contract_delete,
        gettext_lazy("Contracts"),
        gettext_lazy("Contract"),
        gettext_lazy("New contract"),
    ),
}


def _get(request: HttpRequest, kind: Kind, pk: int, action: str = Action.VIEW) -> Any:
    obj = get_object_or_404(access.scope(request.user, kind.model, Action.VIEW), pk=pk)
    access.check(request.user, action, obj)
    return obj


# --- lists ---------------------------------------------------------------------------------------


def _document_filters(statuses: Any) -> Callable[[Any, Any], Any]:
    """The list's filters for a kind (status, the search box); ValidationError when one is not valid.
    Shared by the page and its export."""

    def narrow(qs: Any, params: Any) -> Any:
        status = params.get("status", "")
        if status and status not in statuses.values:
            raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": _("status")})
        if status:
            qs = qs.filter(status=status)
        query = params.get("q", "").strip()[:100]
        if query:
            qs = document_search_filter(qs, query)
        return qs

    return narrow


def document_list(request: HttpRequest, kind_name: str) -> HttpResponse:
    kind = KINDS[kind_name]
    access.check_module(request.user, Module.COMMERCE, Action.VIEW)
    context: dict[str, Any] = {
        "kind": kind,
        "kinds": KINDS.values(),
        "statuses": kind.statuses.choices,
        "status": request.GET.get("status", ""),
        "query": request.GET.get("q", "").strip()[:100],
        "can_create": access.can(request.user, Module.COMMERCE, Action.CREATE),
        "can_export": access.can(request.user, Module.COMMERCE, Action.EXPORT),
        "export_url": f"commerce:{kind.name}_export",
        "list_name": f"{kind.name}s",
        "saved_views": saved_views(request.user, f"{kind.name}s"),
    }
    try:
        qs = kind.records.queryset(request, Action.VIEW, request.GET)
        context["page"] = keyset_page(
            qs.select_related("contact", "account", "owner"),
            sort="issue_date",
            descending=True,
            cursor=request.GET.get("cursor"),
            size=PAGE_SIZE,
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "commerce/document_list.html", context, status=400)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "commerce/document_list.html", context, status=400)
    access.label_related(request.user, context["page"].rows, "contact")
    access.label_related(request.user, context["page"].rows, "account")
    return render_page_or_partial(
        request, "commerce/document_list.html", "commerce/partials/document_table.html", context
    )


@login_required
@require_GET
def document_export(request: HttpRequest, kind_name: str) -> HttpResponseBase:
    """A kind's filtered list as CSV or XLSX (formula-safe cells), only over what the user may export."""
    kind = KINDS[kind_name]

    def table(qs: Any) -> tuple[list[str], Any]:
        return exports.document_header(kind.model), exports.document_rows(qs, user=request.user)

    return record_export(request, kind.records, module=Module.COMMERCE, name=f"{kind.name}s", table=table)


@login_required
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    return document_list(request, "quote")


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    return document_list(request, "order")


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    return document_list(request, "contract")


# --- the document's page -------------------------------------------------------------------------


def _visible(user: Any, obj: Any) -> Any:
    return obj if obj is not None and access.in_scope(user, Action.VIEW, obj) else None


def _detail(request: HttpRequest, kind_name: str, pk: int, status: int = 200, **extra: Any) -> HttpResponse:
    kind = KINDS[kind_name]
    document = _get(request, kind, pk)
    user = request.user
    events, next_before = event_selectors.audit_trail(user=user, obj=document)
    can_edit = access.in_scope(user, Action.EDIT, document)
    lines = list(document.lines.select_related("product").order_by("position", "id"))
    sections: list[dict[str, Any]] = []
    for line in lines:
        # The rate the line pays on the document's date (a reducible 10 % line shows 8 % during the cut).
        line.applied_vat_label = VatRate(
            effective_code(line.vat_rate, line.vat_reducible, document.issue_date)
        ).label
        if not sections or sections[-1]["name"] != line.section:
            sections.append({"name": line.section, "lines": [], "subtotal": 0})
        sections[-1]["lines"].append(line)
        sections[-1]["subtotal"] += line.amount
    context = {
        "kind": kind,
        "object": document,
        "sections": sections,
        "total_in_words": amount_in_words(document.total),
        "contact": _visible(user, document.contact),
        "account": _visible(user, document.account),
        "opportunity": _visible(user, getattr(document, "opportunity", None)),
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(kind.model).pk,
        "can_edit": can_edit,
        # Only what the service would delete: a draft (a quote not yet accepted); the rest is cancelled,
        # terminated or kept, so no button that can only answer an error.
        "can_delete": access.in_scope(user, Action.DELETE, document)
        and (document.status != "accepted" if isinstance(document, Quote) else document.status == "draft"),
        "reason_form": ReasonForm(),
        # Other modules' parts of the page (an order's invoices and returns), without importing them.
        "panels": record_panels(document, user),
        # The promotion's saving, apart from the other discounts (the document's total holds both).
        "other_discount": document.discount_total - getattr(document, "promotion_discount", 0),
        **extra,
    }
    if isinstance(document, Quote):
        from sencrm.commerce.mail import quote_recipient

        context["recipient"] = quote_recipient(document)
        context["versions"] = _quote_versions(document)
        context["orders"] = list(access.scope(user, Order, Action.VIEW).filter(quote=document))
    if isinstance(document, Order):
        context["deliveries"] = list(document.deliveries.prefetch_related("lines__order_line"))
        context["delivery_form"] = extra.get("delivery_form") or DeliveryForm(order=document)
        context["contract"] = _visible(user, document.contract)
    if isinstance(document, Contract):
        context["orders"] = list(access.scope(user, Order, Action.VIEW).filter(contract=document))
        context["file_form"] = extra.get("file_form") or SignedFileForm()
    return render(request, f"commerce/{kind.name}_detail.html", context, status=status)


def _quote_versions(quote: Quote) -> list[Quote]:
    return list(Quote.objects.filter(number=quote.number).order_by("revision"))


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, "quote", pk)


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, "order", pk)


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, "contract", pk)


# --- create and edit -----------------------------------------------------------------------------


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """?opportunity=, ?contact=, ?account= of the create page: kept only when valid and visible."""
    found: dict[str, Any] = {}
    for name, model in (("opportunity", Opportunity), ("contact", Contact), ("account", Account)):
        raw = request.GET.get(name, "")
        if raw.isdigit() and len(raw) < 12:
            obj = access.scope(request.user, model, Action.VIEW).filter(pk=int(raw)).first()
            if obj is not None:
                found[name] = obj
    opportunity = found.get("opportunity")
    if opportunity is not None:
        found.setdefault("contact", _visible(request.user, opportunity.contact))
        found.setdefault("account", _visible(request.user, opportunity.account))
    return {k: v for k, v in found.items() if v is not None}


def _form_page(request: HttpRequest, kind: Kind, document: Any = None) -> HttpResponse:
    user = request.user
    prefill = _prefill(request) if document is None and request.method == "GET" else {}
    form = kind.form(request.POST or None, user=user, instance=document, prefill=prefill)
    initial = initial_lines(document.lines.order_by("position", "id")) if document is not None else None
    lines = LineFormSet(request.POST or None, user=user, initial=initial, prefix="lines")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and lines.is_valid():
            data = {
                n: v
                for n, v in form.cleaned_data.items()
                if n != "version" and n in (form._meta.fields or [])
            }
            if not data.get("owner"):
                data.pop("owner", None)
            try:
                if document is None:
                    saved = kind.create(actor=user, data=data, lines=lines.lines())
                else:
                    stored = kind.model.all_objects.get(pk=document.pk)
                    saved = kind.update(
                        stored,
                        actor=user,
                        changes=data,
                        version=form.cleaned_data.get("version"),
                        lines=lines.lines(),
                    )
            except StaleRecord as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                for warning in getattr(saved, "warnings", []):
                    messages.warning(request, warning.message)
                return HttpResponseRedirect(saved.get_absolute_url())
    context = {"kind": kind, "form": form, "lines": lines, "object": document}
    return render(request, "commerce/document_form.html", context, status=status)


def _create_view(kind_name: str) -> Callable[[HttpRequest], HttpResponse]:
    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest) -> HttpResponse:
        access.check_module(request.user, Module.COMMERCE, Action.CREATE)
        return _form_page(request, KINDS[kind_name])

    return view


def _edit_view(kind_name: str) -> Callable[..., HttpResponse]:
    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        kind = KINDS[kind_name]
        document = _get(request, kind, pk, Action.EDIT)
        if isinstance(document, Quote) and document.is_read_only:
            messages.info(request, _("A sent quote is not edited: revise it into a new version."))
            return HttpResponseRedirect(document.get_absolute_url())
        return _form_page(request, kind, document)

    return view


quote_create = _create_view("quote")
order_create = _create_view("order")
contract_create = _create_view("contract")
quote_edit = _edit_view("quote")
order_edit = _edit_view("order")
contract_edit = _edit_view("contract")


# --- transitions ---------------------------------------------------------------------------------


def _act(request: HttpRequest, kind_name: str, pk: int, act: Callable[[Any], Any], done: str) -> HttpResponse:
    """Run a transition; its refusal (wrong status, missing reason) shows on the page as a 400."""
    kind = KINDS[kind_name]
    document = _get(request, kind, pk, Action.EDIT)
    try:
        result = act(document)
    except StaleRecord as exc:
        messages.error(request, str(exc.message))
        return _detail(request, kind_name, pk, status=409)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _detail(request, kind_name, pk, status=400)
    messages.success(request, done)
    for warning in getattr(result, "warnings", []):
        messages.warning(request, warning.message)
    target = result if hasattr(result, "get_absolute_url") else document
    return HttpResponseRedirect(target.get_absolute_url())


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@login_required
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    from sencrm.commerce.mail import send_quote

    def act(quote: Quote) -> Any:
        to = request.POST.get("to", "").strip()[:254]
        return send_quote(quote, actor=request.user, to=to)

    return _act(request, "quote", pk, act, _("Quote sent."))


@login_required
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "quote",
        pk,
        lambda q: services.quote_accept(q, actor=request.user),
        _("Quote accepted: order created."),
    )


@login_required
@require_POST
def quote_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "quote",
        pk,
        lambda q: services.quote_reject(q, actor=request.user, reason=_reason(request)),
        _("Quote marked as rejected."),
    )


@login_required
@require_POST
def quote_revise(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "quote",
        pk,
        lambda q: services.quote_revise(q, actor=request.user),
        _("New version created."),
    )


@login_required
@require_POST
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, "order", pk, lambda o: services.order_confirm(o, actor=request.user), _("Order confirmed.")
    )


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "order",
        pk,
        lambda o: services.order_cancel(o, actor=request.user, reason=_reason(request)),
        _("Order cancelled."),
    )


@login_required
@require_POST
def order_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    order = _get(request, KINDS["order"], pk, Action.EDIT)
    form = DeliveryForm(request.POST, order=order)
    if not form.is_valid():
        return _detail(request, "order", pk, status=400, delivery_form=form)
    return _act(
        request,
        "order",
        pk,
        lambda o: services.order_record_delivery(
            o,
            actor=request.user,
            delivered_on=form.cleaned_data["delivered_on"],
            quantities=form.quantities(),
            note=form.cleaned_data.get("note", ""),
        ),
        _("Delivery recorded."),
    )


@login_required
@require_POST
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "contract",
        pk,
        lambda c: services.contract_sign(c, actor=request.user),
        _("Contract signed."),
    )


@login_required
@require_POST
def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        "contract",
        pk,
        lambda c: services.contract_terminate(c, actor=request.user, reason=_reason(request)),
        _("Contract terminated."),
    )


@login_required
@require_POST
def contract_upload(request: HttpRequest, pk: int) -> HttpResponse:
    from sencrm.commerce.files import store_signed_pdf

    contract = _get(request, KINDS["contract"], pk, Action.EDIT)
    form = SignedFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, "contract", pk, status=400, file_form=form)
    try:
        path = store_signed_pdf(form.cleaned_data["file"])
    except ValidationError as exc:
        form.add_error("file", exc)
        return _detail(request, "contract", pk, status=400, file_form=form)
    return _act(
        request,
        "contract",
        contract.pk,
        lambda c: services.contract_attach_signed(
            c, actor=request.user, stored_path=path, name=form.cleaned_data["file"].name
        ),
        _("Signed copy attached."),
    )


@login_required
@require_GET
def contract_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    from sencrm.commerce.files import signed_pdf_response

    contract = _get(request, KINDS["contract"], pk)
    if not contract.signed_file:
        raise Http404(str(access.NOT_FOUND))
    return signed_pdf_response(contract)


def _delete_view(kind_name: str) -> Callable[..., HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        kind = KINDS[kind_name]
        document = _get(request, kind, pk, Action.DELETE)
        try:
            kind.delete(document, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return _detail(request, kind_name, pk, status=400)
        messages.success(request, _("Moved to the trash. You can restore it from the trash."))
        return HttpResponseRedirect(kind.url("list"))

    return view


quote_delete = _delete_view("quote")
order_delete = _delete_view("order")
contract_delete = _delete_view("contract")


# --- PDFs ----------------------------------------------------------------------------------------


def _pdf_view(kind_name: str) -> Callable[..., HttpResponse]:
    @login_required
    @require_GET
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        from sencrm.commerce.printing import document_pdf_response

        return document_pdf_response(_get(request, KINDS[kind_name], pk))

    return view


quote_pdf = _pdf_view("quote")
order_pdf = _pdf_view("order")
contract_pdf = _pdf_view("contract")
