from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from sencrm.customfields.models import CustomField, FieldType
from sencrm.customfields.services import customizable_types


def _plural_name(ct: ContentType) -> str:
    model = cast("type[models.Model]", ct.model_class())  # a customizable type's model is installed
    return str(model._meta.verbose_name_plural)


class CustomFieldForm(forms.Form):
    content_type = forms.ModelChoiceField(label=_("Record type"), queryset=ContentType.objects.none())
    key = forms.RegexField(
        label=_("Key"),
        max_length=40,
        regex=r"^[a-z][a-z0-9_]*\Z",
        help_text=_("Lower-case letters, digits and _; used in the API and exports."),
    )
    label = forms.CharField(label=_("Label"), max_length=80)
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For choice fields: one option per line."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    show_in_list = forms.BooleanField(label=_("Show in lists"), required=False)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999, initial=0)

    def __init__(self, *args: Any, instance: CustomField | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "content_type": instance.content_type_id,
                "key": instance.key,
                "label": instance.label,
                "type": instance.type,
                "options": "\n".join(instance.options),
                "required": instance.required,
                "show_in_list": instance.show_in_list,
                "position": instance.position,
            }
        super().__init__(*args, **kwargs)
        types = customizable_types()
        content_type = cast("forms.ModelChoiceField[ContentType]", self.fields["content_type"])
        content_type.queryset = ContentType.objects.filter(pk__in=[t.pk for t in types])
        content_type.label_from_instance = _plural_name  # type: ignore[method-assign,assignment]  # relabel this field, not the class
        if instance is not None:
            for name in ("content_type", "key", "type"):
                self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        options = [line.strip() for line in data.get("options", "").splitlines() if line.strip()]
        data["options"] = options
        if data.get("type") in (FieldType.CHOICE, FieldType.MULTI) and not options:
            self.add_error("options", _("A choice field needs at least one option."))
        new_key = self.instance is None and data.get("content_type") and data.get("key")
        if (
            new_key
            and CustomField.objects.filter(content_type=data["content_type"], key=data["key"]).exists()
        ):
            self.add_error("key", _("This record type already has a field with this key."))
        return data
