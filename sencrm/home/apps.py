from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The home page: each role's day, read from the modules (read-only, above every module)."""

    name = "sencrm.home"
    label = "home"
    verbose_name = _("Home")
