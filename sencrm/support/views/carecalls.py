"""The care call pages: my list (today and overdue, today, overdue, this week, done), a lead's or
manager's view of an agent's list, planning a call by hand or from a segment, and logging a call."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from sencrm.core import access
from sencrm.core.forms import DateField, DateTimeField
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import call_service, get_record
from sencrm.customers.models import Account, Contact
from sencrm.customers.selectors import account_search, contact_search
from sencrm.support import carecalls
from sencrm.support.models import CallOutcome, CareCall, CareCallStatus

PAGE_SIZE = 50
WHEN = ("due", "today", "overdue", "week", "done")
DURATION = re.compile(r"^(\d{1,3})(?::([0-5]\d))?$")


# --- forms ------------------------------------------------------------------------------------------


class CareCallForm(forms.Form):
    purpose = forms.CharField(label=gettext_lazy("Purpose of the call"), max_length=200)
    due_date = DateField(label=gettext_lazy("Call by"))
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Agent"), queryset=None, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents: Any = self.fields["owner"]
        agents.queryset = carecalls.care_agents(user).order_by("full_name", "username")
        self.initial.setdefault("owner", user.pk)
        self.initial.setdefault("due_date", timezone.localdate())


class FromSegmentForm(forms.Form):
    segment: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Segment"), queryset=None
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose of the calls"), max_length=200)
    due_date = DateField(label=gettext_lazy("Call by"))
    agents: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Agents (the calls are given to them in turn)"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from sencrm.marketing.models import Segment

        super().__init__(*args, **kwargs)
        segment: Any = self.fields["segment"]
        segment.queryset = access.scope(user, Segment, Action.VIEW).order_by("name", "pk")
        agents: Any = self.fields["agents"]
        agents.queryset = carecalls.care_agents(user).order_by("full_name", "username")
        self.initial.setdefault("due_date", timezone.localdate())


class CallLogForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[(o.value, o.label) for o in carecalls.OUTCOMES],
    )
    duration = forms.CharField(
        label=gettext_lazy("Duration"),
        required=False,
        max_length=8,
        help_text=gettext_lazy("Minutes, or minutes:seconds (e.g. 3:25)."),
    )
    callback_at = DateTimeField(label=gettext_lazy("Call back at"), required=False)
    recording_url = forms.CharField(label=gettext_lazy("Recording link"), required=False, max_length=500)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_duration(self) -> int:
        text = (self.cleaned_data.get("duration") or "").strip()
        if not text:
            return 0
        match = DURATION.match(text)
        if match is None:
            raise ValidationError(_("Enter minutes, or minutes:seconds (e.g. 3:25)."))
        return int(match[1]) * 60 + int(match[2] or 0)


# --- the list ---------------------------------------------------------------------------------------


def _week(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def _narrow(qs: QuerySet[CareCall], when: str, today: dt.date) -> QuerySet[CareCall]:
    planned = qs.filter(status=CareCallStatus.PLANNED)
    if when == "today":
        return planned.filter(due_date=today)
    if when == "overdue":
        return planned.filter(due_date__lt=today)
    if when == "week":
        return planned.filter(due_date__range=_week(today))
    if when == "done":
        return qs.filter(status=CareCallStatus.DONE)
    return planned.filter(due_date__lte=today)


def _agent_filter(request: HttpRequest, user: Any) -> tuple[str, Any]:
    """("me" | "all" | "<id>", the user whose list it is or None for all); a reader whose scope is
    their own calls always gets theirs."""
    wide = access.scope_level(user, Module.SUPPORT, Action.VIEW) in (Scope.TEAM, Scope.ALL)
    value = request.GET.get("agent", "me")[:12] if wide else "me"
    if value == "me":
        return value, user
    if value == "all":
        return value, None
    agent = carecalls.care_agents(user).filter(pk=int(value)).first() if value.isdigit() else None
    if agent is None:
        raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": "agent"})
    return value, agent


def _label_customers(user: Any, rows: list[CareCall]) -> None:
    """Name each row's contact and account only when the reader may open them."""
    contacts = access.visible_pks(user, Contact, [r.contact_id for r in rows])
    accounts = access.visible_pks(user, Account, [r.account_id for r in rows])
    for row in rows:
        row.shown_contact = row.contact if row.contact_id in contacts else None  # type: ignore[attr-defined]
        row.shown_account = row.account if row.account_id in accounts else None  # type: ignore[attr-defined]


@login_required
@require_GET
def carecall_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.VIEW)
    today = timezone.localdate()
    when = request.GET.get("when", "due")
    context: dict[str, Any] = {
        "when": when,
        "today": today,
        "can_create": access.can(user, Module.SUPPORT, Action.CREATE),
        "can_filter_agent": access.scope_level(user, Module.SUPPORT, Action.VIEW) in (Scope.TEAM, Scope.ALL),
        "outcomes": [(o.value, o.label) for o in carecalls.OUTCOMES],
        "call_back": CallOutcome.CALL_BACK.value,
    }
    try:
        if when not in WHEN:
            raise ValidationError(_("Some filters are not valid: %(fields)s") % {"fields": "when"})
        agent_value, agent = _agent_filter(request, user)
        context["agent"] = agent_value
        context["agents"] = list(carecalls.care_agents(user).order_by("full_name", "username")[:200])
        base = access.scope(user, CareCall, Action.VIEW)
        if agent is not None:
            base = base.filter(owner=agent)
        planned = base.filter(status=CareCallStatus.PLANNED)
        context["counts"] = {
            "today": planned.filter(due_date=today).count(),
            "overdue": planned.filter(due_date__lt=today).count(),
            "week": planned.filter(due_date__range=_week(today)).count(),
        }
        qs = _narrow(base, when, today).select_related("contact", "account", "owner", "ticket", "call")
        sort, descending = ("updated_at", True) if when == "done" else ("due_date", False)
        page = keyset_page(
            qs, sort=sort, descending=descending, cursor=request.GET.get("cursor"), size=PAGE_SIZE
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "support/carecall_list.html", context, status=400)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
        return render(request, "support/carecall_list.html", context, status=400)
    _label_customers(user, page.rows)
    context["page"] = page
    return render_page_or_partial(
        request, "support/carecall_list.html", "support/partials/carecall_rows.html", context
    )


# --- planning ---------------------------------------------------------------------------------------


def _chosen_customer(request: HttpRequest) -> tuple[Contact | None, Account | None]:
    """The contact or account the page was opened for (?contact= / ?account=, kept in the form), only
    when the user may see it: an id outside their scope reads like one that does not exist."""
    source = request.POST if request.method == "POST" else request.GET
    contact = account = None
    raw_contact, raw_account = source.get("contact", ""), source.get("account", "")
    if raw_contact.isdigit():
        contact = access.scope(request.user, Contact, Action.VIEW).filter(pk=int(raw_contact)).first()
    if raw_account.isdigit():
        account = access.scope(request.user, Account, Action.VIEW).filter(pk=int(raw_account)).first()
    return contact, account


@login_required
@require_http_methods(["GET", "POST"])
def carecall_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.CREATE)
    contact, account = _chosen_customer(request)
    query = request.GET.get("q", "").strip()[:100]
    context: dict[str, Any] = {"contact": contact, "account": account, "query": query}
    if contact is None and account is None:
        if query:
            context["contacts"] = contact_search(user=user, query=query, limit=20)
            context["accounts"] = account_search(user=user, query=query, limit=10)
        status = 400 if request.method == "POST" else 200
        if status == 400:
            context["error"] = _("Choose the contact or the account to call.")
        return render(request, "support/carecall_form.html", context, status=status)
    form = CareCallForm(request.POST or None, user=user)
    context["form"] = form
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = {**form.cleaned_data, "contact": contact, "account": account}
            created, status = call_service(form, lambda: carecalls.carecall_create(actor=user, data=data))
            if created is not None:
                messages.success(request, _("The call is on %(agent)s's list.") % {"agent": created.owner})
                return redirect("support:carecall_list")
    return render(request, "support/carecall_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def carecall_from_segment(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.SUPPORT, Action.CREATE)
    form = FromSegmentForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            plan, status = call_service(
                form,
                lambda: carecalls.carecalls_from_segment(
                    actor=user,
                    segment=data["segment"],
                    purpose=data["purpose"],
                    due_date=data["due_date"],
                    agents=list(data["agents"]),
                ),
            )
            if plan is not None:
                messages.success(
                    request,
                    _("%(created)s calls planned; %(skipped)s contacts already had this call that day.")
                    % {"created": len(plan.created), "skipped": plan.duplicates},
                )
                return redirect(f"{reverse('support:carecall_list')}?when=week&agent=all")
    return render(request, "support/carecall_from_segment.html", {"form": form}, status=status)


# --- logging a call ---------------------------------------------------------------------------------


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("support:carecall_list")


@login_required
@require_http_methods(["GET", "POST"])
def carecall_done(request: HttpRequest, pk: int) -> HttpResponse:
    care_call = get_record(
        request, CareCall.objects.select_related("contact", "account", "owner", "ticket"), pk, Action.EDIT
    )
    form = CallLogForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = {name: value for name, value in form.cleaned_data.items() if value not in (None, "")}
            done, status = call_service(
                form, lambda: carecalls.carecall_done(care_call, actor=request.user, call_data=data)
            )
            if done is not None:
                messages.success(request, _("Call logged."))
                return redirect(_back(request))
    _label_customers(request.user, [care_call])
    context = {"object": care_call, "form": form, "next": request.POST.get("next", "")}
    return render(request, "support/carecall_done.html", context, status=status)


urlpatterns = [
    path("care/carecalls/", carecall_list, name="carecall_list"),
    path("care/carecalls/new/", carecall_create, name="carecall_create"),
    path("care/carecalls/from-segment/", carecall_from_segment, name="carecall_from_segment"),
    path("care/carecalls/<int:pk>/done/", carecall_done, name="carecall_done"),
]
