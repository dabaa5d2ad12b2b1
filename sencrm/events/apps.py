from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "sencrm.events"
    label = "events"
    verbose_name = _("Events, audit trail and notifications")

    def ready(self) -> None:
        # Registers the consumers and the Huey tasks.
        from sencrm.events import consumers, tasks  # noqa: F401
        from sencrm.events.webhooks import consumer  # noqa: F401
