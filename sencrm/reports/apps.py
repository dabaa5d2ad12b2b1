from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "sencrm.reports"
    label = "reports"
    verbose_name = _("Reports and dashboards")

    def ready(self) -> None:
        from sencrm.reports import catalogue, dashboards  # noqa: F401  (dashboards registers the home widget)

        catalogue.load()
