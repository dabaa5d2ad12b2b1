"""Users and teams as colleagues see them: no password, no token, no preference; administrators see
a few more fields (e-mail, phone, role, sign-in dates)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.users.models import Team, User

ADMIN_ONLY = ("email", "phone", "role", "last_login", "date_joined")


def sees_everything(context: Mapping[str, Any]) -> bool:
    request = context.get("request")
    return access.can(getattr(request, "user", None), Module.ADMIN, Action.VIEW)


class UserSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    display_name = serializers.CharField(
        read_only=True, help_text="The name to show: the full name, or the user name when it is empty."
    )
    teams: serializers.PrimaryKeyRelatedField[Team] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the user's teams (see /api/v1/teams/)."
    )
    is_active = serializers.BooleanField(
        read_only=True,
        help_text="False for a deactivated user (cannot sign in; still the owner of their records).",
    )
    # Administrators only: absent from other users' answers (hence not read-only, i.e. not required).
    email = serializers.CharField(
        required=False, allow_blank=True, help_text="E-mail address; may be empty (administrators only)."
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, help_text="Phone number; may be empty (administrators only)."
    )
    role = serializers.CharField(
        source="role.code",
        required=False,
        allow_null=True,
        help_text="Code of the user's role, e.g. sales, manager, admin; null for none (administrators only).",
    )
    last_login = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the user last signed in (administrators only)."
    )
    date_joined = serializers.DateTimeField(
        required=False, help_text="When the account was created (administrators only)."
    )

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "display_name", "teams", "is_active", *ADMIN_ONLY]
        read_only_fields = ["id", "username", "full_name"]
        extra_kwargs = {
            "id": {"help_text": "The user's id, as in the `owner` field of records."},
            "username": {"help_text": "The sign-in name (unique)."},
            "full_name": {"help_text": "Full name, Vietnamese order (family name first); may be empty."},
        }

    def to_representation(self, instance: User) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if not sees_everything(self.context):
            for name in ADMIN_ONLY:
                data.pop(name, None)
        return data


class TeamSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    members: serializers.PrimaryKeyRelatedField[User] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the team's members (see /api/v1/users/)."
    )

    class Meta:
        model = Team
        fields = ["id", "name", "description", "members"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The team's id, as in the `team` field of records."},
            "name": {"help_text": "The team's name (unique), e.g. Kinh doanh Hà Nội."},
            "description": {"help_text": "What the team does; may be empty."},
        }
