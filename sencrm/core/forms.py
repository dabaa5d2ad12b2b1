"""Date and date-time inputs typed as dd/mm/yyyy (HH:MM), whatever the browser's locale.

A browser's own date picker (`type="date"`, `datetime-local`) shows the order of the browser's
locale (mm/dd/yyyy in an en-US Chromium) while the app writes dd/mm/yyyy everywhere. These inputs
are plain text fields with a numeric keyboard on phones; `static/js/dates.js` inserts the slashes
while the user types. The server accepts the same formats in both languages.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

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
