"""Reference data an import resolves names against, loaded once per job: provinces (also the names
from before the 2025 merger, cities and districts: sencrm/customers/provinces.py), sources, groups,
tags, users, and the choice lists in every language."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.core.text import fold
from sencrm.customers.provinces import province_code

GENDER_EXTRA = {"nam": "male", "nu": "female", "m": "male", "f": "female", "khac": "other", "trai": "male",
                "gai": "female", "ong": "male", "ba": "female"}  # fmt: skip


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", fold(text)).strip()


def key(text: Any) -> str:
    """Folded, punctuation as spaces: how names of provinces, groups, choices… are compared."""
    return _key(str(text or ""))


def choice_map(choices: type[models.TextChoices], extra: dict[str, str] | None = None) -> dict[str, str]:
    """Folded code and label (in every language) → value."""
    result: dict[str, str] = {}
    for value, label in zip(choices.values, choices.labels, strict=True):
        result[key(value)] = value
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                result[key(str(label))] = value
    result.update(extra or {})
    return result


class Lookups:
    """Names → ids for one job; new groups and tags are collected, created when the batch is written."""

    def __init__(self, actor: Any, target: str) -> None:
        from sencrm.customers.choices import Gender, LifecycleStage
        from sencrm.customers.models import CustomerGroup, Province, SourceChannel, Tag
        from sencrm.sales.choices import LeadStatus
        from sencrm.users.models import User

        self.actor, self.target = actor, target
        # Province code → id; names (also from before 2025, cities…) are folded to a code by
        # sencrm.customers.provinces, a cached dictionary lookup (no query per row).
        self.province_ids: dict[str, int] = {}
        self.province_names: dict[str, int] = {}  # provinces an administrator added, by their names
        for pk, code, name in Province.objects.values_list("pk", "code", "name"):
            self.province_ids[code] = pk
            self.province_names.setdefault(key(name), pk)
        self.sources: dict[str, int] = {}
        for pk, code, name in SourceChannel.objects.values_list("pk", "code", "name"):
            self.sources[key(name)] = pk
            self.sources[key(code)] = pk
        self.groups = {key(name): pk for pk, name in CustomerGroup.objects.values_list("pk", "name")}
        self.tags = {key(name): pk for pk, name in Tag.objects.values_list("pk", "name")}
        self.genders = choice_map(Gender, GENDER_EXTRA)
        self.stages = choice_map(LifecycleStage)
        self.lead_statuses = choice_map(LeadStatus)
        self.users: dict[str, Any] = {}
        names: dict[str, list[Any]] = {}
        for user in User.objects.filter(is_active=True).prefetch_related("teams"):
            self.users[user.username.lower()] = user
            if user.email:
                self.users.setdefault(user.email.lower(), user)
            names.setdefault(key(user.full_name), []).append(user)
        for name, same in names.items():
            if name and len(same) == 1:
                self.users.setdefault(name, same[0])
        self._assignable: dict[tuple[int, int | None], bool] = {}

    def province(self, text: str) -> int | None:
        """The id of the province a cell names (a 2025 or older province, a city, a district), or None."""
        code = province_code(text)
        if code is not None and code in self.province_ids:
            return self.province_ids[code]
        return self.province_ids.get(text.strip()) or self.province_names.get(key(text))

    def user(self, text: str) -> Any:
        return self.users.get(text.strip().lower()) or self.users.get(key(text))

    @staticmethod
    def team_of(user: Any) -> int | None:
        """A record owned by someone in exactly one team belongs to that team (as record_create does)."""
        teams = list(user.teams.all()[:2])
        return teams[0].pk if len(teams) == 1 else None

    def may_assign(self, model: type[models.Model], owner_id: int, team_id: int | None) -> bool:
        """The importer may give a record to this owner/team, and will still see it afterwards."""
        pair = (owner_id, team_id)
        if pair not in self._assignable:
            probe = model(owner_id=owner_id, team_id=team_id)
            self._assignable[pair] = access.in_scope(self.actor, Action.IMPORT, probe) and access.in_scope(
                self.actor, Action.VIEW, probe
            )
        return self._assignable[pair]
