from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExtrasConfig(AppConfig):
    name = "sencrm.extras"
    label = "extras"
    verbose_name = _("Custom fields and saved views")

    def ready(self) -> None:
        from sencrm.extras import event_labels
        from sencrm.extras.imports import labels

        labels.register()  # "Imported from file X" on the journeys of imported contacts and accounts
        event_labels.register()  # custom-field events and imports as the door that wrote a record
