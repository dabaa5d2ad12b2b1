"""Work-order pages: the list (tabs today / waiting for a technician / open / all, search), a work order's
page (assets with their warranty, checklist, parts, photos, signature, result, the status moves, booking,
the service report PDF, its history) and the create form. Reads go through the gate, writes through
sencrm/fieldservice/services.py; a refused write shows its message and answers 400."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.catalog.models import Product
from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.forms import DateTimeField
from sencrm.core.modules import Action, Module
from sencrm.core.text import fold
from sencrm.customers.models import Account, Contact
from sencrm.documents.pdf import pdf_response, safe_filename
from sencrm.events.formatting import event_title
from sencrm.events.models import Event
from sencrm.fieldservice import files, report, scheduling, services, warranty
from sencrm.fieldservice.models import (
    OPEN_WORK,
    WORK_TRANSITIONS,
    Asset,
    WorkKind,
    WorkOrder,
    WorkOrderPhoto,
    WorkStatus,
)

LIST = "fieldservice/workorder_list.html"
ROWS = 100
TABS = ("today", "unassigned", "open", "all")


def _get(request: HttpRequest, pk: int, action: str = Action.VIEW) -> WorkOrder:
    scoped = access.scope(request.user, WorkOrder, Action.VIEW).select_related(
        "contact",
        "account",
        "site_province",
        "technician",
        "skill",
        "ticket",
        "order",
        "contract",
        "plan",
        "invoice",
    )
    wo: WorkOrder = get_object_or_404(scoped, pk=pk)
    access.check(request.user, action, wo)
    return wo


def _rows(user: Any, tab: str, q: str) -> QuerySet[WorkOrder]:
    rows = access.scope(user, WorkOrder, Action.VIEW).select_related(
        "contact", "account", "site_province", "technician"
    )
    if tab == "today":
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(timezone.localdate(), dt.time.min, tzinfo=tz)
        rows = rows.filter(scheduled_start__gte=start, scheduled_start__lt=start + dt.timedelta(days=1))
    elif tab == "unassigned":
        rows = rows.filter(status=WorkStatus.SCHEDULED).filter(
            Q(technician__isnull=True) | Q(scheduled_start__isnull=True)
        )
    elif tab == "open":
        rows = rows.filter(status__in=OPEN_WORK)
    if q:
        rows = rows.filter(search_key__contains=fold(q)[:100])
    if tab in ("today", "open"):
        return rows.order_by("scheduled_start", "id")
    return rows.order_by("-created_at", "-id")


@login_required
@require_GET
def workorder_list(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.FIELDSERVICE, Action.VIEW)
    tab = request.GET.get("tab", "open")
    if tab not in TABS:
        tab = "open"
    q = request.GET.get("q", "").strip()[:100]
    rows = _rows(request.user, tab, q)
    context = {
        "rows": list(rows[:ROWS]),
        "more": rows[ROWS : ROWS + 1].exists(),
        "tab": tab,
        "tabs": [
            ("today", _("Today")),
            ("unassigned", _("Waiting for a technician")),
            ("open", _("Open")),
            ("all", _("All")),
        ],
        "q": q,
        "can_create": access.can(request.user, Module.FIELDSERVICE, Action.CREATE),
    }
    return render(request, LIST, context)


class WorkOrderForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("work type"), choices=WorkKind.choices)
    title = forms.CharField(label=gettext_lazy("title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact = forms.ModelChoiceField(
        label=gettext_lazy("contact"), queryset=Contact.objects.none(), required=False
    )
    account = forms.ModelChoiceField(
        label=gettext_lazy("account"), queryset=Account.objects.none(), required=False
    )
    assets = forms.ModelMultipleChoiceField(
        label=gettext_lazy("installed products"), queryset=Asset.objects.none(), required=False
    )
    technician = forms.ModelChoiceField(
        label=gettext_lazy("technician"),
        queryset=Contact.objects.none(),  # replaced by the technicians in __init__
        required=False,
    )
    scheduled_start = DateTimeField(label=gettext_lazy("scheduled start"), required=False)
    scheduled_end = DateTimeField(label=gettext_lazy("scheduled end"), required=False)

    def __init__(self, *args: Any, user: Any, customer: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        contacts = access.scope(user, Contact, Action.VIEW)
        accounts = access.scope(user, Account, Action.VIEW)
        fields: dict[str, Any] = self.fields
        contact, account = customer.get("contact"), customer.get("account")
        fields["contact"].queryset = contacts.filter(pk=contact.pk) if contact else contacts.none()
        fields["account"].queryset = accounts.filter(pk=account.pk) if account else accounts.none()
        owned = access.scope(user, Asset, Action.VIEW).select_related("product")
        who = Q()
        if contact:
            who |= Q(contact=contact)
        if account:
            who |= Q(account=account)
        fields["assets"].queryset = owned.filter(who) if who else owned.none()
        fields["technician"].queryset = (
            get_user_model()
            .objects.filter(technician__active=True, is_active=True)
            .order_by("first_name", "username")
        )


def _customer_from(request: HttpRequest) -> dict[str, Any]:
    """The customer the form is for, from ?contact=, ?account=, ?asset= or ?ticket= (as the user sees it)."""
    params = request.GET if request.method == "GET" else request.POST
    found: dict[str, Any] = {}
    user = request.user

    def visible(model: Any, raw: str) -> Any:
        if not raw.isdigit():
            return None
        return access.scope(user, model, Action.VIEW).filter(pk=int(raw)).first()

    asset = visible(Asset, params.get("asset", ""))
    if asset is not None:
        found.update(asset=asset, contact=asset.contact, account=asset.account)
    from sencrm.support.models import Ticket

    ticket = visible(Ticket, params.get("ticket", ""))
    if ticket is not None:
        found.update(ticket=ticket, contact=ticket.contact, account=ticket.account)
    contact = visible(Contact, params.get("contact", ""))
    if contact is not None:
        found["contact"] = contact
        if contact.account_id and "account" not in found:
            found["account"] = visible(Account, str(contact.account_id))
    account = visible(Account, params.get("account", ""))
    if account is not None:
        found["account"] = account
    return found


@login_required
@require_http_methods(["GET", "POST"])
def workorder_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.FIELDSERVICE, Action.CREATE)
    customer = _customer_from(request)
    initial: dict[str, Any] = {"contact": customer.get("contact"), "account": customer.get("account")}
    if customer.get("asset"):
        initial["assets"] = [customer["asset"]]
    if customer.get("ticket"):
        ticket = customer["ticket"]
        initial.update(title=ticket.subject[:200], description=ticket.description, kind=WorkKind.REPAIR)
    form = WorkOrderForm(request.POST or None, user=request.user, customer=customer, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "assets" and v not in (None, "")}
        if customer.get("ticket"):
            data["ticket"] = customer["ticket"]
        try:
            wo = services.work_order_create(actor=request.user, data=data, assets=form.cleaned_data["assets"])
        except ValidationError as exc:
            _form_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("Work order %(number)s created.") % {"number": wo.number})
            return HttpResponseRedirect(wo.get_absolute_url())
    elif request.method == "POST":
        status = 400
    return render(
        request, "fieldservice/workorder_form.html", {"form": form, "customer": customer}, status=status
    )


def _form_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _history(wo: WorkOrder) -> list[dict[str, Any]]:
    ct = ContentType.objects.get_for_model(WorkOrder)
    events = Event.objects.filter(subject_type=ct, subject_id=wo.pk).order_by("-occurred_at", "-id")[:50]
    return [{"event": e, "title": event_title(e)} for e in events]


@login_required
@require_GET
def workorder_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, pk)


def _detail_page(request: HttpRequest, pk: int, status: int = 200) -> HttpResponse:
    wo = _get(request, pk)
    user = request.user
    can_edit = access.in_scope(user, Action.EDIT, wo)
    day = timezone.localdate(wo.scheduled_start) if wo.scheduled_start else timezone.localdate()
    links = list(wo.asset_links.select_related("asset__product", "asset__site_province"))
    assets = [{"asset": link.asset, "link": link, "today": warranty.check(link.asset, day)} for link in links]
    dispatcher = services.may_dispatch(user) and can_edit
    context = {
        "wo": wo,
        "assets": assets,
        "checks": list(wo.checks.all()),
        "parts": list(wo.parts.select_related("product", "asset")),
        "photos": list(wo.photos.all()),
        "moves": [
            {
                "status": s,
                "label": WorkStatus(s).label,
                "reason": s in (WorkStatus.FAILED, WorkStatus.CANCELLED),
            }
            for s in WORK_TRANSITIONS[wo.status]
            if s != WorkStatus.DONE
        ]
        if can_edit
        else [],
        "can_finish": can_edit and wo.status == WorkStatus.IN_PROGRESS,
        "can_edit": can_edit and wo.is_open,
        "dispatcher": dispatcher and wo.is_open,
        "candidates": scheduling.candidates(wo) if dispatcher and wo.is_open else [],
        "history": _history(wo),
        "reviews": list(wo.reviews.all()) if access.can(user, Module.SUPPORT, Action.VIEW) else [],
        "invoice_visible": wo.invoice_id is not None and access.in_scope(user, Action.VIEW, wo.invoice),
        "products": Product.objects.filter(active=True, kind="goods").order_by("name")[:300]
        if can_edit and wo.is_open
        else [],
    }
    return render(request, "fieldservice/workorder_detail.html", context, status=status)


def _act(request: HttpRequest, wo: WorkOrder, do: Any) -> HttpResponse:
    """Run a service; its refusal becomes a message and a 400 page (the work order shown again)."""
    try:
        do()
    except StaleRecord:
        messages.error(request, _("Someone else changed this work order meanwhile. Reload and try again."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        return HttpResponseRedirect(reverse("fieldservice:workorder_detail", args=[wo.pk]))
    return _detail_page(request, wo.pk, status=400)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def workorder_move(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _get(request, pk, Action.EDIT)
    status = request.POST.get("status", "")
    if status == WorkStatus.DONE:
        minutes = request.POST.get("minutes_spent", "").strip()

        def finish() -> None:
            if minutes and not minutes.isdigit():
                raise ValidationError(_("Enter the minutes spent, from 0 to 10,080."))
            services.work_order_finish(
                wo,
                actor=request.user,
                result_notes=request.POST.get("result_notes", ""),
                minutes_spent=int(minutes) if minutes else None,
                version=_version(request),
            )

        return _act(request, wo, finish)
    return _act(
        request,
        wo,
        lambda: services.work_order_transition(
            wo,
            actor=request.user,
            status=status,
            reason=request.POST.get("reason", ""),
            version=_version(request),
        ),
    )


@login_required
@require_POST
def workorder_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _get(request, pk, Action.EDIT)
    field = DateTimeField(required=False)

    def book() -> None:
        from django.contrib.auth import get_user_model

        raw = request.POST.get("technician", "")
        technician = None
        if raw:
            if not raw.isdigit():
                raise ValidationError(_("Choose a technician from the list."))
            technician = get_user_model().objects.filter(pk=int(raw), technician__isnull=False).first()
            if technician is None:
                raise ValidationError(_("Choose a technician from the list."))
        start = field.clean(request.POST.get("scheduled_start", ""))
        end = field.clean(request.POST.get("scheduled_end", ""))
        if start and not end:
            end = start + dt.timedelta(minutes=services.DEFAULT_MINUTES)
        services.work_order_schedule(
            wo, actor=request.user, technician=technician, start=start, end=end, version=_version(request)
        )

    return _act(request, wo, book)


@login_required
@require_POST
def workorder_check(request: HttpRequest, pk: int, check_id: int) -> HttpResponse:
    wo = _get(request, pk, Action.EDIT)
    done = request.POST.get("done") == "1"
    return _act(
        request,
        wo,
        lambda: services.work_order_set_check(
            wo, actor=request.user, check_id=check_id, done=done, note=request.POST.get("note", "")
        ),
    )


@login_required
@require_POST
def workorder_part_add(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _get(request, pk, Action.EDIT)

    def add() -> None:
        raw = request.POST.get("product", "")
        product = Product.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if product is None:
            raise ValidationError(_("Choose a product from the list."))
        try:
            quantity = Decimal(request.POST.get("quantity", "1").replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Enter a quantity, for example 1 or 0.5.")) from None
        services.work_order_add_part(wo, actor=request.user, product=product, quantity=quantity)

    return _act(request, wo, add)


@login_required
@require_POST
def workorder_part_remove(request: HttpRequest, pk: int, part_id: int) -> HttpResponse:
    wo = _get(request, pk, Action.EDIT)
    return _act(request, wo, lambda: services.work_order_remove_part(wo, actor=request.user, part_id=part_id))


@login_required
@require_POST
def workorder_photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _get(request, pk, Action.EDIT)

    def add() -> None:
        upload = request.FILES.get("photo")
        if upload is None:
            raise ValidationError(_("Choose a photo to upload."))
        services.work_order_add_photo(
            wo, actor=request.user, upload=upload, caption=request.POST.get("caption", "")
        )

    return _act(request, wo, add)


@login_required
@require_POST
def workorder_note(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _get(request, pk, Action.EDIT)
    return _act(
        request,
        wo,
        lambda: services.work_order_note(wo, actor=request.user, text=request.POST.get("text", "")),
    )


@login_required
@require_GET
def workorder_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    wo = _get(request, pk)
    photo = get_object_or_404(WorkOrderPhoto, pk=photo_id, work_order=wo)
    return files.photo_response(photo)


@login_required
@require_GET
def workorder_signature(request: HttpRequest, pk: int) -> FileResponse:
    wo = _get(request, pk)
    if not wo.signature_file:
        raise Http404(str(access.NOT_FOUND))
    return files.signature_response(wo)


@login_required
@require_GET
def workorder_report(request: HttpRequest, pk: int) -> HttpResponse:
    wo = _get(request, pk)
    return pdf_response(report.service_report_pdf(wo), filename=safe_filename(f"{wo.number}.pdf"))


def _no_permission() -> None:
    raise PermissionDenied


urlpatterns = [
    path("field-service/work-orders/", workorder_list, name="workorder_list"),
    path("field-service/work-orders/new/", workorder_create, name="workorder_create"),
    path("field-service/work-orders/<int:pk>/", workorder_detail, name="workorder_detail"),
    path("field-service/work-orders/<int:pk>/move/", workorder_move, name="workorder_move"),
    path("field-service/work-orders/<int:pk>/schedule/", workorder_schedule, name="workorder_schedule"),
    path(
        "field-service/work-orders/<int:pk>/checks/<int:check_id>/", workorder_check, name="workorder_check"
    ),
    path("field-service/work-orders/<int:pk>/parts/", workorder_part_add, name="workorder_part_add"),
    path(
        "field-service/work-orders/<int:pk>/parts/<int:part_id>/remove/",
        workorder_part_remove,
        name="workorder_part_remove",
    ),
    path("field-service/work-orders/<int:pk>/photos/", workorder_photo_add, name="workorder_photo_add"),
    path(
        "field-service/work-orders/<int:pk>/photos/<int:photo_id>/", workorder_photo, name="workorder_photo"
    ),
    path("field-service/work-orders/<int:pk>/signature/", workorder_signature, name="workorder_signature"),
    path("field-service/work-orders/<int:pk>/notes/", workorder_note, name="workorder_note"),
    path("field-service/work-orders/<int:pk>/report.pdf", workorder_report, name="workorder_report"),
]
