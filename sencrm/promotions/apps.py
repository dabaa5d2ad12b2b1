from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "sencrm.promotions"
    label = "promotions"
    verbose_name = _("Promotions")

    def ready(self) -> None:
        from sencrm.promotions import registry

        registry.register()
