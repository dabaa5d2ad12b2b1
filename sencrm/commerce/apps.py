from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "sencrm.commerce"
    label = "commerce"
    verbose_name = _("Quotes, orders and contracts")

    def ready(self) -> None:
        from sencrm.commerce import (  # noqa: F401  (home widget and My day, search, daily jobs)
            dashboard,
            labels,
            search,
            tasks,
        )

        labels.register()  # event and notification wording
