"""The access gate: the one place that decides which records a user may see and change.

`scope(user, Model_or_queryset, action)` filters a queryset to what the user's role allows for
that action (own / team / all records of the model's module); `check(user, action, obj)` raises
`Http404` for a record outside the user's view scope (its existence is not leaked) and
`PermissionDenied` for an action the role lacks on a record the user may see. Lists, detail pages,
forms, API views, search, exports, reports and background jobs all call these two functions, and the
services call `check` again before writing, so no door bypasses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.core.modules import Action, Scope

if TYPE_CHECKING:
    from collections.abc import Iterable

M = TypeVar("M", bound=models.Model)

# One message for a record that does not exist and one outside the reader's scope, on every door.
NOT_FOUND = gettext_lazy("The record does not exist or you do not have access to it.")
# What stands for the name of a related record the reader may not open (history, search, caller ID…).
NOT_VISIBLE = gettext_lazy("(not visible to you)")


@runtime_checkable
class AccessUser(Protocol):
    """What the gate needs from a user (implemented by sencrm.users.models.User)."""

    id: Any
    is_active: bool
    is_superuser: bool

    @property
    def is_authenticated(self) -> bool: ...

    def access_scope(self, module: str, action: str) -> str | None: ...

    def team_ids(self) -> frozenset[int]: ...

    def teammate_ids(self) -> frozenset[int]: ...


class ScopedModel(Protocol):
    """What the gate needs from a model: its module and how own/team translate into filters."""

    access_module: str

    @classmethod
    def access_q(cls, user: AccessUser, level: str) -> models.Q: ...

    def in_access_scope(self, user: AccessUser, level: str) -> bool: ...


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def scope_level(user: Any, module: str, action: str) -> str | None:
    """The scope the user's role grants for an action in a module, or None."""
    if not _active(user):
        return None
    if user.is_superuser:
        return Scope.ALL
    level: str | None = user.access_scope(module, action)
    return level


def can(user: Any, module: str, action: str) -> bool:
    """Whether the role grants the action in the module at all (menus, buttons, create pages)."""
    return scope_level(user, module, action) is not None


def scope(
    user: Any, model_or_qs: type[M] | models.QuerySet[M], action: str = Action.VIEW
) -> models.QuerySet[M]:
    """Filter to the records the user may act on: the only way lists and searches start."""
    if isinstance(model_or_qs, models.QuerySet):
        qs = model_or_qs
    else:
        qs = model_or_qs._default_manager.all()
    model: Any = qs.model
    level = scope_level(user, model.access_module, action)
    if level is None:
        return qs.none()
    if level == Scope.ALL:
        return qs
    q: models.Q = model.access_q(user, level)
    return qs.filter(q)


def in_scope(user: Any, action: str, obj: Any) -> bool:
    level = scope_level(user, obj.access_module, action)
    if level is None:
        return False
    if level == Scope.ALL:
        return True
    return bool(obj.in_access_scope(user, level))


def check(user: Any, action: str, obj: Any) -> None:
    """Raise unless the user may do `action` on `obj`.

    A record outside the user's *view* scope answers 404 whatever the action, so that a forbidden
    URL and a missing one look the same; a visible record the user may not change answers 403.
    """
    if not in_scope(user, Action.VIEW, obj):
        raise Http404(str(NOT_FOUND))
    if action != Action.VIEW and not in_scope(user, action, obj):
        raise PermissionDenied(_("Your role does not allow this action on this record."))


def check_module(user: Any, module: str, action: str) -> None:
    """Raise PermissionDenied unless the role grants the action in the module (create, import…)."""
    if not can(user, module, action):
        raise PermissionDenied(_("Your role does not allow this action."))


def check_assignable(user: Any, action: str, obj: Any) -> None:
    """For a record about to be created or re-assigned: its owner/team must lie in the user's scope.

    Refuses, for example, a sales user creating a record owned by another team's member.
    """
    if not in_scope(user, action, obj):
        raise PermissionDenied(_("You may not assign the record to this owner or team."))


def owner_team_q(
    user: AccessUser, level: str, owner_field: str = "owner", team_field: str = "team"
) -> models.Q:
    """The usual row filter: own = owned by the user; team = owned by or assigned to their teams."""
    own = models.Q(**{f"{owner_field}_id": user.id})
    if level == Scope.OWN:
        return own
    return (
        own
        | models.Q(**{f"{team_field}_id__in": user.team_ids()})
        | models.Q(**{f"{owner_field}_id__in": user.teammate_ids()})
    )


def owner_team_match(user: AccessUser, level: str, owner_id: int | None, team_id: int | None) -> bool:
    """The Python twin of owner_team_q, for one record already loaded."""
    if owner_id == user.id:
        return True
    if level == Scope.OWN:
        return False
    return (team_id is not None and team_id in user.team_ids()) or owner_id in user.teammate_ids()


def visible_ids(
    user: Any, model: type[models.Model], ids: Iterable[int], action: str = Action.VIEW
) -> set[int]:
    """Which of the given primary keys the user may act on (bulk actions, background jobs)."""
    return set(scope(user, model, action).filter(pk__in=list(ids)).values_list("pk", flat=True))


def is_gated(model: Any) -> bool:
    """Whether the gate keeps users from some records of `model` (contacts, leads…; not users,
    provinces or stages, which every signed-in user may name)."""
    return isinstance(model, type) and isinstance(getattr(model, "access_module", None), str)


def gated_links(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """The foreign keys of `model` that point at gated records (owner and team are users and teams:
    they are checked by `check_assignable`)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and is_gated(f.related_model)
    ]


def check_links(user: Any, obj: models.Model, names: Iterable[str] | None = None) -> None:
    """Refuse a link from `obj` to a record outside the user's view scope, whatever door it came
    through (form, API, import, a job acting for the user): a ValidationError on the field, with the
    words of a missing record, so that an id outside the scope and one that does not exist answer
    alike. `names` limits the check to the fields being set (an update keeps the links it had)."""
    wanted = None if names is None else set(names)
    errors: dict[str, list[str]] = {}
    for field in gated_links(type(obj)):
        if wanted is not None and field.name not in wanted and field.attname not in wanted:
            continue
        pk = getattr(obj, field.attname)
        if pk is None:
            continue
        related: Any = field.related_model
        if not scope(user, related, Action.VIEW).filter(pk=pk).exists():
            errors[field.name] = [str(NOT_FOUND)]
    if errors:
        raise ValidationError(errors)


def visible_pks(user: Any, model: type[models.Model], pks: Iterable[Any]) -> set[Any]:
    """Of these primary keys of `model`, those the user may view (every key of an ungated model)."""
    wanted = {pk for pk in pks if pk is not None}
    if not wanted or not is_gated(model):
        return wanted
    return set(scope(user, model, Action.VIEW).filter(pk__in=wanted).values_list("pk", flat=True))


def related_label(user: Any, related: models.Model | None, visible: set[Any] | None = None) -> str:
    """The name of a related record as `user` may read it: its name when they may open it, else
    "(not visible to you)"; "" for no record. The one rule for naming a linked record (a contact's
    account in search and caller ID, a changed link in history, a card on the board). Pass `visible`
    (from `visible_pks`, one query for a whole page) to avoid a query per record."""
    if related is None:
        return ""
    model = type(related)
    if not is_gated(model):
        return str(related)
    if visible is None:
        visible = visible_pks(user, model, [related.pk])
    return str(related) if related.pk in visible else str(NOT_VISIBLE)


def label_related(user: Any, objs: Iterable[Any], field: str) -> None:
    """Set `<field>_label` on each of `objs` to the name of its related record as `user` may read it
    (see `related_label`), with one query for all of them."""
    rows = list(objs)
    related = [getattr(obj, field) for obj in rows]
    present = [r for r in related if r is not None]
    visible = visible_pks(user, type(present[0]), [r.pk for r in present]) if present else set()
    for obj, target in zip(rows, related, strict=True):
        setattr(obj, f"{field}_label", related_label(user, target, visible))
