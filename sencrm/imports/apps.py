from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "sencrm.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from sencrm.imports import actors, labels

        labels.register()  # "Imported from file X" on the journeys of imported contacts and accounts
        actors.register()  # imports as the door that wrote a record
