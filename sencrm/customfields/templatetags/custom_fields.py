from __future__ import annotations

from typing import Any

from django import template

from sencrm.customfields import custom_fields
from sencrm.customfields.models import CustomField

register = template.Library()


@register.simple_tag
def custom_value(field: CustomField, obj: Any) -> str:
    return custom_fields.display(field, (obj.custom_field_data or {}).get(field.key))
