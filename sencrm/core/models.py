"""Base classes shared by every business record (no domain models live in core)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.modules import Action

if TYPE_CHECKING:
    from sencrm.core.access import AccessUser

R = TypeVar("R", bound="Record")


class RecordQuerySet(models.QuerySet[R]):
    def alive(self) -> RecordQuerySet[R]:
        return self.filter(deleted_at__isnull=True)

    def in_trash(self) -> RecordQuerySet[R]:
        return self.filter(deleted_at__isnull=False)

    def visible_to(self, user: Any, action: str = Action.VIEW) -> models.QuerySet[R]:
        return access.scope(user, self, action)


class AliveManager(models.Manager[R]):
    """The default manager hides soft-deleted records; `all_objects` sees the trash too."""

    def get_queryset(self) -> RecordQuerySet[R]:
        return RecordQuerySet(self.model, using=self._db).alive()


class Record(models.Model):
    """A business record: owned, in a team, versioned, soft-deletable and audited.

    Subclasses set `access_module` (the module whose grants govern them) and may override
    `access_q`/`in_access_scope` when "own" means more than "owned by the user" and `event_customer`
    when the record belongs to a customer's journey.
    """

    access_module: ClassVar[str]
    # Fields never shown in the audit trail (they change on every save).
    audit_exclude: ClassVar[frozenset[str]] = frozenset(
        {"id", "created_at", "updated_at", "created_by", "updated_by", "version", "deleted_at", "deleted_by"}
    )
    event_prefix: ClassVar[str] = ""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    team = models.ForeignKey(
        "users.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("updated by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # No index: "deleted_at IS NULL" matches nearly every row, and an index on it misleads SQLite's
    # planner away from the list's sort index (measured in make bench); the trash is small.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("deleted by"),
    )

    objects: ClassVar[AliveManager[Any]] = AliveManager()
    all_objects: ClassVar[models.Manager[Any]] = RecordQuerySet.as_manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @classmethod
    def access_q(cls, user: AccessUser, level: str) -> models.Q:
        return access.owner_team_q(user, level)

    def in_access_scope(self, user: AccessUser, level: str) -> bool:
        # Django adds the *_id attributes at class creation; abstract bases do not declare them.
        owner_id: int | None = getattr(self, "owner_id", None)
        team_id: int | None = getattr(self, "team_id", None)
        return access.owner_team_match(user, level, owner_id, team_id)

    @classmethod
    def event_type_prefix(cls) -> str:
        return cls.event_prefix or cls._meta.model_name or "record"

    def event_customer(self) -> models.Model | None:
        """The contact or account whose journey this record belongs to (None: not on a timeline)."""
        return None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
