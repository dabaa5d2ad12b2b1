"""Writes for users, teams and roles (administration); each emits an event for the audit trail."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module, Scope
from sencrm.core.text import clean_text
from sencrm.events.diff import changes as diff_changes
from sencrm.events.services import event_emit
from sencrm.users.defaults import DEFAULT_ROLES
from sencrm.users.labels import PREFERENCE_FIELDS, PREFERENCES_CHANGED
from sencrm.users.models import ApiToken, Grant, Role, Team, User

USER_FIELDS = ("username", "full_name", "email", "phone", "role", "language", "time_zone", "is_active")


def _user_state(user: User) -> dict[str, Any]:
    state: dict[str, Any] = {f: getattr(user, f) for f in USER_FIELDS if f != "role"}
    state["role"] = user.role_id
    state["teams"] = sorted(user.teams.values_list("pk", flat=True)) if user.pk else []
    return state


def _check_admin(actor: Any, action: str) -> None:
    # A system actor (None) is the set-up and demo loader; everyone else needs the admin module.
    if actor is not None:
        access.check_module(actor, Module.ADMIN, action)


@transaction.atomic
def roles_sync_defaults() -> list[Role]:
    """Create the built-in roles that are missing (never overwrites an administrator's edits)."""
    roles = []
    for code, (name, description, grants) in DEFAULT_ROLES.items():
        role, created = Role.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "is_system": True}
        )
        if created:
            Grant.objects.bulk_create(
                Grant(role=role, module=module, action=action, scope=level)
                for module, action, level in grants
            )
            event_emit(type="role.created", subject=role, actor_label="system:setup", data={"code": code})
        roles.append(role)
    return roles


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    role: Role | None = None,
    teams: Iterable[Team] = (),
    language: str = "vi",
    time_zone: str = "Asia/Ho_Chi_Minh",
    is_active: bool = True,
    validate: bool = True,
) -> User:
    _check_admin(actor, Action.CREATE)
    user = User(
        username=clean_text(username),
        full_name=clean_text(full_name),
        email=clean_text(email).lower(),
        phone=clean_text(phone),
        role=role,
        language=language,
        time_zone=time_zone,
        is_active=is_active,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.teams.set(list(teams))
    state = _user_state(user)
    event_emit(
        type="user.created",
        subject=user,
        actor=actor,
        actor_label="" if actor else "system:setup",
        data={"record": state},
    )
    return user


@transaction.atomic
def user_update(*, actor: Any, user: User, **fields: Any) -> User:
    """Change a user's profile, role, teams or active flag (never the password: user_set_password)."""
    _check_admin(actor, Action.EDIT)
    unknown = set(fields) - {*USER_FIELDS, "teams"}
    if unknown:
        raise ValueError(f"unknown user fields: {sorted(unknown)}")
    # An administrator cannot lock themself out: keep their own role and active flag.
    changes_own_access = fields.get("is_active") is False or (
        "role" in fields and fields["role"] != user.role
    )
    if actor is not None and user.pk == actor.pk and changes_own_access:
        raise PermissionDenied(_("You cannot deactivate yourself or change your own role."))
    before = _user_state(user)
    teams = fields.pop("teams", None)
    for name, value in fields.items():
        setattr(user, name, clean_text(value) if isinstance(value, str) and name != "time_zone" else value)
    user.email = user.email.lower()
    user.full_clean()
    user.save()
    if teams is not None:
        user.teams.set(list(teams))
    user.forget_access_cache()
    changed = diff_changes(before, _user_state(user))
    if changed:
        kind = PREFERENCES_CHANGED if changed.keys() <= PREFERENCE_FIELDS else "user.updated"
        event_emit(type=kind, subject=user, actor=actor, data={"changes": changed})
    return user


@transaction.atomic
def user_set_password(*, actor: Any, user: User, password: str, validate: bool = True) -> User:
    if actor is None or actor.pk != user.pk:
        _check_admin(actor, Action.EDIT)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    # The event says that the password changed, never what it is.
    event_emit(type="user.password_changed", subject=user, actor=actor)
    return user


@transaction.atomic
def user_set_preferences(*, user: User, language: str | None = None, time_zone: str | None = None) -> User:
    """A user's own settings (no admin right needed)."""
    before = _user_state(user)
    if language is not None:
        user.language = language
    if time_zone is not None:
        user.time_zone = time_zone
    user.full_clean()
    user.save(update_fields=["language", "time_zone"])
    changed = diff_changes(before, _user_state(user))
    if changed:
        # A settings change, not an audit event: shown in the user's own history only.
        event_emit(type=PREFERENCES_CHANGED, subject=user, actor=user, data={"changes": changed})
    return user


@transaction.atomic
def team_save(
    *, actor: Any, name: str, description: str = "", members: Iterable[User] = (), team: Team | None = None
) -> Team:
    _check_admin(actor, Action.EDIT if team else Action.CREATE)
    creating = team is None
    team = team or Team()
    before = {
        "name": team.name,
        "description": team.description,
        "members": sorted(team.members.values_list("pk", flat=True)) if team.pk else [],
    }
    team.name = clean_text(name)
    team.description = description.strip()
    team.full_clean()
    team.save()
    team.members.set(list(members))
    after = {
        "name": team.name,
        "description": team.description,
        "members": sorted(team.members.values_list("pk", flat=True)),
    }
    changed = diff_changes(before, after)
    if creating:
        event_emit(type="team.created", subject=team, actor=actor, data={"record": after})
    elif changed:
        event_emit(type="team.updated", subject=team, actor=actor, data={"changes": changed})
    return team


def _grant_state(role: Role) -> dict[str, str]:
    return {f"{g.module}.{g.action}": g.scope for g in role.grants.all()}


@transaction.atomic
def role_save(
    *,
    actor: Any,
    name: str,
    grants: dict[tuple[str, str], str | None],
    description: str = "",
    code: str = "",
    role: Role | None = None,
) -> Role:
    """Create or edit a role; `grants` maps (module, action) to a scope, or None to withdraw it."""
    _check_admin(actor, Action.EDIT if role else Action.CREATE)
    valid_modules = set(Module.values)
    valid_actions = set(Action.values)
    valid_scopes = set(Scope.values)
    for (module, action), level in grants.items():
        if (
            module not in valid_modules
            or action not in valid_actions
            or (level and level not in valid_scopes)
        ):
            raise ValidationError(_("Unknown module, action or scope in the grants."))
    if role is not None and actor is not None and role.pk == getattr(actor, "role_id", None):
        still_admin = grants.get((Module.ADMIN, Action.EDIT)) == Scope.ALL
        if not still_admin and not actor.is_superuser:
            raise PermissionDenied(_("You cannot remove the administration right from your own role."))
    creating = role is None
    role = role or Role(code=code)
    before = {
        "name": role.name,
        "description": role.description,
        "grants": _grant_state(role) if role.pk else {},
    }
    role.name = clean_text(name)
    role.description = description.strip()
    role.full_clean()
    role.save()
    role.grants.all().delete()
    Grant.objects.bulk_create(
        Grant(role=role, module=module, action=action, scope=level)
        for (module, action), level in grants.items()
        if level
    )
    after = {"name": role.name, "description": role.description, "grants": _grant_state(role)}
    changed = diff_changes(before, after)
    if creating:
        event_emit(type="role.created", subject=role, actor=actor, data={"record": after})
    elif changed:
        event_emit(type="role.updated", subject=role, actor=actor, data={"changes": changed})
    return role


TOKEN_PREFIX = "sen_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for, not a secret


def hash_token(raw: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 is enough to make the stored value useless to a thief.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_at: Any = None) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=clean_text(name)[:80] or "API",
        prefix=raw[:12],
        key_hash=hash_token(raw),
        expires_at=expires_at,
    )
    event_emit(
        type="apitoken.created", subject=token, actor=user, data={"name": token.name, "prefix": token.prefix}
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        _check_admin(actor, Action.EDIT)
    if token.revoked_at is None:
        from django.utils import timezone

        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_emit(type="apitoken.revoked", subject=token, actor=actor, data={"prefix": token.prefix})
    return token
