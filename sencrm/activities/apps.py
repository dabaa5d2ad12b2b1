from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "sencrm.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from sencrm.activities import tasks  # noqa: F401  (registers the reminder job)
        from sencrm.activities.labels import activity_label
        from sencrm.events.selectors import register_label

        register_label("activities.activity", activity_label)
