"""The base of every list filter (UI and API): choices of gated records come through the access gate."""

from __future__ import annotations

from typing import Any

import django_filters

from sencrm.core import access
from sencrm.core.modules import Action


class ScopedFilterSet(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    """A filter by a gated record (`?account=`, `?contact=`…) offers and accepts only the records the
    requesting user may view: an id outside the scope is "not one of the available choices", word for
    word like an id that does not exist, and its name never appears in the choices. Without a request
    (a filter built by code), no gated record is a valid choice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for flt in self.filters.values():
            queryset = getattr(flt, "queryset", None)
            if queryset is None or callable(queryset) or not access.is_gated(queryset.model):
                continue
            flt.queryset = access.scope(user, queryset, Action.VIEW) if user is not None else queryset.none()
