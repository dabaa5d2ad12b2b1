"""Pages for contacts and accounts: lists people work in, the customer's page with its journey, forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.export import csv_response, xlsx_response
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.phones import to_e164
from sencrm.core.record_views import add_validation_errors, service_form_page
from sencrm.customers import bulk, exports, merge, selectors, services
from sencrm.customers.filters import ACCOUNT_SORTS, CONTACT_SORTS, AccountFilter, ContactFilter
from sencrm.customers.forms import AccountForm, ContactForm, assignable_owners
from sencrm.customers.models import Account, Contact
from sencrm.customers.tasks import contacts_bulk_job
from sencrm.customfields import custom_fields
from sencrm.events import selectors as event_selectors
from sencrm.savedviews.models import SavedView

PAGE_SIZE = 50


def _filtered(
    request: HttpRequest, model: type[Any], filterset_class: type[Any], action: str, params: Any
) -> Any:
    """The list's records for these parameters and this gate action, or None when a filter is invalid."""
    base = access.scope(request.user, model, action)
    filterset = filterset_class(params or None, queryset=base, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return None
    qs = filterset.qs if filterset.is_bound else base
    try:
        qs = custom_fields.filter_queryset(qs, model, params)
    except ValidationError:
        return None
    return selectors.search_filter(model, qs, params.get("q", "")[:100])


def _list(
    request: HttpRequest,
    model: type[Any],
    filterset_class: type[Any],
    sorts: dict[str, tuple[str, bool]],
    template: str,
    partial: str,
    related: list[str],
) -> HttpResponse:
    base = access.scope(request.user, model, Action.VIEW)
    filterset = filterset_class(request.GET or None, queryset=base, request=request)
    sort = request.GET.get("sort", "name")
    context: dict[str, Any] = {
        "filter": filterset,
        "sort": sort,
        "query": request.GET.get("q", "")[:100],
        "can_create": access.can(request.user, Module.CUSTOMERS, Action.CREATE),
        "custom_columns": [f for f in custom_fields.definitions(model) if f.show_in_list],
        "custom_filters": [
            {"field": f, "name": f"cf_{f.key}", "value": request.GET.get(f"cf_{f.key}", "")[:100]}
            for f in custom_fields.definitions(model)
            if f.type in ("choice", "bool", "text", "multi")
        ],
        "can_export": access.can(request.user, Module.CUSTOMERS, Action.EXPORT),
        "list_name": "contacts" if model is Contact else "accounts",
        "saved_views": SavedView.objects.filter(
            user=request.user, list_name="contacts" if model is Contact else "accounts"
        ),
        "can_bulk": model is Contact and access.can(request.user, Module.CUSTOMERS, Action.EDIT),
    }
    if context["can_bulk"]:
        context["bulk"] = bulk.bar(
            url=reverse("customers:contact_bulk"), owners=assignable_owners(request.user, Action.EDIT)
        )
    if sort not in sorts:
        context["error"] = _("Unknown sort order.")
    elif filterset.is_bound and not filterset.is_valid():
        context["error"] = _("Some filters are not valid: %(fields)s") % {
            "fields": ", ".join(filterset.errors)
        }
    if "error" in context:
        return render(request, template, context, status=400)
    qs = filterset.qs if filterset.is_bound else base
    try:
        qs = custom_fields.filter_queryset(qs, model, request.GET)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, template, context, status=400)
    qs = selectors.search_filter(model, qs, context["query"]).select_related(*related)
    field, descending = sorts[sort]
    try:
        page = keyset_page(
            qs, sort=field, descending=descending, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, template, context, status=400)
    if model is Contact:  # an account's name only for readers who may open it (access.related_label)
        access.label_related(request.user, page.rows, "account")
    context["page"] = page
    return render_page_or_partial(request, template, partial, context)


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    return _list(
        request,
        Contact,
        ContactFilter,
        CONTACT_SORTS,
        "customers/contact_list.html",
        "customers/partials/contact_table.html",
        ["account", "owner", "province"],
    )


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    return _list(
        request,
        Account,
        AccountFilter,
        ACCOUNT_SORTS,
        "customers/account_list.html",
        "customers/partials/account_table.html",
        ["owner", "province"],
    )


def _get(request: HttpRequest, model: type[Any], pk: int, action: str = Action.VIEW) -> Any:
    obj = get_object_or_404(access.scope(request.user, model, Action.VIEW), pk=pk)
    access.check(request.user, action, obj)
    return obj


def _detail_context(request: HttpRequest, obj: Any) -> dict[str, Any]:
    events, next_before = event_selectors.customer_timeline(user=request.user, customer=obj)
    extra = [
        (f.label, custom_fields.display(f, obj.custom_field_data.get(f.key)))
        for f in custom_fields.definitions(type(obj))
    ]
    prefix = type(obj)._meta.model_name
    return {
        "timeline_types": [
            (
                f"{prefix}.created,{prefix}.updated,{prefix}.merged,{prefix}.deleted,{prefix}.restored",
                _("Changes"),
            ),
            ("activity.created,activity.updated", _("Activities")),
        ],
        "custom_values": [(label, value) for label, value in extra if value],
        "object": obj,
        "events": events,
        "next_before": next_before,
        "ct_id": ContentType.objects.get_for_model(obj).pk,
        "can_edit": access.in_scope(request.user, Action.EDIT, obj),
        "can_delete": access.in_scope(request.user, Action.DELETE, obj),
    }


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get(request, Contact, pk)
    access.label_related(request.user, [contact], "account")
    context = _detail_context(request, contact)
    context["consents"] = {c.channel: c for c in contact.consents.all()}
    return render(request, "customers/contact_detail.html", context)


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get(request, Account, pk)
    context = _detail_context(request, account)
    context["contacts"] = (
        access.scope(request.user, Contact, Action.VIEW)
        .filter(account=account)
        .order_by("sort_key", "id")[:100]
    )
    return render(request, "customers/account_detail.html", context)


@login_required
@require_GET
def timeline(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """More of a customer's journey (htmx: "older" button and the type filter)."""
    if kind not in ("contact", "account"):
        raise Http404
    model = Contact if kind == "contact" else Account
    obj = _get(request, model, pk)
    before_raw = request.GET.get("before", "")
    if before_raw:
        try:
            event_selectors.parse_timeline_cursor(before_raw)
        except (ValueError, OverflowError):
            return HttpResponse(_("Invalid page."), status=400)
    # ?type=a.created&type=b.updated or ?type=a.created,b.updated
    types = [t for raw in request.GET.getlist("type") for t in raw.split(",") if t and len(t) <= 64][:20]
    events, next_before = event_selectors.customer_timeline(
        user=request.user, customer=obj, types=types or None, before=before_raw or None
    )
    return render(
        request,
        "customers/partials/timeline.html",
        {
            "object": obj,
            "events": events,
            "next_before": next_before,
            "kind": kind,
            "types": types,
            "ct_id": ContentType.objects.get_for_model(model).pk,
        },
    )


def _duplicates_for(request: HttpRequest, form: ContactForm, exclude_pk: int | None) -> dict[str, Any]:
    phones = [e for e in (to_e164(p) for p in form.phone_list()) if e]
    province = form.cleaned_data.get("province")
    found = selectors.contact_duplicates(
        phones_e164=phones,
        emails=form.email_list(),
        full_name=form.cleaned_data.get("full_name", ""),
        province_id=province.pk if province else None,
        exclude_pk=exclude_pk,
    )
    visible = [c for c in found if access.in_scope(request.user, Action.VIEW, c)]
    return {"visible": visible, "hidden": len(found) - len(visible)}


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CUSTOMERS, Action.CREATE)
    form = ContactForm(request.POST or None, user=request.user)
    duplicates: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates_for(request, form, None)
        if (duplicates["visible"] or duplicates["hidden"]) and not form.cleaned_data.get("create_anyway"):
            form.data = form.data.copy()
            form.data["create_anyway"] = "on"
            return render(
                request, "customers/contact_form.html", {"form": form, "duplicates": duplicates}, status=409
            )
        try:
            contact = services.contact_create(
                actor=request.user,
                data=form.record_changes(),
                phones=form.phone_list(),
                emails=form.email_list(),
                tags=list(form.cleaned_data.get("tags") or []),
                consents=form.consents(),
                owner=form.cleaned_data.get("owner"),
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Contact %(name)s was created.") % {"name": contact})
            return redirect(contact)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "customers/contact_form.html", {"form": form, "duplicates": duplicates}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get(request, Contact, pk, Action.EDIT)
    form = ContactForm(request.POST or None, instance=contact, user=request.user)
    return service_form_page(
        request,
        form,
        lambda: services.contact_update(
            Contact.objects.get(pk=contact.pk),
            actor=request.user,
            changes=form.record_changes(),
            version=form.cleaned_data["version"],
            phones=form.phone_list(),
            emails=form.email_list(),
            tags=list(form.cleaned_data.get("tags") or []),
            consents=form.consents(),
        ),
        "customers/contact_form.html",
        {"object": contact},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CUSTOMERS, Action.CREATE)
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(
                actor=request.user,
                data=form.record_changes(),
                phones=form.phone_list(),
                emails=form.email_list(),
                owner=form.cleaned_data.get("owner"),
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Account %(name)s was created.") % {"name": account})
            return redirect(account)
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/account_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get(request, Account, pk, Action.EDIT)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    return service_form_page(
        request,
        form,
        lambda: services.account_update(
            Account.objects.get(pk=account.pk),
            actor=request.user,
            changes=form.record_changes(),
            version=form.cleaned_data["version"],
            phones=form.phone_list(),
            emails=form.email_list(),
        ),
        "customers/account_form.html",
        {"object": account},
    )


@login_required
@require_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get(request, Contact, pk, Action.DELETE)
    services.contact_delete(contact, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("customers:contact_list"))


@login_required
@require_POST
def account_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get(request, Account, pk, Action.DELETE)
    services.account_delete(account, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("customers:account_list"))


@login_required
@require_GET
def caller_id(request: HttpRequest) -> HttpResponse:
    """A care agent's page: who is calling on this number (any format), within the agent's scope."""
    phone = request.GET.get("phone", "").strip()[:40]
    result: dict[str, Any] = {"contacts": [], "accounts": [], "others": []}
    error = ""
    if phone:
        if to_e164(phone) is None:
            error = _("Not a valid phone number: %(numbers)s") % {"numbers": phone}
        else:
            result = selectors.caller_lookup(user=request.user, phone=phone)
    return render(
        request,
        "customers/caller_id.html",
        {"phone": phone, "error": error, **result},
        status=400 if error else 200,
    )


def _export(request: HttpRequest, model: type[Any], filterset_class: type[Any], name: str) -> HttpResponse:
    access.check_module(request.user, Module.CUSTOMERS, Action.EXPORT)
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("Unknown export format."), status=400)
    qs = _filtered(request, model, filterset_class, Action.EXPORT, request.GET)
    if qs is None:
        return HttpResponse(_("Some filters are not valid."), status=400)
    extra = custom_fields.definitions(model)
    if model is Contact:
        header, rows = exports.contact_header(extra), exports.contact_rows(qs, extra, user=request.user)
    else:
        header, rows = exports.account_header(extra), exports.account_rows(qs, extra)
    filename = f"{name}-{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        return xlsx_response(filename, header, rows)
    return csv_response(filename, header, rows)


@login_required
@require_GET
def contact_export(request: HttpRequest) -> HttpResponse:
    return _export(request, Contact, ContactFilter, "contacts")


@login_required
@require_GET
def account_export(request: HttpRequest) -> HttpResponse:
    return _export(request, Account, AccountFilter, "accounts")


@login_required
@require_POST
def contact_bulk(request: HttpRequest) -> HttpResponse:
    """A change applied to the selected contacts, or to every contact matching the list's filters."""
    action = request.POST.get("action", "")
    back = reverse("customers:contact_list") + "?" + request.POST.get("querystring", "")[:2000]
    try:
        if action not in services.BULK_ACTIONS:
            raise ValidationError(_("Choose an action."))
        raw_value = request.POST.get(bulk.VALUE_FIELDS.get(action, "value"))
        value = bulk.resolve_value(action, raw_value)
        if request.POST.get("all") == "1":
            gate = Action.DELETE if action == "delete" else Action.EDIT
            qs = _filtered(
                request, Contact, ContactFilter, gate, QueryDict(request.POST.get("querystring", ""))
            )
            if qs is None:
                raise ValidationError(_("Some filters are not valid."))
            ids = list(qs.values_list("pk", flat=True)[: bulk.MAX_IDS])
        else:
            ids = bulk.parse_ids(request.POST.getlist("ids"))
        if not ids:
            raise ValidationError(_("Select at least one contact."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    if request.POST.get("confirm") != "1":
        return _bulk_confirm(
            request, action=action, value=value, ids=ids, all_matching=request.POST.get("all") == "1"
        )
    if len(ids) > bulk.SYNC_LIMIT:
        contacts_bulk_job(request.user.pk, ids, action, raw_value)
        messages.info(
            request,
            _("%(n)s contacts are being changed in the background; you will be notified when it is done.")
            % {"n": len(ids)},
        )
    else:
        result = services.contacts_bulk_apply(actor=request.user, ids=ids, action=action, value=value)
        messages.success(
            request,
            _("%(done)s contacts changed, %(skipped)s skipped (no access), %(failed)s failed.") % result,
        )
    return HttpResponseRedirect(back)


def _bulk_confirm(
    request: HttpRequest, *, action: str, value: Any, ids: list[int], all_matching: bool
) -> HttpResponse:
    """The confirm step of a bulk action: how many records will change, then the same POST confirmed.

    Counted through the gate, so the number is what will change (out-of-scope rows are skipped anyway).
    """
    gate = Action.DELETE if action == "delete" else Action.EDIT
    if all_matching:
        count = len(ids)  # already taken from the gate-scoped list
    else:
        visible = access.scope(request.user, Contact, gate)
        count = sum(visible.filter(pk__in=ids[i : i + 500]).count() for i in range(0, len(ids), 500))
    back = reverse("customers:contact_list") + "?" + request.POST.get("querystring", "")[:2000]
    if not count:
        messages.error(request, _("You may not change any of the selected contacts."))
        return HttpResponseRedirect(back)
    fields = [
        (key, v)
        for key, values in request.POST.lists()
        if key not in ("csrfmiddlewaretoken", "confirm")
        for v in values
    ]
    context = {
        "count": count,
        "action_label": bulk.ACTION_LABELS[action],
        "value_label": bulk.value_label(action, value),
        "danger": action == "delete",
        "url": reverse("customers:contact_bulk"),
        "fields": fields,
        "back": back,
    }
    return render(request, "core/bulk_confirm.html", context)


@login_required
@require_GET
def account_autocomplete(request: HttpRequest) -> HttpResponse:
    """Suggestions for the account field: at most 20 accounts the user may view, accent-insensitive."""
    accounts = selectors.account_search(user=request.user, query=request.GET.get("q", "")[:100], limit=20)
    return render(request, "customers/partials/account_suggestions.html", {"accounts": accounts})


@login_required
@require_http_methods(["GET", "POST"])
def contact_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another contact into this one: choose it, see what this contact gains, confirm."""
    survivor = _get(request, Contact, pk, Action.EDIT)
    other_raw = request.POST.get("loser") or request.GET.get("other", "")
    other = None
    if other_raw:
        if not other_raw.isdigit():
            return HttpResponse(_("Invalid contact."), status=400)
        other = _get(request, Contact, int(other_raw), Action.DELETE)
    if request.method == "POST" and other is not None:
        try:
            survivor = merge.contact_merge(actor=request.user, survivor=survivor, loser=other)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(loser)s was merged into %(survivor)s.")
                % {"loser": other.full_name, "survivor": survivor.full_name},
            )
            return redirect(survivor)
    query = request.GET.get("q", "")[:100]
    candidates: list[Contact] = []
    if other is None:
        phones = list(survivor.phones.values_list("e164", flat=True))
        emails = list(survivor.emails.values_list("address_key", flat=True))
        suggested = selectors.contact_duplicates(
            phones_e164=phones,
            emails=emails,
            full_name=survivor.full_name,
            province_id=survivor.province_id,
            exclude_pk=survivor.pk,
        )
        candidates = [c for c in suggested if access.in_scope(request.user, Action.DELETE, c)]
        if query:
            candidates = [
                c for c in selectors.contact_search(user=request.user, query=query) if c.pk != survivor.pk
            ]
    context = {
        "object": survivor,
        "other": other,
        "query": query,
        "candidates": candidates,
        "preview": merge.merge_preview(survivor, other) if other is not None else None,
    }
    return render(request, "customers/contact_merge.html", context)
