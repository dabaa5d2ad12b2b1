"""The stand-in record's pages, built from the same pieces as the modules' (core/record_views.py)."""

from __future__ import annotations

import django_filters
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.filters import ScopedFilterSet
from sencrm.core.modules import Action
from sencrm.core.record_views import (
    RecordForm,
    RecordList,
    get_record,
    record_edit_page,
    record_list_page,
    trash_and_redirect,
)
from sencrm.events.services import record_delete, record_update

from .models import Gadget


class GadgetForm(RecordForm):
    class Meta:
        model = Gadget
        fields = ["name", "amount", "note"]


class GadgetFilter(ScopedFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")

    class Meta:
        model = Gadget
        fields = ["name"]


GADGETS = RecordList(Gadget, GadgetFilter)
SORTS = {"name": ("name", False), "-amount": ("amount", True)}


@login_required
@require_GET
def gadget_list(request: HttpRequest) -> HttpResponse:
    return record_list_page(
        request,
        GADGETS,
        sorts=SORTS,
        default_sort="name",
        template="testapp/gadget_list.html",
        partial="testapp/gadget_rows.html",
        context={},
    )


@login_required
@require_GET
def gadget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    gadget = get_record(request, Gadget, pk)
    context = {
        "object": gadget,
        "can_edit": access.in_scope(request.user, Action.EDIT, gadget),
        "ct_id": ContentType.objects.get_for_model(Gadget).pk,
    }
    return render(request, "testapp/gadget_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def gadget_edit(request: HttpRequest, pk: int) -> HttpResponse:
    gadget = get_record(request, Gadget, pk, Action.EDIT)
    return record_edit_page(request, gadget, GadgetForm, record_update, "testapp/gadget_form.html")


@login_required
@require_POST
def gadget_delete(request: HttpRequest, pk: int) -> HttpResponse:
    gadget = get_record(request, Gadget, pk, Action.DELETE)
    return trash_and_redirect(request, gadget, record_delete, reverse("testapp:gadget_list"))
