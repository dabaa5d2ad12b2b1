from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sencrm.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from sencrm.sales import callers, consumers, labels, search, tasks  # noqa: F401  (caller ID, scoring, search, jobs)

        labels.register()  # how sales events and their doors (web forms, conversions) read in history
