from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "sencrm.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from sencrm.marketing import facts, registry  # noqa: F401  (facts: its signal receiver)

        registry.register()
