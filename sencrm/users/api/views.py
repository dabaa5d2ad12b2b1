"""`/api/v1/users/` and `/api/v1/teams/` (read-only): who the `owner` and `team` ids of records are.

Any signed-in user whose role grants at least one right may read them (administrators see more fields
of a user); a role without any right answers 403. Reading them as CSV needs the administration
export right."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request

from sencrm.core import access
from sencrm.core.api.filters import StrictBooleanFilter, StrictOrderingFilter
from sencrm.core.api.pagination import RecordCursorPagination
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text, fold
from sencrm.users.api.serializers import TeamSerializer, UserSerializer
from sencrm.users.models import Team, User

# A company's users and teams are few: the accent-insensitive search folds them in Python.
MAX_SEARCHED = 5000


class AnyRight(BasePermission):
    """A signed-in user whose role grants at least one right in any module."""

    message = gettext_lazy("Your role does not allow this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return any(access.can(user, module, action) for module in Module for action in Action)


def folded_search(qs: models.QuerySet[Any], text: str, *fields: str) -> models.QuerySet[Any]:
    """Records whose fields contain the text, ignoring accents and case ("hung" finds "Hùng")."""
    key = fold(clean_text(text)[:100])
    if not key:
        return qs
    rows = qs.model._default_manager.values_list("pk", *fields)[:MAX_SEARCHED]
    ids = [row[0] for row in rows if any(key in fold(value) for value in row[1:])]
    return qs.filter(pk__in=ids)


class UserCursorPagination(RecordCursorPagination):
    ordering = ("username", "id")


class TeamCursorPagination(RecordCursorPagination):
    ordering = ("name", "id")


class UserFilter(django_filters.FilterSet):  # type: ignore[misc]  # django-filter is untyped
    is_active = StrictBooleanFilter(help_text="Only active (true) or deactivated (false) users.")
    team = django_filters.ModelChoiceFilter(
        field_name="teams", queryset=Team.objects.all(), help_text="Id of a team: only its members."
    )

    class Meta:
        model = User
        fields = ["is_active", "team"]


SEARCH_USERS = OpenApiParameter(
    "search", str, description="Text in the user name or full name (accents and case ignored)."
)
SEARCH_TEAMS = OpenApiParameter(
    "search", str, description="Text in the team's name (accents and case ignored)."
)
USER_ORDERING = OpenApiParameter(
    "ordering",
    str,
    description="Sort by username (the default), full_name or id; a leading `-` sorts descending. "
    "Anything else is a 400.",
)
TEAM_ORDERING = OpenApiParameter(
    "ordering",
    str,
    description="Sort by name (the default) or id; `-` for descending. Anything else is a 400.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List users",
        description="Every user of the company, active or not (records may be owned by a deactivated "
        "user), by user name; `?search=`, `?is_active=`, `?team=` and `?ordering=`. Administrators also "
        "get `email`, `phone`, `role`, `last_login` and `date_joined`.",
        parameters=[SEARCH_USERS, USER_ORDERING],
    ),
    retrieve=extend_schema(summary="Read a user"),
)
class UserViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Users (read-only; administrators manage them in the web interface)."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated, AnyRight]
    pagination_class = UserCursorPagination
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = UserFilter
    ordering_fields = ["username", "full_name", "id"]
    export_module = Module.ADMIN

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = User.objects.prefetch_related("teams")
        if access.can(self.request.user, Module.ADMIN, Action.VIEW):
            qs = qs.select_related("role")
        search = self.request.query_params.get("search", "") if self.action == "list" else ""
        return folded_search(qs, search, "username", "full_name") if search.strip() else qs


@extend_schema_view(
    list=extend_schema(
        summary="List teams",
        description="Every team with its members' ids, by name; `?search=` and `?ordering=`.",
        parameters=[SEARCH_TEAMS, TEAM_ORDERING],
    ),
    retrieve=extend_schema(summary="Read a team"),
)
class TeamViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Teams (read-only): the groups whose members share records."""

    serializer_class = TeamSerializer
    permission_classes = [IsAuthenticated, AnyRight]
    pagination_class = TeamCursorPagination
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["name", "id"]
    export_module = Module.ADMIN

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = Team.objects.prefetch_related("members")
        search = self.request.query_params.get("search", "") if self.action == "list" else ""
        return folded_search(qs, search, "name") if search.strip() else qs
