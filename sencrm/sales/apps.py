from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sencrm.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from sencrm.events.selectors import register_label
        from sencrm.sales import callers, consumers, search, tasks  # noqa: F401  (caller ID, scoring, search, jobs)
        from sencrm.sales.labels import lead_label, opportunity_label

        register_label("sales.lead", lead_label)
        register_label("sales.opportunity", opportunity_label)
