"""Form pieces every module's forms share: dates typed as dd/mm/yyyy, phones and emails one a line,
the choice of owner.

Date and date-time inputs are typed as dd/mm/yyyy (HH:MM), whatever the browser's locale. A browser's
own date picker (`type="date"`, `datetime-local`) shows the order of the browser's locale (mm/dd/yyyy
in an en-US Chromium) while the app writes dd/mm/yyyy everywhere. These inputs are plain text fields
with a numeric keyboard on phones; `static/js/dates.js` inserts the slashes while the user types. The
server accepts the same formats in both languages.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.modules import Scope
from sencrm.core.phones import to_e164
from sencrm.core.text import text_lines

DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
# strptime's %d and %m take one digit too, so "5/11/2026" is 5 November 2026.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",  # what a browser's datetime-local sent before, kept for open pages and scripts
    "%Y-%m-%d %H:%M:%S",
]
# A hint for the browser only (the server decides): digits and separators in a day-first or ISO order.
# Written for the `v` flag Chromium compiles `pattern` with ("/" and "-" escaped inside brackets).
_DAY = r"[0-9]{1,2}[\/\-.][0-9]{1,2}[\/\-.][0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
DATE_PATTERN = f"({_DAY})"
DATETIME_PATTERN = rf"({_DAY})[ T][0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}})?"


class DateInput(forms.DateInput):
    """A text input showing dd/mm/yyyy."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "inputmode": "numeric",
            "placeholder": "dd/mm/yyyy",
            "pattern": DATE_PATTERN,
            "maxlength": "10",
            "autocomplete": "off",
            "data-date-input": "date",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format=DATE_FORMAT)


class DateTimeInput(forms.DateTimeInput):
    """A text input showing dd/mm/yyyy HH:MM."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {
            "inputmode": "numeric",
            "placeholder": "dd/mm/yyyy HH:MM",
            "pattern": DATETIME_PATTERN,
            "maxlength": "19",
            "autocomplete": "off",
            "data-date-input": "datetime",
        }
        super().__init__(attrs={**base, **(attrs or {})}, format=DATETIME_FORMAT)


class DateField(forms.DateField):
    """A date typed as dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, yyyy-mm-dd) in every language."""

    widget = DateInput
    input_formats = DATE_INPUT_FORMATS
    default_error_messages = {"invalid": _("Enter a valid date as dd/mm/yyyy, e.g. 05/11/2026.")}


class DateTimeField(forms.DateTimeField):
    """A date and time typed as dd/mm/yyyy HH:MM in every language."""

    widget = DateTimeInput
    input_formats = DATETIME_INPUT_FORMATS
    default_error_messages = {
        "invalid": _("Enter a valid date and time as dd/mm/yyyy HH:MM, e.g. 05/11/2026 14:30.")
    }


class DateFilter(django_filters.DateFilter):  # type: ignore[misc]
    """A list filter's date: the same input and formats as the forms' (the API sends yyyy-mm-dd)."""

    field_class = DateField


MAX_LINES = 20  # phones or emails on one record


class LinesField(forms.CharField):
    """A text box of one value a line (phones, emails): cleaned to the list of non-empty lines, each
    checked by `is_valid`; the bad ones are named in one message, and what was typed stays in the box."""

    invalid_message: Any = ""  # names the bad lines through %(<invalid_key>)s
    invalid_key = "values"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        super().__init__(**kwargs)

    def is_valid(self, line: str) -> bool:
        raise NotImplementedError

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]  # a list, not a str
        return text_lines(super().to_python(value))

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(self.prepare_value(initial)) != self.to_python(data)

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        bad = [line for line in value if not self.is_valid(line)]
        if bad:
            raise ValidationError(
                self.invalid_message % {self.invalid_key: ", ".join(bad)[:200]}, code="invalid"
            )
        if len(value) > MAX_LINES:
            raise ValidationError(
                _("Enter at most %(limit)s, one a line.") % {"limit": MAX_LINES}, code="max_lines"
            )


class PhonesField(LinesField):
    """Phone numbers one a line, in any format people write them (0912 345 678, +84…, 01689…)."""

    invalid_message = _("Not a valid phone number: %(numbers)s")
    invalid_key = "numbers"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Phones"))
        kwargs.setdefault("help_text", _("One number per line, in any format (0912 345 678, +84…)."))
        super().__init__(**kwargs)

    def is_valid(self, line: str) -> bool:
        return to_e164(line) is not None


class EmailsField(LinesField):
    """Email addresses one a line."""

    invalid_message = _("Not a valid email address: %(emails)s")
    invalid_key = "emails"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Emails"))
        kwargs.setdefault("help_text", _("One address per line."))
        super().__init__(**kwargs)

    def is_valid(self, line: str) -> bool:
        try:
            validate_email(line)
        except ValidationError:
            return False
        return True


def assignable_owners(user: Any, module: str, action: str) -> QuerySet[Any]:
    """The active users `user` may hand a record of `module` to under `action`: themself, their teams'
    members, or anyone, by the role's scope (the services check the same rule again)."""
    level = access.scope_level(user, module, action)
    users = get_user_model().objects.filter(is_active=True).order_by("full_name", "username")
    if level == Scope.ALL:
        return users
    if level == Scope.TEAM:
        return users.filter(Q(pk=user.pk) | Q(pk__in=user.teammate_ids()))
    return users.filter(pk=user.pk)
