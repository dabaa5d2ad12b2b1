from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "sencrm.support"
    label = "support"
    verbose_name = _("Customer care")

    def ready(self) -> None:
        from sencrm.support import registry

        registry.register()
