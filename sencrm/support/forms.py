"""Forms of the ticket pages: the ticket itself, and the small forms of its page (reply, internal note,
status change, escalation, assignment, merge, task). They check the shape of the input; the rules
(transitions, who may be assigned, what may be merged) are the services', in the words a user reads."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sencrm.catalog.models import Product
from sencrm.core import access
from sencrm.core.forms import DateTimeField, assignable_owners
from sencrm.core.modules import Action, Module
from sencrm.core.record_views import RecordForm
from sencrm.customers.forms import AccountAutocomplete
from sencrm.support.models import Queue, Ticket, TicketCategory, TicketStatus
from sencrm.users.models import User

CHOICE_LIMIT = 200  # the latest records offered in a select (a prefilled one is always kept)
BODY_MAX = 10_000


def agents(user: Any, action: str, keep: Any = None) -> Any:
    """The agents a ticket may be given to: members of a queue the user may hand tickets to (and the
    present assignee, so that an edit form shows them)."""
    users = assignable_owners(user, Module.SUPPORT, action)
    return users.filter(Q(support_queues__active=True) | Q(pk=getattr(keep, "pk", keep))).distinct()


class TicketForm(RecordForm):
    """A ticket's fields. Empty queue and assignee on a new ticket: the routing rules choose them."""

    owner_module = Module.SUPPORT
    call = forms.IntegerField(widget=forms.HiddenInput, required=False)

    sections = (
        ("ticket", _("The problem"), ["subject", "description", "category", "priority", "channel"]),
        (
            "customer",
            _("Customer"),
            ["contact", "account", "requester_name", "requester_phone", "requester_email"],
        ),
        ("concerns", _("What it concerns"), ["product", "order", "contract"]),
        ("routing", _("Queue and assignee"), ["queue", "owner"]),
    )

    class Meta:
        model = Ticket
        fields = [
            "subject", "description", "category", "priority", "channel", "contact", "account",
            "requester_name", "requester_phone", "requester_email", "product", "order", "contract",
            "queue", "owner",
        ]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 4}), "account": AccountAutocomplete}

    def __init__(
        self, *args: Any, user: Any = None, prefill: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, user=user, **kwargs)
        new = not self.instance.pk
        if new:
            self.fields["version"].required = False
            self.initial.pop("owner", None)  # routing picks the agent unless one is chosen
        for name, value in (prefill or {}).items():
            if name in self.fields and value not in (None, ""):
                self.initial[name] = value
        self._limit_choices()
        category = cast("forms.ModelChoiceField[Any]", self.fields["category"])
        category.queryset = TicketCategory.objects.filter(
            Q(active=True) | Q(pk=self.instance.category_id)
        ).select_related("parent")
        queue = cast("forms.ModelChoiceField[Any]", self.fields["queue"])
        queue.queryset = Queue.objects.filter(Q(active=True) | Q(pk=self.instance.queue_id))
        if user is not None:
            owner = cast("forms.ModelChoiceField[Any]", self.fields["owner"])
            owner.queryset = agents(user, Action.CREATE if new else Action.EDIT, self.instance.owner_id)
        self.fields["owner"].label = _("Assignee")
        if new:
            self.fields["queue"].help_text = _("Empty: the routing rules choose the queue.")
            self.fields["owner"].help_text = _("Empty: an agent of the queue who is at work, in turn.")

    def _limit_choices(self) -> None:
        """A select of a gated record offers the latest CHOICE_LIMIT the user may see (RecordForm scoped
        them) plus the one prefilled or saved; the posted id is still checked against the scope."""
        for name in ("contact", "order", "contract", "product"):
            field = cast("forms.ModelChoiceField[Any]", self.fields[name])
            keep = {
                getattr(v, "pk", v)
                for v in (
                    self.initial.get(name),
                    getattr(self.instance, f"{name}_id", None),
                    self.data.get(name),
                )
                if v not in (None, "") and str(getattr(v, "pk", v)).isdigit()
            }
            scoped: Any = field.queryset
            base = Product.objects.filter(active=True) if name == "product" else scoped
            latest = list(base.order_by("-id")[:CHOICE_LIMIT].values_list("pk", flat=True))
            field.queryset = scoped.filter(pk__in=[*latest, *keep])

    def validate_unique(self) -> None:
        """The number is given by the service."""

    def _post_clean(self) -> None:
        # The model's own checks run in the service, with the words a user reads.
        pass

    def record_changes(self) -> dict[str, Any]:
        changes = super().record_changes()
        if not changes.get("queue") and not self.instance.pk:
            changes.pop("queue", None)
        return changes


def _body(label: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(forms.Form):
    body = _body(_("Reply to the customer"))


class NoteForm(forms.Form):
    body = _body(_("Internal note"))


class EscalateForm(forms.Form):
    note = forms.CharField(
        label=_("Why second line?"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept as an internal note on the ticket."),
    )


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=TicketStatus.choices)
    note = forms.CharField(max_length=BODY_MAX, required=False)


class AssignForm(forms.Form):
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Agent"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queue = cast("forms.ModelChoiceField[Any]", self.fields["queue"])
        queue.queryset = Queue.objects.filter(active=True)
        owner = cast("forms.ModelChoiceField[Any]", self.fields["owner"])
        owner.queryset = agents(user, Action.EDIT, ticket.owner_id)
        owner.help_text = _("Empty: an agent of the queue, picked by the routing.")
        self.initial.setdefault("queue", ticket.queue_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("queue") and not data.get("owner"):
            raise forms.ValidationError(_("Choose a queue, an agent or both."))
        return data


class MergeForm(forms.Form):
    number = forms.CharField(
        label=_("Merge into ticket number"),
        max_length=30,
        help_text=_("This ticket's messages, calls and tasks move there, and this one is closed."),
    )

    def __init__(self, *args: Any, user: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.ticket = ticket

    def clean_number(self) -> Ticket:
        number = self.cleaned_data["number"].strip().upper()
        target = access.scope(self.user, Ticket, Action.VIEW).filter(number=number).first()
        if target is None:
            raise forms.ValidationError(_("No ticket has this number."))
        if target.pk == self.ticket.pk:
            raise forms.ValidationError(_("A ticket cannot be merged into itself."))
        return target


class TaskForm(forms.Form):
    subject = forms.CharField(label=_("Task"), max_length=200)
    due_at = DateTimeField(label=_("Due"), required=False)
    description = forms.CharField(
        label=_("Notes"), max_length=BODY_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
