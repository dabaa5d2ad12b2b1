"""How users' events and their API tokens read in history (registered in `UsersConfig.ready()`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Fields a user sets for themself: changing only these is a settings change, not an audit event.
PREFERENCE_FIELDS = frozenset({"language", "time_zone"})
PREFERENCES_CHANGED = "user.preferences_changed"

TYPE_LABELS = {
    "user.created": gettext_lazy("User created"),
    "user.updated": gettext_lazy("User updated"),
    "user.password_changed": gettext_lazy("Password changed"),
    "team.created": gettext_lazy("Team created"),
    "team.updated": gettext_lazy("Team updated"),
    "role.created": gettext_lazy("Role created"),
    "role.updated": gettext_lazy("Role updated"),
    "apitoken.created": gettext_lazy("API token created"),
    "apitoken.revoked": gettext_lazy("API token revoked"),
}


def grant_changes(old: Any, new: Any) -> list[tuple[str, str, str]]:
    """A role's grants ({"customers.view": "team"}) as one line per right that changed:
    "Khách hàng · Xem: Nhóm → Tất cả"."""
    from sencrm.core.modules import Action, Module, Scope

    def scope(value: Any) -> str:
        return str(dict(Scope.choices).get(value, value)) if value else _("No access")

    old, new = (old if isinstance(old, dict) else {}), (new if isinstance(new, dict) else {})
    rows = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        module, _sep, action = str(key).partition(".")
        right = f"{dict(Module.choices).get(module, module)} · {dict(Action.choices).get(action, action)}"
        rows.append((right, scope(old.get(key)), scope(new.get(key))))
    return rows


def token_names(ids: set[int]) -> dict[int, str]:
    """ "API token ‘Tổng đài’ of Nguyễn Văn An" for the tokens that wrote through the API."""
    from sencrm.users.models import ApiToken

    return {
        token.pk: _("API token ‘%(name)s’ of %(user)s") % {"name": token.name, "user": token.user}
        for token in ApiToken.objects.filter(pk__in=ids).select_related("user")
    }


def register() -> None:
    from sencrm.events import formatting

    formatting.register_type_labels(TYPE_LABELS)
    formatting.register_type_label(
        PREFERENCES_CHANGED, gettext_lazy("Personal settings changed"), personal=True
    )
    formatting.register_actor("apitoken", token_names)
    formatting.register_change_formatter("users.role", "grants", grant_changes)
