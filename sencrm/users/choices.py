from __future__ import annotations

import zoneinfo
from functools import cache

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    VI = "vi", _("Vietnamese")
    EN = "en", _("English")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    # Only names the zoneinfo database knows: a time zone is never free text (it reaches SQL in
    # other CRMs; here it is only ever one of these values).
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]
