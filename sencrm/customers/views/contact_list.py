"""The contact list (filters, accent-insensitive search, sorts, keyset pages), its export and its bulk
actions on the selected contacts or on every contact the filters match."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sencrm.core import access
from sencrm.core.forms import assignable_owners
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import record_export
from sencrm.customers import bulk, exports, services
from sencrm.customers.models import Contact
from sencrm.customers.tasks import contacts_bulk_job
from sencrm.customers.views.customers import CONTACTS, customer_list_page
from sencrm.customfields import custom_fields


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    can_bulk = access.can(request.user, Module.CUSTOMERS, Action.EDIT)
    context: dict[str, Any] = {"can_bulk": can_bulk}
    if can_bulk:
        owners = assignable_owners(request.user, Module.CUSTOMERS, Action.EDIT)
        context["bulk"] = bulk.bar(url=reverse("customers:contact_bulk"), owners=owners)
    return customer_list_page(
        request, CONTACTS, name="contacts", related=["account", "owner", "province"], **context
    )


@login_required
@require_GET
def contact_export(request: HttpRequest) -> HttpResponseBase:
    def table(qs: Any) -> tuple[list[str], Any]:
        extra = custom_fields.definitions(Contact)
        return exports.contact_header(extra), exports.contact_rows(qs, extra, user=request.user)

    return record_export(request, CONTACTS, module=Module.CUSTOMERS, name="contacts", table=table)


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
            params = QueryDict(request.POST.get("querystring", ""))
            ids = list(CONTACTS.queryset(request, gate, params).values_list("pk", flat=True)[: bulk.MAX_IDS])
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
        user_id = cast(int, request.user.pk)  # signed in: @login_required
        contacts_bulk_job(user_id, ids, action, raw_value)
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
