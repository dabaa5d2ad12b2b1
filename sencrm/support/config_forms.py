"""Forms of customer care's settings pages. They check shapes and ranges and show each mistake on its
field; the rules that span rows (no cycle in the category tree, an escalation queue on the second line,
one extension per user…) are in config_services.py, which every caller goes through."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sencrm.catalog.models import Product
from sencrm.core import access
from sencrm.core.forms import DATE_FORMAT, DATE_INPUT_FORMATS, DateTimeField
from sencrm.core.modules import Action
from sencrm.core.text import text_lines
from sencrm.customers.choices import Region
from sencrm.customers.models import CustomerGroup
from sencrm.support import config_services
from sencrm.support.models import (
    Assignment,
    BusinessCalendar,
    CareTrigger,
    Line,
    Priority,
    Queue,
    TicketCategory,
)
from sencrm.users.choices import time_zone_choices

MAX_POSITION = 32767
MAX_HOURS = 9999
TIME_INPUT_FORMATS = ["%H:%M", "%H.%M", "%Hh%M", "%Hh"]  # 08:00, 8.00, 8h30, 8h (as written in Vietnam)
ANY = _("Any")


def _users(current: Any = ()) -> QuerySet[Any]:
    """Active users, and those already chosen (who may stay after they left)."""
    ids = [u.pk for u in current if u is not None]
    return (
        get_user_model().objects.filter(Q(is_active=True) | Q(pk__in=ids)).order_by("full_name", "username")
    )


class MembersField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Users ticked in a list: an id past the database's integers is "not a valid value" (SQLite cannot
    even compare it, where the single-choice fields answer "not a valid choice")."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            if not str(pk).isdigit() or int(pk) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": str(pk)[:30]},
                )
        return super().clean(value)


def _choice(field: forms.Field) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", field)


class ConfigForm(forms.Form):
    """A settings form: opened on a row (`instance`) it starts from the row's values; with
    `read_only` every field is disabled (a reader sees the settings without being able to change them)."""

    def __init__(self, *args: Any, instance: Any = None, read_only: bool = False, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(instance)
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    # A service's error about a field the form calls otherwise: {service's name: form's name}.
    service_fields: dict[str, str] = {}

    def initial_from(self, instance: Any) -> dict[str, Any]:
        return {name: getattr(instance, name) for name in self.base_fields if hasattr(instance, name)}

    def values(self) -> dict[str, Any]:
        """What the service takes."""
        return dict(self.cleaned_data)


# --- categories ---------------------------------------------------------------------------------------


class CategoryForm(ConfigForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = forms.ModelChoiceField(
        label=_("Under"), queryset=TicketCategory.objects.none(), required=False, empty_label=_("(top level)")
    )
    position = forms.IntegerField(
        label=_("Order"), min_value=0, max_value=MAX_POSITION, initial=0, help_text=_("Smaller comes first.")
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("An inactive category stays on its tickets but is not offered for new ones."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = TicketCategory.objects.select_related("parent")
        if self.instance is not None:
            # Not under itself or its sub-categories (the service refuses it whatever the door).
            parents = parents.exclude(
                pk__in={self.instance.pk, *config_services.category_descendant_ids(self.instance)}
            )
        _choice(self.fields["parent"]).queryset = parents


# --- business calendars -------------------------------------------------------------------------------

SLOTS = (("am", _("Morning")), ("pm", _("Afternoon")))
DEFAULT_HOURS = {
    **{str(d): [["08:00", "12:00"], ["13:30", "17:30"]] for d in range(5)},
    "5": [["08:00", "12:00"]],  # Saturday morning, as many Vietnamese shops work
    "6": [],
}


def _time_field() -> forms.TimeField:
    return forms.TimeField(
        required=False,
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(
            format="%H:%M",
            attrs={
                "placeholder": "HH:MM",
                "inputmode": "numeric",
                "maxlength": "5",
                "size": "5",
                "autocomplete": "off",
            },
        ),
        error_messages={"invalid": _("Enter a time as HH:MM, e.g. 08:30.")},
    )


class CalendarForm(ConfigForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, initial="Asia/Ho_Chi_Minh")
    skip_holidays = forms.BooleanField(
        label=_("Skip Vietnam's public holidays"),
        required=False,
        initial=True,
        help_text=_("Tết and Hùng Kings' day by the lunar calendar, and the other public holidays."),
    )
    days_off = forms.CharField(
        label=_("Other days off"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "dd/mm/yyyy"}),
        help_text=_("Company holidays: one date a line, as dd/mm/yyyy."),
    )

    service_fields = {"extra_days_off": "days_off"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        disabled = any(f.disabled for f in self.fields.values())
        for day in range(7):
            for slot, _label in SLOTS:
                for part in ("start", "end"):
                    field = _time_field()
                    field.disabled = disabled
                    self.fields[f"d{day}_{slot}_{part}"] = field
        if self.instance is None and not self.is_bound:
            self.initial.update(self._hours_initial(DEFAULT_HOURS))

    @staticmethod
    def _hours_initial(hours: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for day in range(7):
            for (slot, _label), pair in zip(SLOTS, hours.get(str(day)) or [], strict=False):
                initial[f"d{day}_{slot}_start"], initial[f"d{day}_{slot}_end"] = pair
        return initial

    def initial_from(self, instance: Any) -> dict[str, Any]:
        days = [dt.date.fromisoformat(d).strftime(DATE_FORMAT) for d in instance.extra_days_off or []]
        return {
            "name": instance.name,
            "time_zone": instance.time_zone,
            "skip_holidays": instance.skip_holidays,
            "days_off": "\n".join(days),
            **self._hours_initial(instance.hours or {}),
        }

    def weekdays(self) -> list[dict[str, Any]]:
        """The rows of the hours table: a weekday and its morning and afternoon inputs."""
        return [
            {
                "name": WEEKDAYS[day],
                "slots": [
                    (self[f"d{day}_{slot}_start"], self[f"d{day}_{slot}_end"]) for slot, _label in SLOTS
                ],
            }
            for day in range(7)
        ]

    def clean_days_off(self) -> list[dt.date]:
        days, bad = [], []
        for line in text_lines(self.cleaned_data.get("days_off")):
            for fmt in DATE_INPUT_FORMATS:
                try:
                    days.append(dt.datetime.strptime(line, fmt).date())  # noqa: DTZ007 - a date, no time
                    break
                except ValueError:
                    continue
            else:
                bad.append(line)
        if bad:
            raise forms.ValidationError(
                _("Not a valid date (dd/mm/yyyy): %(days)s") % {"days": ", ".join(bad)[:200]}
            )
        if len(set(days)) > config_services.MAX_DAYS_OFF:
            raise forms.ValidationError(
                _("At most %(n)s other days off.") % {"n": config_services.MAX_DAYS_OFF}
            )
        return days

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: dict[str, list[list[str]]] = {}
        for day in range(7):
            ranges: list[tuple[dt.time, dt.time, str]] = []
            for slot, _label in SLOTS:
                start_name, end_name = f"d{day}_{slot}_start", f"d{day}_{slot}_end"
                if start_name in self.errors or end_name in self.errors:
                    continue
                start, end = data.get(start_name), data.get(end_name)
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(
                        start_name if start is None else end_name, _("Enter both the start and the end.")
                    )
                elif start >= end:
                    self.add_error(end_name, _("The end must be after the start."))
                else:
                    ranges.append((start, end, start_name))
            ranges.sort()
            if len(ranges) == 2 and ranges[1][0] < ranges[0][1]:
                self.add_error(ranges[1][2], _("The two ranges of hours overlap."))
            hours[str(day)] = [[f"{s:%H:%M}", f"{e:%H:%M}"] for s, e, _name in ranges]
        data["hours"] = hours
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "skip_holidays": data["skip_holidays"],
            "hours": data["hours"],
            "extra_days_off": data["days_off"],
        }


# --- queues -------------------------------------------------------------------------------------------


class QueueForm(ConfigForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    line = forms.ChoiceField(
        label=pgettext_lazy("support line", "Line"), choices=Line.choices, initial=Line.FIRST
    )
    calendar = forms.ModelChoiceField(
        label=_("Business calendar"),
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label=_("Around the clock (24×7)"),
        help_text=_("The SLA clock counts the working hours of this calendar."),
    )
    members = MembersField(
        label=_("Members"), queryset=_users(), required=False, widget=forms.CheckboxSelectMultiple
    )
    lead = forms.ModelChoiceField(
        label=_("Queue lead"),
        queryset=_users(),
        required=False,
        help_text=_("Warned before an SLA breach; records the members' absences."),
    )
    assignment = forms.ChoiceField(
        label=_("Assignment"), choices=Assignment.choices, initial=Assignment.ROUND_ROBIN
    )
    escalation_queue = forms.ModelChoiceField(
        label=_("Escalates to"),
        queryset=Queue.objects.none(),
        required=False,
        help_text=_("A second-line queue."),
    )
    email = forms.EmailField(label=_("Reply-from address"), required=False, max_length=254)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queues = Queue.objects.filter(line=Line.SECOND)
        current: list[Any] = []
        if self.instance is not None:
            queues = queues.exclude(pk=self.instance.pk)
            current = [*self.instance.members.all(), self.instance.lead]
        _choice(self.fields["escalation_queue"]).queryset = queues
        _choice(self.fields["members"]).queryset = _users(current)
        _choice(self.fields["lead"]).queryset = _users(current)

    def initial_from(self, instance: Any) -> dict[str, Any]:
        return {**super().initial_from(instance), "members": list(instance.members.all())}


# --- routing rules ------------------------------------------------------------------------------------


class RoutingRuleForm(ConfigForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=MAX_POSITION,
        required=False,
        help_text=_("The first matching rule wins. Empty: after the others."),
    )
    queue = forms.ModelChoiceField(label=_("Send to queue"), queryset=Queue.objects.none())
    category = forms.ModelChoiceField(
        label=_("Category (or its sub-categories)"),
        queryset=TicketCategory.objects.none(),
        required=False,
        empty_label=ANY,
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=ANY
    )
    region = forms.ChoiceField(label=_("Region"), choices=[("", ANY), *Region.choices], required=False)
    customer_group = forms.ModelChoiceField(
        label=_("Customer group"), queryset=CustomerGroup.objects.all(), required=False, empty_label=ANY
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", ANY), *Priority.choices], required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = self.instance
        keep = Q(pk=rule.queue_id) if rule is not None else Q()
        _choice(self.fields["queue"]).queryset = Queue.objects.filter(Q(active=True) | keep)
        keep = Q(pk=rule.category_id) if rule is not None and rule.category_id else Q(pk__in=[])
        _choice(self.fields["category"]).queryset = TicketCategory.objects.filter(
            Q(active=True) | keep
        ).select_related("parent")
        keep = Q(pk=rule.product_id) if rule is not None and rule.product_id else Q(pk__in=[])
        products = access.scope(user, Product, Action.VIEW).filter(Q(active=True) | keep).order_by("code")
        _choice(self.fields["product"]).queryset = products


# --- SLA policies -------------------------------------------------------------------------------------


def _hours_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=MAX_HOURS, required=False)


def _minutes_field() -> forms.IntegerField:
    return forms.IntegerField(label=_("minutes"), min_value=0, max_value=59, required=False)


class SlaPolicyForm(ConfigForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", ANY), *Priority.choices], required=False)
    customer_group = forms.ModelChoiceField(
        label=_("Customer group"), queryset=CustomerGroup.objects.all(), required=False, empty_label=ANY
    )
    first_response_hours = _hours_field(_("First response within"))
    first_response_mins = _minutes_field()
    resolution_hours = _hours_field(_("Resolution within"))
    resolution_mins = _minutes_field()
    warn_before_minutes = forms.IntegerField(
        label=_("Warn this many business minutes before"), min_value=0, max_value=MAX_HOURS * 60, initial=30
    )
    escalate_on_breach = forms.BooleanField(
        label=_("Escalate to second line on a breach"), required=False, initial=True
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    TARGETS = ("first_response", "resolution")
    # The service names the stored fields (minutes): its errors show on the hours inputs.
    service_fields = {
        "first_response_minutes": "first_response_hours",
        "resolution_minutes": "resolution_hours",
    }

    def initial_from(self, instance: Any) -> dict[str, Any]:
        initial = super().initial_from(instance)
        for target in self.TARGETS:
            hours, minutes = divmod(getattr(instance, f"{target}_minutes"), 60)
            initial[f"{target}_hours"], initial[f"{target}_mins"] = hours, minutes
        return initial

    def target_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"{t}_hours"], self[f"{t}_mins"]) for t in self.TARGETS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for target in self.TARGETS:
            if f"{target}_hours" in self.errors or f"{target}_mins" in self.errors:
                continue
            total = (data.get(f"{target}_hours") or 0) * 60 + (data.get(f"{target}_mins") or 0)
            if total < 1:
                self.add_error(f"{target}_hours", _("Enter a target of at least one minute."))
            data[f"{target}_minutes"] = total
        return data

    def values(self) -> dict[str, Any]:
        names = ("name", "priority", "customer_group", "warn_before_minutes", "escalate_on_breach", "active")
        data = {name: self.cleaned_data[name] for name in names}
        return {**data, **{f"{t}_minutes": self.cleaned_data[f"{t}_minutes"] for t in self.TARGETS}}


# --- care call rules ----------------------------------------------------------------------------------


class CareCallRuleForm(ConfigForm):
    name = forms.CharField(label=_("Name"), max_length=150)
    trigger = forms.ChoiceField(label=_("When"), choices=CareTrigger.choices)
    days = forms.IntegerField(label=_("Days"), min_value=0, max_value=3650)
    purpose = forms.CharField(label=_("Purpose of the call"), max_length=200)
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=_users(), required=False)
    queue = forms.ModelChoiceField(
        label=_("Or a queue"),
        queryset=Queue.objects.none(),
        required=False,
        help_text=_(
            "The calls go to the agent, else to the queue's members in turn, else to the customer's owner."
        ),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = self.instance
        _choice(self.fields["agent"]).queryset = _users([rule.agent] if rule is not None else [])
        keep = Q(pk=rule.queue_id) if rule is not None and rule.queue_id else Q(pk__in=[])
        _choice(self.fields["queue"]).queryset = Queue.objects.filter(Q(active=True) | keep)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("agent") and data.get("queue"):
            self.add_error("queue", _("Choose an agent or a queue, not both."))
        return data


# --- absences and extensions --------------------------------------------------------------------------


class AbsenceForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Agent"), queryset=get_user_model().objects.none())
    starts_at = DateTimeField(label=_("Away from"))
    ends_at = DateTimeField(label=_("Until"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = config_services.absence_users(actor)
        _choice(self.fields["user"]).queryset = users
        if not self.is_bound:
            self.initial.setdefault("user", actor.pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The end must be after the start."))
        return data


class ExtensionForm(forms.Form):
    user = forms.ModelChoiceField(label=_("User"), queryset=_users())
    extension = forms.CharField(
        label=_("Extension"),
        max_length=20,
        help_text=_("The number (or user name) of the user's phone in the telephony system, e.g. 101."),
    )
