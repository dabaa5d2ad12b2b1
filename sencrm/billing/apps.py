from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "sencrm.billing"
    label = "billing"
    verbose_name = _("Invoices and payments")

    def ready(self) -> None:
        from sencrm.billing import (  # noqa: F401  (home page, record panels, daily jobs, event wording)
            customer_panel,
            dashboard,
            labels,
            panels,
            tasks,
        )

        labels.register()
