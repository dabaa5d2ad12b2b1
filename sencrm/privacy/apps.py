from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "sencrm.privacy"
    label = "privacy"
    verbose_name = _("Personal data requests")

    def ready(self) -> None:
        from sencrm.privacy import (  # noqa: F401  (home page widget, person panels, the hourly overdue job)
            dashboard,
            labels,
            panels,
            tasks,
        )

        labels.register()
