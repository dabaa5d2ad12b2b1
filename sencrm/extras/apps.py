from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExtrasConfig(AppConfig):
    name = "sencrm.extras"
    label = "extras"
    verbose_name = _("Custom fields and saved views")
