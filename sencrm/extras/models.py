"""Custom fields an administrator defines per record type, and users' saved list views."""

from __future__ import annotations

from django.conf import settings
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


class SavedView(models.Model):
    """A user's named list view: the filters, search and sort of a list, to come back to in one click."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    list_name = models.CharField(max_length=40)
    name = models.CharField(_("name"), max_length=80)
    querystring = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name", "name"], name="extras_savedview_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
