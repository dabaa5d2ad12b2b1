from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "sencrm.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from sencrm.customers import derived, search, tasks  # noqa: F401  (search provider, background jobs)

        derived.register()  # contacts' and accounts' children and derived fields, for the spine
