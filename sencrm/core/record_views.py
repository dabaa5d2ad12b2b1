"""What every module's record pages share: the form, the gate-scoped look-up, the service call behind a
form, and the list (filters, search, sort, keyset pages) with its export.

The pages scope through the access gate (out-of-scope records answer 404, missing rights 403) and hand
writes to the module's services; a module's views only name the model, forms, templates and services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.export import csv_response, xlsx_response
from sencrm.core.forms import assignable_owners
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action
from sencrm.core.pagination import BadCursor, keyset_page

PAGE_SIZE = 50
Records = models.QuerySet[Any]


class RecordForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm that carries the version it was opened at (optimistic concurrency).

    With `owner_module` set, its `owner` field offers the users the current user may hand the record
    to (`core.forms.assignable_owners`), starts at the current user on a new record, and an empty
    owner is left out of the changes (the service keeps the present one or picks the actor).
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    owner_module: ClassVar[str | None] = None

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        if user is not None:
            scope_choices(self, user)
            if self.owner_module and "owner" in self.fields:
                action = Action.EDIT if self.instance.pk else Action.CREATE
                owner: Any = self.fields["owner"]
                owner.queryset = assignable_owners(user, self.owner_module, action)
                owner.required = False
                if not self.instance.pk:
                    self.initial.setdefault("owner", user.pk)

    def record_changes(self) -> dict[str, Any]:
        changes = {
            name: self.cleaned_data[name] for name in self._meta.fields or [] if name in self.cleaned_data
        }
        if self.owner_module and not changes.get("owner"):
            changes.pop("owner", None)
        return changes

    def service_kwargs(self) -> dict[str, Any]:
        """What the create and update services take beside the record's fields (phones, tags…)."""
        return {}


def scope_choices(form: forms.BaseForm, user: Any) -> None:
    """Narrow every choice of a gated record (account, contact, lead…) to those `user` may view, so an
    id outside the scope is "not a valid choice", word for word like an id that does not exist; the
    services check the link again (`access.check_links`)."""
    for form_field in form.fields.values():
        queryset = getattr(form_field, "queryset", None)
        if (
            isinstance(form_field, forms.ModelChoiceField)
            and queryset is not None
            and access.is_gated(queryset.model)
        ):
            form_field.queryset = access.scope(user, queryset, Action.VIEW)


def get_record(request: HttpRequest, records: Any, pk: int, action: str = Action.VIEW) -> Any:
    """The record `pk` of `records` (a model or a queryset) if the user may view it (else 404, the same
    as a missing one) and do `action` on it (else 403)."""
    obj = get_object_or_404(access.scope(request.user, records, Action.VIEW), pk=pk)
    access.check(request.user, action, obj)
    return obj


def add_validation_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field when it names one, else at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def call_service(form: forms.BaseForm, save: Callable[[], Any]) -> tuple[Any, int]:
    """Run a service for a valid form: (its result, 200), or (None, 4xx) with the reason on the form.

    A stale version is a 409; bad data or a refused assignment a 400. Nothing is saved in either case.
    """
    try:
        return save(), 200
    except StaleRecord as exc:
        form.add_error(None, str(exc.message))
        return None, 409
    except ValidationError as exc:
        add_validation_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None, 400


def form_post(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[], Any],
    *,
    failed: Callable[[int], HttpResponse],
    success: str | Callable[[Any], str] | None = None,
) -> HttpResponse:
    """A posted form whose save runs a service (through `call_service`): the success message ("Saved."
    unless given; a string may name the record as %(name)s) and a redirect to what the service returns,
    or `failed(status)` showing the form again with the reason (400 bad data, 409 stale version)."""
    status = 400
    if form.is_valid():
        saved, status = call_service(form, save)
        if saved is not None:
            if callable(success):
                text = success(saved)
            else:
                text = success % {"name": saved} if success else _("Saved.")
            messages.success(request, text)
            return redirect(saved)
    return failed(status)


def service_form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[], Any],
    template: str,
    context: dict[str, Any],
    *,
    success: str | None = None,
) -> HttpResponse:
    """A create or edit page: the form on GET; on POST `form_post` with the form shown again on failure."""

    def page(status: int) -> HttpResponse:
        return render(request, template, {"form": form, **context}, status=status)

    if request.method != "POST":
        return page(200)
    return form_post(request, form, save, failed=page, success=success)


def record_edit_page(
    request: HttpRequest,
    obj: Any,
    form_class: type[RecordForm],
    update: Callable[..., Any],
    template: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A record's edit page: its `RecordForm`, and on a valid POST the module's update service called
    with the changes, the version the form was opened at and the form's `service_kwargs()`."""
    form = form_class(request.POST or None, instance=obj, user=request.user)

    def save() -> Any:
        stored = type(obj).objects.get(pk=obj.pk)  # the form validated against a copy
        return update(
            stored,
            actor=request.user,
            changes=form.record_changes(),
            version=form.cleaned_data["version"],
            **form.service_kwargs(),
        )

    return service_form_page(request, form, save, template, {"object": obj, **(context or {})})


def trash_and_redirect(
    request: HttpRequest, obj: Any, delete: Callable[..., Any], url: str
) -> HttpResponseRedirect:
    """Delete through the module's service (to the trash), say so, and go to `url`."""
    delete(obj, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(url)


@dataclass(frozen=True)
class RecordList:
    """The records of a list page for its parameters, shared by the page, its export and its bulk
    actions: the filter set over the gate's scope for an action, then `narrow` for what the filter
    set does not know (custom fields, the search box), which raises ValidationError on bad input.
    Without a filter set (`filterset_class=None`), `narrow` does all the filtering over the scope."""

    model: type[models.Model]
    filterset_class: type[Any] | None = None
    narrow: Callable[[Records, Mapping[str, Any]], Records] = field(default=lambda qs, _params: qs)

    def filterset(self, request: HttpRequest, action: str, params: Mapping[str, Any]) -> Any:
        if self.filterset_class is None:
            raise TypeError(f"the list of {self.model.__name__} has no filter set")
        base = access.scope(request.user, self.model, action)
        return self.filterset_class(params or None, queryset=base, request=request)

    def queryset(
        self, request: HttpRequest, action: str, params: Mapping[str, Any], filterset: Any = None
    ) -> Records:
        """The matching records; ValidationError (a message for the user) when a filter is not valid."""
        if self.filterset_class is None:
            return self.narrow(access.scope(request.user, self.model, action), params)
        if filterset is None:
            filterset = self.filterset(request, action, params)
        if filterset.is_bound and not filterset.is_valid():
            raise ValidationError(
                _("Some filters are not valid: %(fields)s") % {"fields": ", ".join(filterset.errors)}
            )
        qs: Records = filterset.qs if filterset.is_bound else filterset.queryset
        return self.narrow(qs, params)


def custom_field_columns(definitions: Iterable[Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A list's custom-field columns and filters (`customfields` definitions, with the values in `params`)."""
    definitions = list(definitions)
    return {
        "custom_columns": [f for f in definitions if f.show_in_list],
        "custom_filters": [
            {"field": f, "name": f"cf_{f.key}", "value": params.get(f"cf_{f.key}", "")[:100]}
            for f in definitions
            if f.type in ("choice", "bool", "text", "multi")
        ],
    }


def record_list_page(
    request: HttpRequest,
    records: RecordList,
    *,
    sorts: Mapping[str, tuple[str, bool]],
    default_sort: str,
    template: str,
    partial: str,
    context: dict[str, Any],
    related: Iterable[str] = (),
    sort_filters: Mapping[str, models.Q] | None = None,
    decorate: Callable[[list[Any]], Any] | None = None,
) -> HttpResponse:
    """A list page (or its rows for htmx): the filter form, a keyset page of the matching records the
    user may view in the chosen sort (`sort_filters` narrows a sort to the rows that have its key),
    `decorate` run over the page's rows. A bad sort, filter or page link is a 400 with the reason
    where the rows would be."""
    sort = request.GET.get("sort", default_sort)
    filterset = records.filterset(request, Action.VIEW, request.GET)
    context = {"filter": filterset, "sort": sort, "query": request.GET.get("q", "")[:100], **context}
    try:
        if sort not in sorts:
            raise ValidationError(_("Unknown sort order."))
        qs = records.queryset(request, Action.VIEW, request.GET, filterset).select_related(*related)
        if sort_filters and sort in sort_filters:
            qs = qs.filter(sort_filters[sort])
        key, descending = sorts[sort]
        page = keyset_page(
            qs, sort=key, descending=descending, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
    else:
        if decorate is not None:
            decorate(page.rows)
        context["page"] = page
        return render_page_or_partial(request, template, partial, context)
    return render_page_or_partial(request, template, partial, context, status=400)


def record_export(
    request: HttpRequest,
    records: RecordList,
    *,
    module: str,
    name: str,
    table: Callable[[Records], tuple[list[str], Iterable[list[Any]]]],
) -> HttpResponseBase:
    """The list's records as CSV or XLSX (?format=), over the gate's export scope: `table` gives the
    header and the rows; the file is called `<name>-<yyyymmdd>`."""
    access.check_module(request.user, module, Action.EXPORT)
    fmt = request.GET.get("format", "csv")
    try:
        if fmt not in ("csv", "xlsx"):
            raise ValidationError(_("Unknown export format."))
        qs = records.queryset(request, Action.EXPORT, request.GET)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    header, rows = table(qs)
    filename = f"{name}-{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        return xlsx_response(filename, header, rows)
    return csv_response(filename, header, rows)


def phone_email_cells(record: Any) -> list[str]:
    """A customer's or lead's phones and emails as two export cells ("; " between values)."""
    return [
        "; ".join(p.number for p in record.phones.all()),
        "; ".join(e.address for e in record.emails.all()),
    ]
