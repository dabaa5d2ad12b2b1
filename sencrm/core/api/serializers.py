"""The base of every record serializer: links to gated records accept only what the caller may view."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField

from sencrm.core import access
from sencrm.core.modules import Action


def scope_relation(field: serializers.Field[Any, Any, Any, Any], user: Any) -> None:
    """Narrow a related field's choices to the records `user` may view (a no-op for ungated models).

    An id outside the scope is then refused with DRF's "does not exist" message, word for word the
    answer for an id that does not exist (issue 12: the two must be indistinguishable)."""
    target: Any = field.child_relation if isinstance(field, ManyRelatedField) else field
    if not isinstance(target, RelatedField) or target.read_only:
        return
    queryset: Any = getattr(target, "queryset", None)
    if queryset is None or not access.is_gated(queryset.model):
        return
    queryset = queryset.all()  # a manager given as the queryset
    scoped = access.scope(user, queryset, Action.VIEW) if user is not None else queryset.none()
    setattr(target, "queryset", scoped)  # noqa: B010 - DRF's stubs type it as the model's manager


class ScopedRelationsMixin:
    """Every writable link to a gated record (account, contact, lead, opportunity… and whatever the
    next modules add) is scoped by the access gate for the requesting user; the services check the
    link again (`access.check_links`) for the doors without a serializer."""

    context: dict[str, Any]

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()  # type: ignore[misc]
        user = getattr(self.context.get("request"), "user", None)
        for field in fields.values():
            scope_relation(field, user)
        return fields


class RecordSerializer(ScopedRelationsMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """ModelSerializer for business records (see ScopedRelationsMixin)."""
