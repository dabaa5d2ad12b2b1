"""Base views for business records: every list, detail, edit and delete page starts from these.

They scope through the access gate (out-of-scope records answer 404, missing rights 403) and hand
writes to the module's services, so subclasses only name the model, form, templates and services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.models import Record
from sencrm.core.modules import Action


class RecordForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm that carries the version it was opened at (optimistic concurrency)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        if user is not None:
            scope_choices(self, user)

    def record_changes(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name] for name in self._meta.fields or [] if name in self.cleaned_data
        }


def scope_choices(form: forms.BaseForm, user: Any) -> None:
    """Narrow every choice of a gated record (account, contact, lead…) to those `user` may view, so an
    id outside the scope is "not a valid choice", word for word like an id that does not exist; the
    services check the link again (`access.check_links`)."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if (
            isinstance(field, forms.ModelChoiceField)
            and queryset is not None
            and access.is_gated(queryset.model)
        ):
            field.queryset = access.scope(user, queryset, Action.VIEW)


class RecordMixin(LoginRequiredMixin):
    model: ClassVar[type[Record]]
    action: ClassVar[str] = Action.VIEW
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_queryset(self) -> models.QuerySet[Any]:
        return access.scope(self.request.user, self.model, Action.VIEW)

    def get_object(self, queryset: models.QuerySet[Any] | None = None) -> Any:
        obj = get_object_or_404(
            queryset if queryset is not None else self.get_queryset(), pk=self.kwargs["pk"]
        )
        access.check(self.request.user, self.action, obj)
        return obj


class RecordListView(RecordMixin, ListView):  # type: ignore[type-arg,misc]
    paginate_by = 50
    ordering = ("-id",)

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().order_by(*self.ordering)


class RecordDetailView(RecordMixin, DetailView):  # type: ignore[type-arg]
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_edit"] = access.in_scope(user, Action.EDIT, self.object)
        context["can_delete"] = access.in_scope(user, Action.DELETE, self.object)
        context["ct_id"] = ContentType.objects.get_for_model(self.object).pk
        return context


class RecordUpdateView(RecordMixin, FormView):  # type: ignore[type-arg]
    action = Action.EDIT
    form_class: type[RecordForm]
    update_service: ClassVar[Callable[..., Any]]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def form_valid(self, form: RecordForm) -> HttpResponse:
        # The form validated against a copy: re-read the stored record for the service.
        stored = type(self.object).all_objects.get(pk=self.object.pk)
        try:
            saved = type(self).update_service(
                stored,
                actor=self.request.user,
                changes=form.record_changes(),
                version=form.cleaned_data["version"],
            )
        except StaleRecord as exc:
            form.add_error(None, str(exc.message))
            response = self.form_invalid(form)
            response.status_code = 409
            return response
        messages.success(self.request, _("Saved."))
        return HttpResponseRedirect(saved.get_absolute_url())


class RecordDeleteView(RecordMixin, View):
    action = Action.DELETE
    http_method_names = ["post"]
    delete_service: ClassVar[Callable[..., Any]]
    success_url_name: ClassVar[str] = "home"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        type(self).delete_service(obj, actor=request.user)
        messages.success(request, _("Moved to the trash. You can restore it from the trash."))
        return HttpResponseRedirect(reverse(self.success_url_name))


def add_validation_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field when it names one, else at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
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


def service_form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[], Any],
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """An edit page whose POST runs a service (`save`, through `call_service`): "Saved." and a redirect to
    what it returns, or the form again with the reason (400 bad data, 409 stale version; 200 on GET)."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            saved, status = call_service(form, save)
            if saved is not None:
                messages.success(request, _("Saved."))
                return redirect(saved)
    return render(request, template, {"form": form, **context}, status=status)
