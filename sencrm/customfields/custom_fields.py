"""Validation, form fields, filters and display of custom fields — one place for UI, API and export."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from sencrm.core.db import json_array_contains
from sencrm.core.forms import DATE_INPUT_FORMATS, DateField
from sencrm.core.money import format_money
from sencrm.core.text import clean_text
from sencrm.customfields.models import CustomField, FieldType

MAX_TEXT = 1000


def definitions(model: type[models.Model]) -> list[CustomField]:
    return list(CustomField.objects.filter(content_type=ContentType.objects.get_for_model(model)))


def _parse_date(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    for fmt in DATE_INPUT_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise ValidationError(_("Enter a date as dd/mm/yyyy."))


def clean_value(field: CustomField, value: Any) -> Any:
    """The stored (JSON) form of one value, or ValidationError with a clear message."""
    if value in (None, "", []):
        return None
    kind = field.type
    if kind == FieldType.TEXT:
        text = clean_text(str(value))
        if len(text) > MAX_TEXT:
            raise ValidationError(_("At most %(n)s characters.") % {"n": MAX_TEXT})
        return text
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        try:
            number = Decimal(str(value).replace(" ", ""))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a number.")) from exc
        if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
            raise ValidationError(_("Enter a number."))
        if kind == FieldType.MONEY:
            number = number.quantize(Decimal(1))
        return str(number)
    if kind == FieldType.DATE:
        return _parse_date(value)
    if kind == FieldType.BOOL:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes", "on", "có"):
            return True
        if str(value).lower() in ("false", "0", "no", "off", "không"):
            return False
        raise ValidationError(_("Answer yes or no."))
    options = [str(o) for o in field.options]
    if kind == FieldType.CHOICE:
        if str(value) not in options:
            raise ValidationError(_("Choose one of: %(options)s") % {"options": ", ".join(options)})
        return str(value)
    values = value if isinstance(value, list) else [value]
    bad = [str(v) for v in values if str(v) not in options]
    if bad:
        raise ValidationError(_("Choose among: %(options)s") % {"options": ", ".join(options)})
    return [str(v) for v in values]


def validate(
    model: type[models.Model], data: Any, *, partial: bool, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Merge `data` into the existing values; unknown keys, bad values and missing required ones fail."""
    if not isinstance(data, dict):
        raise ValidationError({"custom_fields": [_("Must be an object.")]})
    fields = {f.key: f for f in definitions(model)}
    errors: dict[str, list[str]] = {}
    result = dict(existing or {}) if partial else {}
    for key, value in data.items():
        if key not in fields:
            errors[str(key)[:40]] = [_("Unknown custom field.")]
            continue
        try:
            cleaned = clean_value(fields[key], value)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if cleaned is None:
            result.pop(key, None)
        else:
            result[key] = cleaned
    for key, field in fields.items():
        if field.required and result.get(key) in (None, "", []) and key not in errors:
            errors[key] = [_("This field is required.")]
    if errors:
        raise ValidationError({"custom_fields": [f"{k}: {' '.join(v)}" for k, v in errors.items()]})
    return result


def form_field(field: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "required": field.required}
    choices = [(o, o) for o in field.options]
    if field.type in (FieldType.NUMBER, FieldType.MONEY):
        return forms.DecimalField(
            **common, max_digits=18, decimal_places=0 if field.type == FieldType.MONEY else 4
        )
    if field.type == FieldType.DATE:
        return DateField(**common)
    if field.type == FieldType.BOOL:
        return forms.BooleanField(label=field.label, required=False)
    if field.type == FieldType.CHOICE:
        return forms.ChoiceField(**common, choices=[("", "—"), *choices])
    if field.type == FieldType.MULTI:
        return forms.MultipleChoiceField(**common, choices=choices, widget=forms.CheckboxSelectMultiple)
    return forms.CharField(**common, max_length=MAX_TEXT)


def add_form_fields(form: forms.BaseForm, model: type[models.Model], values: dict[str, Any]) -> list[str]:
    names = []
    for field in definitions(model):
        name = f"cf_{field.key}"
        form.fields[name] = form_field(field)
        if not form.is_bound and field.key in values:
            value = values[field.key]
            if field.type == FieldType.DATE and isinstance(value, str):
                # Stored as ISO text; the date input shows it as dd/mm/yyyy.
                with contextlib.suppress(ValueError):
                    value = dt.date.fromisoformat(value)
            form.initial[name] = value
        names.append(name)
    return names


def from_form(form: forms.BaseForm, names: list[str]) -> dict[str, Any]:
    return {name[3:]: form.cleaned_data.get(name) for name in names}


def display(field: CustomField, value: Any) -> str:
    if value in (None, "", []):
        return ""
    if field.type == FieldType.MONEY:
        return format_money(value)
    if field.type == FieldType.BOOL:
        return _("Yes") if value else _("No")
    if field.type == FieldType.DATE:
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if field.type == FieldType.MULTI:
        return ", ".join(value)
    return str(value)


def filter_queryset(qs: models.QuerySet[Any], model: type[models.Model], params: Any) -> models.QuerySet[Any]:
    """?cf_<key>=value filters: exact for choices, yes/no, numbers and dates; contains for text."""
    for field in definitions(model):
        raw = params.get(f"cf_{field.key}")
        if raw in (None, ""):
            continue
        path = f"custom_field_data__{field.key}"
        if field.type == FieldType.TEXT:
            qs = qs.filter(**{f"{path}__icontains": str(raw)[:100]})
        elif field.type == FieldType.MULTI:
            qs = qs.filter(json_array_contains("custom_field_data", field.key, clean_value(field, [raw])[0]))
        else:
            qs = qs.filter(**{path: clean_value(field, raw)})
    return qs
