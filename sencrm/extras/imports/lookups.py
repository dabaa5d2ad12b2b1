"""Reference data an import resolves names against, loaded once per job: provinces (with the names
from before the 2025 merger), sources, groups, tags, users, and the choice lists in every language."""

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

# Provinces merged in 2025 → the province (code) they are now part of.
OLD_PROVINCES = {
    "ha giang": "tuyen-quang", "yen bai": "lao-cai", "bac kan": "thai-nguyen", "vinh phuc": "phu-tho",
    "hoa binh": "phu-tho", "bac giang": "bac-ninh", "thai binh": "hung-yen", "hai duong": "hai-phong",
    "ha nam": "ninh-binh", "nam dinh": "ninh-binh", "quang binh": "quang-tri", "quang nam": "da-nang",
    "kon tum": "quang-ngai", "binh dinh": "gia-lai", "ninh thuan": "khanh-hoa", "dak nong": "lam-dong",
    "binh thuan": "lam-dong", "phu yen": "dak-lak", "binh duong": "ho-chi-minh",
    "ba ria vung tau": "ho-chi-minh", "vung tau": "ho-chi-minh", "binh phuoc": "dong-nai",
    "long an": "tay-ninh", "soc trang": "can-tho", "hau giang": "can-tho", "ben tre": "vinh-long",
    "tra vinh": "vinh-long", "tien giang": "dong-thap", "bac lieu": "ca-mau", "kien giang": "an-giang",
    "thua thien hue": "hue", "ha tay": "ha-noi",
    "hcm": "ho-chi-minh", "tphcm": "ho-chi-minh", "tp hcm": "ho-chi-minh", "sai gon": "ho-chi-minh",
    "saigon": "ho-chi-minh", "ho chi minh city": "ho-chi-minh", "hn": "ha-noi", "hanoi": "ha-noi",
    "da nang city": "da-nang",
}  # fmt: skip
_PROVINCE_PREFIX = re.compile(r"^(tinh|thanh pho|tp|t p|tt)\s+")
GENDER_EXTRA = {"nam": "male", "nu": "female", "m": "male", "f": "female", "khac": "other", "trai": "male",
                "gai": "female", "ong": "male", "ba": "female"}  # fmt: skip


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", fold(text)).strip()


def key(text: Any) -> str:
    """Folded, punctuation as spaces: how names of provinces, groups, choices… are compared."""
    return _key(str(text or ""))


@lru_cache(maxsize=4096)
def province_key(text: Any) -> str:
    return _PROVINCE_PREFIX.sub("", key(text))


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
        self.provinces: dict[str, int] = {}
        codes = {}
        for pk, code, name in Province.objects.values_list("pk", "code", "name"):
            codes[code] = pk
            self.provinces[province_key(name)] = pk
            self.provinces[key(code)] = pk
        for old, code in OLD_PROVINCES.items():
            if code in codes:
                self.provinces.setdefault(old, codes[code])
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
