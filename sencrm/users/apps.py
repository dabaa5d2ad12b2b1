from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsersConfig(AppConfig):
    name = "sencrm.users"
    label = "users"
    verbose_name = _("Users, teams and roles")

    def ready(self) -> None:
        from sencrm.users import labels

        labels.register()  # how users' events and API tokens read in history
