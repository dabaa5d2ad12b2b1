from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "sencrm.catalog"
    label = "catalog"
    verbose_name = _("Products and price lists")

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy

        from sencrm.catalog import search  # noqa: F401  (products in the global search box)
        from sencrm.events.formatting import register_type_labels

        register_type_labels({"category.created": gettext_lazy("Product category created")})
