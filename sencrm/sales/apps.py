from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sencrm.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from sencrm.sales import (  # noqa: F401  (caller ID, scoring, home widgets, search, My day, jobs)
            callers,
            consumers,
            dashboard,
            derived,
            labels,
            myday,
            search,
            tasks,
        )

        labels.register()  # how sales events and their doors (web forms, conversions) read in history
        derived.register()  # leads' children and derived fields, for the spine
