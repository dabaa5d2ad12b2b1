"""The account pages: the list and its export, an account's page with its contacts, its form, delete."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import (
    get_record,
    record_edit_page,
    record_export,
    service_form_page,
    trash_and_redirect,
)
from sencrm.customers import exports, services
from sencrm.customers.forms import AccountForm
from sencrm.customers.models import Account, Contact
from sencrm.customers.views.customers import ACCOUNTS, customer_list_page, detail_context
from sencrm.customfields import custom_fields

FORM = "customers/account_form.html"


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    return customer_list_page(request, ACCOUNTS, name="accounts", related=["owner", "province"])


@login_required
@require_GET
def account_export(request: HttpRequest) -> HttpResponseBase:
    def table(qs: Any) -> tuple[list[str], Any]:
        extra = custom_fields.definitions(Account)
        return exports.account_header(extra), exports.account_rows(qs, extra)

    return record_export(request, ACCOUNTS, module=Module.CUSTOMERS, name="accounts", table=table)


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_record(request, Account, pk)
    context = detail_context(request, account)
    context["contacts"] = (
        access.scope(request.user, Contact, Action.VIEW)
        .filter(account=account)
        .order_by("sort_key", "id")[:100]
    )
    return render(request, "customers/account_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.CUSTOMERS, Action.CREATE)
    form = AccountForm(request.POST or None, user=request.user)
    return service_form_page(
        request,
        form,
        lambda: services.account_create(
            actor=request.user,
            data=form.record_changes(),
            owner=form.cleaned_data.get("owner"),
            **form.service_kwargs(),
        ),
        FORM,
        {},
        success=_("Account %(name)s was created."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_record(request, Account, pk, Action.EDIT)
    return record_edit_page(request, account, AccountForm, services.account_update, FORM)


@login_required
@require_POST
def account_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_record(request, Account, pk, Action.DELETE)
    return trash_and_redirect(request, account, services.account_delete, reverse("customers:account_list"))
