"""API fields shared by the customer and sales serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sencrm.customers.models import Province
from sencrm.customers.provinces import province_resolve, unknown_message


class ProvinceField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A province by code (answered as its code), by its 2025 name, or by a name from before 2025 or a
    city ("Bình Định", "Nha Trang"): the caller's data is mostly older than the 2025 map. A name that
    cannot be placed is a 400 that says how to write it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", Province.objects.all())
        kwargs.setdefault(
            "help_text",
            "Code of the province of 2025 (e.g. ha-noi, ho-chi-minh); its name, a province from before "
            "2025 (Bình Định) or a city (Nha Trang) is accepted too and stored as the 2025 province.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not data.strip() or len(data) > 200:
            raise serializers.ValidationError(unknown_message(data if isinstance(data, str) else ""))
        province = province_resolve(data)
        if province is None:
            raise serializers.ValidationError(unknown_message(data))
        return province
