from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sencrm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db import models
        from rest_framework import serializers

        from sencrm.core.api.fields import ApiDateTimeField

        # Every ModelSerializer's date-time fields write offsets RFC 3339 accepts (see ApiDateTimeField).
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = ApiDateTimeField
