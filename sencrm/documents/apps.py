from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "sencrm.documents"
    label = "documents"
    verbose_name = _("Printed documents")

    def ready(self) -> None:
        from sencrm.documents import labels

        labels.register()  # how company and template changes read in the activity log
