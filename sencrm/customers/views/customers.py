"""What the contact and account pages share: the lists' records, the scoped look-up, a customer's page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.panels import panels as record_panels
from sencrm.core.record_views import RecordList, Records, custom_field_columns, record_list_page
from sencrm.customers import selectors
from sencrm.customers.filters import ACCOUNT_SORTS, CONTACT_SORTS, AccountFilter, ContactFilter
from sencrm.customers.models import Account, Contact
from sencrm.customfields import custom_fields
from sencrm.events import selectors as event_selectors
from sencrm.savedviews.models import SavedView


def _narrow(model: type[Contact] | type[Account]) -> Callable[[Records, Mapping[str, Any]], Records]:
    """Custom-field filters (ValidationError when one is not valid), then the accent-insensitive search."""

    def narrow(qs: Records, params: Mapping[str, Any]) -> Records:
        qs = custom_fields.filter_queryset(qs, model, params)
        return selectors.search_filter(model, qs, params.get("q", "")[:100])

    return narrow


CONTACTS = RecordList(Contact, ContactFilter, _narrow(Contact))
ACCOUNTS = RecordList(Account, AccountFilter, _narrow(Account))


def customer_list_page(
    request: HttpRequest, records: RecordList, *, name: str, related: list[str], **context: Any
) -> HttpResponse:
    """The contact or account list (`name` is "contacts" or "accounts")."""
    model = records.model
    user: Any = request.user
    context |= {
        "can_create": access.can(request.user, Module.CUSTOMERS, Action.CREATE),
        "can_export": access.can(request.user, Module.CUSTOMERS, Action.EXPORT),
        "list_name": name,
        "saved_views": SavedView.objects.filter(user=user, list_name=name),
        **custom_field_columns(custom_fields.definitions(model), request.GET),
    }
    return record_list_page(
        request,
        records,
        sorts=CONTACT_SORTS if model is Contact else ACCOUNT_SORTS,
        default_sort="name",
        template=f"customers/{model._meta.model_name}_list.html",
        partial=f"customers/partials/{model._meta.model_name}_table.html",
        context=context,
        related=related,
        # an account's name only for readers who may open it (access.related_label)
        decorate=(lambda rows: access.label_related(request.user, rows, "account"))
        if model is Contact
        else None,
    )


def detail_context(request: HttpRequest, obj: Contact | Account) -> dict[str, Any]:
    """What a contact's and an account's page show: the journey, custom fields, what the user may do."""
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
        # Other modules' parts of the page (the customer's invoices and balance), without importing them.
        "panels": record_panels(obj, request.user),
    }
