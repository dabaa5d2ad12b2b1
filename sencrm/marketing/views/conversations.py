"""The Fanpage / Zalo conversation queue: the list (new and assigned threads, newest message first), a
thread's page with its messages, and its actions (assign, close, convert into a lead in one step).

Reads start from the access gate (a thread outside the user's scope is a 404, like a missing one: "own"
is the threads assigned to the user plus the unassigned queue); writes are the services of
sencrm/marketing/conversations.py. The receivers' settings page is in views/inbound.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sencrm.core import access, phones
from sencrm.core.exceptions import StaleRecord
from sencrm.core.forms import assignable_owners
from sencrm.core.htmx import render_page_or_partial
from sencrm.core.modules import Action, Module
from sencrm.core.pagination import BadCursor, keyset_page
from sencrm.core.record_views import get_record
from sencrm.marketing import conversations as services
from sencrm.marketing.models import Conversation, ConversationStatus, Platform
from sencrm.marketing.views import inbound

PAGE_SIZE = 50


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label=gettext_lazy("Assign to"), empty_label=None
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assignee"]
        field.queryset = assignable_owners(user, Module.LEADS, Action.EDIT)
        field.widget.attrs["class"] = "form-select form-select-sm"


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


@login_required
@require_GET
def conversation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.check_module(user, Module.LEADS, Action.VIEW)
    params = request.GET
    context: dict[str, Any] = {
        "platforms": Platform.choices,
        "statuses": ConversationStatus.choices,
        "platform": params.get("platform", "")[:20],
        "status": params.get("status", "")[:20],
        "mine": params.get("mine", "")[:20],
        "query": params.get("q", "").strip()[:100],
    }
    try:
        qs = services.conversation_list(
            user,
            platform=context["platform"],
            status=context["status"],
            mine=context["mine"],
            query=context["query"],
        )
        page = keyset_page(
            qs, sort="last_message_at", descending=True, cursor=params.get("cursor"), size=PAGE_SIZE
        )
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
    except BadCursor:
        context["error"] = _("This page link is no longer valid. Start again from the first page.")
    else:
        access.label_related(user, page.rows, "lead")
        access.label_related(user, page.rows, "contact")
        for row in page.rows:
            row.phone_shown = phones.display(row.phone)
        context["page"] = page
        return render_page_or_partial(
            request, "marketing/conversation_list.html", "marketing/conversation_table.html", context
        )
    return render_page_or_partial(
        request, "marketing/conversation_list.html", "marketing/conversation_table.html", context, status=400
    )


def _detail(
    request: HttpRequest, conversation: Conversation, status: int = 200, **extra: Any
) -> HttpResponse:
    user = request.user
    can_edit = access.in_scope(user, Action.EDIT, conversation)
    lead, contact = conversation.lead, conversation.contact
    lead = lead if lead is not None and access.in_scope(user, Action.VIEW, lead) else None
    contact = contact if contact is not None and access.in_scope(user, Action.VIEW, contact) else None
    linked = bool(conversation.lead_id or conversation.contact_id)
    assign_form = extra.pop("assign_form", None)
    if assign_form is None and can_edit:
        assign_form = AssignForm(user=user, initial={"version": conversation.version, "assignee": user.pk})
    context = {
        "object": conversation,
        "messages_list": services.conversation_messages(conversation),
        "phone_shown": phones.display(conversation.phone),
        "lead": lead,
        "contact": contact,
        "linked_hidden": linked and lead is None and contact is None,
        "assign_form": assign_form,
        "can_edit": can_edit,
        "can_convert": can_edit and not linked and access.can(user, Module.LEADS, Action.CREATE),
        **extra,
    }
    return render(request, "marketing/conversation_detail.html", context, status=status)


def _conversations() -> Any:
    return Conversation.objects.select_related("assignee", "lead", "contact", "campaign", "team")


@login_required
@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_record(request, _conversations(), pk))


def _refused(request: HttpRequest, conversation: Conversation, exc: Exception) -> HttpResponse:
    if isinstance(exc, StaleRecord):
        messages.error(request, str(exc.message))
        status = 409
    else:
        for text in getattr(exc, "messages", [str(exc)]):
            messages.error(request, text)
        status = 400
    return _detail(request, _conversations().get(pk=conversation.pk), status=status)


@login_required
@require_POST
def conversation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_record(request, _conversations(), pk, Action.EDIT)
    form = AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        return _detail(request, conversation, status=400, assign_form=form)
    try:
        services.conversation_assign(
            conversation,
            actor=request.user,
            assignee=form.cleaned_data["assignee"],
            version=form.cleaned_data["version"],
        )
    except (ValidationError, PermissionDenied, StaleRecord) as exc:
        return _refused(request, conversation, exc)
    messages.success(request, _("Assigned to %(name)s.") % {"name": form.cleaned_data["assignee"]})
    return HttpResponseRedirect(conversation.get_absolute_url())


@login_required
@require_POST
def conversation_close(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_record(request, _conversations(), pk, Action.EDIT)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _refused(request, conversation, ValidationError(_("Open the conversation again and retry.")))
    try:
        services.conversation_close(conversation, actor=request.user, version=form.cleaned_data["version"])
    except (ValidationError, PermissionDenied, StaleRecord) as exc:
        return _refused(request, conversation, exc)
    messages.success(request, _("Conversation closed."))
    return HttpResponseRedirect(conversation.get_absolute_url())


@login_required
@require_POST
def conversation_convert(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_record(request, _conversations(), pk, Action.EDIT)
    access.check_module(request.user, Module.LEADS, Action.CREATE)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _refused(request, conversation, ValidationError(_("Open the conversation again and retry.")))
    try:
        _conversation, lead = services.conversation_convert(
            conversation, actor=request.user, version=form.cleaned_data["version"]
        )
    except (ValidationError, PermissionDenied, StaleRecord) as exc:
        return _refused(request, conversation, exc)
    messages.success(request, _("Lead %(name)s created from the conversation.") % {"name": lead})
    return HttpResponseRedirect(lead.get_absolute_url())


urlpatterns = [
    path("conversations/", conversation_list, name="conversation_list"),
    path("conversations/<int:pk>/", conversation_detail, name="conversation_detail"),
    path("conversations/<int:pk>/assign/", conversation_assign, name="conversation_assign"),
    path("conversations/<int:pk>/close/", conversation_close, name="conversation_close"),
    path("conversations/<int:pk>/convert/", conversation_convert, name="conversation_convert"),
    *inbound.urlpatterns,
]
