from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomFieldsConfig(AppConfig):
    name = "sencrm.customfields"
    label = "customfields"
    verbose_name = _("Custom fields")

    def ready(self) -> None:
        from sencrm.customfields import labels

        labels.register()  # custom-field events in the activity log
