from __future__ import annotations

from rest_framework import serializers

from sencrm.customfields.models import CustomField, FieldType
from sencrm.customfields.services import CUSTOMIZABLE

RECORD_TYPES = [name.split(".")[1] for name in CUSTOMIZABLE]


class CustomFieldSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A custom field definition: its values are in the records' `custom_fields` object, under `key`."""

    record_type = serializers.ChoiceField(
        choices=RECORD_TYPES,
        source="content_type.model",
        read_only=True,
        help_text="The record type it belongs to: contact, account or lead.",
    )
    type = serializers.ChoiceField(
        choices=FieldType.choices,
        read_only=True,
        help_text="text, number (a decimal string), money (whole VND, a string), date (yyyy-mm-dd), "
        "choice (one of `options`), multi (a list of `options`) or bool.",
    )
    options = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The allowed values of a choice or multi field; [] for the other types.",
    )

    class Meta:
        model = CustomField
        fields = [
            "id",
            "record_type",
            "key",
            "label",
            "type",
            "options",
            "required",
            "show_in_list",
            "position",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The definition's id."},
            "key": {
                "help_text": "The name in a record's `custom_fields` object, in `?cf_<key>=` filters and in "
                "CSV columns `cf_<key>`; never changes."
            },
            "label": {"help_text": "The name shown in the web interface."},
            "required": {"help_text": "Whether a record must have a value for it."},
            "show_in_list": {"help_text": "Whether the web interface shows it as a column of the list."},
            "position": {"help_text": "Order among the record type's custom fields (smallest first)."},
        }
