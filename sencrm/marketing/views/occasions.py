"""Care campaigns on dates (chăm sóc theo dịp): the list with what each gave this year, a form to add or
change one, and a pause/delete. The worker runs them every morning (sencrm/marketing/occasions.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import RecordForm, get_record, record_edit_page, service_form_page
from sencrm.marketing import occasions
from sencrm.marketing.models import CareOccasion, Segment


class OccasionForm(RecordForm):
    owner_module = Module.MARKETING

    class Meta:
        model = CareOccasion
        fields = ["name", "kind", "day", "month", "days_before", "days_after", "segment", "task_subject",
                  "email", "is_active", "owner"]  # fmt: skip

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        segment: Any = self.fields["segment"]
        segment.queryset = access.scope(user, Segment, Action.VIEW).order_by("name")
        self.fields["day"].help_text = _("For a date every year: the day and the month (8 and 3 for 8/3).")
        self.fields["days_before"].help_text = _("0: on the day; 3: three days ahead.")
        for name in ("day", "month", "days_before", "days_after"):
            self.fields[name].widget = forms.NumberInput(attrs={"min": 0, "max": 366})


@login_required
@require_GET
def occasion_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.MARKETING, Action.VIEW)
    year = timezone.localdate().year
    rows = (
        access.scope(user, CareOccasion, Action.VIEW)
        .select_related("segment", "owner", "email")
        .annotate(given=Count("touches", filter=Q(touches__year=year)))
        .order_by("-is_active", "name", "id")[:500]
    )
    context = {
        "rows": rows,
        "year": year,
        "can_create": access.can(user, Module.MARKETING, Action.CREATE),
        "next_tet": occasions.tet(year if timezone.localdate() <= occasions.tet(year) else year + 1),
    }
    return render(request, "marketing/occasion_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def occasion_create(request: HttpRequest) -> HttpResponse:
    access.check_module(request.user, Module.MARKETING, Action.CREATE)
    form = OccasionForm(request.POST or None, user=request.user)

    def save() -> CareOccasion:
        data = {k: v for k, v in form.record_changes().items() if k not in ("version", "owner")}
        return occasions.occasion_create(actor=request.user, data=data, owner=form.cleaned_data.get("owner"))

    return service_form_page(request, form, save, "marketing/occasion_form.html", {"object": None})


@login_required
@require_http_methods(["GET", "POST"])
def occasion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    occasion = get_record(request, CareOccasion, pk, Action.EDIT)
    return record_edit_page(
        request, occasion, OccasionForm, occasions.occasion_update, "marketing/occasion_form.html"
    )


@login_required
@require_POST
def occasion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    occasion = get_record(request, CareOccasion, pk, Action.DELETE)
    occasions.occasion_delete(occasion, actor=request.user)
    messages.success(request, _("Moved to the trash. You can restore it from the trash."))
    return HttpResponseRedirect(reverse("marketing:occasion_list"))


urlpatterns = [
    path("care-occasions/", occasion_list, name="occasion_list"),
    path("care-occasions/new/", occasion_create, name="occasion_create"),
    path("care-occasions/<int:pk>/edit/", occasion_edit, name="occasion_edit"),
    path("care-occasions/<int:pk>/delete/", occasion_delete, name="occasion_delete"),
]
