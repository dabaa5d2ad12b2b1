"""Custom fields an administrator defines per record type."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    MONEY = "money", _("Money (VND)")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI = "multi", _("Multiple choice")
    BOOL = "bool", _("Yes / no")


class CustomField(models.Model):
    """One extra field on a record type (contacts, accounts…); values live in `custom_field_data`."""

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("record type")
    )
    key = models.CharField(
        _("key"),
        max_length=40,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*\Z", _("Lower-case letters, digits and _; start with a letter."))
        ],
        help_text=_("Used in the API and exports; cannot change later."),
    )
    label = models.CharField(_("label"), max_length=80)
    type = models.CharField(_("type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT)
    options = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    show_in_list = models.BooleanField(_("show in lists"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["content_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["content_type", "key"], name="extras_customfield_unique_type_key")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def record_type_label(self) -> str:
        model = self.content_type.model_class()
        return str(model._meta.verbose_name_plural) if model is not None else self.content_type.model
