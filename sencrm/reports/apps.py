from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "sencrm.reports"
    label = "reports"
    verbose_name = _("Reports and dashboards")

    def ready(self) -> None:
        from sencrm.reports import catalogue, dashboards  # noqa: F401  (dashboards registers the home widget)

        catalogue.load()

        from django.utils.translation import gettext_lazy

        from sencrm.events.formatting import register_type_labels

        register_type_labels(
            {
                "saved_report.created": gettext_lazy("Saved report created"),
                "saved_report.updated": gettext_lazy("Saved report changed"),
                "saved_report.deleted": gettext_lazy("Saved report deleted"),
                "dashboard.arranged": gettext_lazy("Dashboard arranged"),
                "dashboard.reset": gettext_lazy("Dashboard reset to the default"),
                "revenue_target.set": gettext_lazy("Revenue target set"),
                "revenue_target.cleared": gettext_lazy("Revenue target cleared"),
            }
        )
