"""Base classes shared by every business record (no domain models live in core)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core import access

if TYPE_CHECKING:
    from sencrm.core.access import AccessUser

R = TypeVar("R", bound="Record")


class RecordQuerySet(models.QuerySet[R]):
    def alive(self) -> RecordQuerySet[R]:
        return self.filter(deleted_at__isnull=True)

    def in_trash(self) -> RecordQuerySet[R]:
        return self.filter(deleted_at__isnull=False)


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


class NumberSequence(models.Model):
    """How one kind of document is numbered: prefix, padding, pattern and whether it restarts each year.

    Optional: a kind without a row uses its default (sencrm/core/numbering.py: DEFAULT_FORMATS).
    """

    kind = models.CharField(_("document type"), max_length=30, unique=True)
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    padding = models.PositiveSmallIntegerField(_("digits"), default=5)
    yearly_reset = models.BooleanField(_("restart each year"), default=True)
    pattern = models.CharField(_("pattern"), max_length=60, default="{prefix}-{year}-{number}")

    class Meta:
        verbose_name = _("document numbering")
        verbose_name_plural = _("document numberings")

    def __str__(self) -> str:
        return f"{self.kind}: {self.pattern}"


class NumberCounter(models.Model):
    """The last number given to a kind of document in a year (0: a sequence that never restarts).

    Only sencrm/core/numbering.py writes it, inside the transaction that creates the document, so a
    rolled-back document gives its number back.
    """

    kind = models.CharField(_("document type"), max_length=30)
    year = models.PositiveIntegerField(_("year"))
    last_number = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document number counter")
        verbose_name_plural = _("document number counters")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="%(app_label)s_%(class)s_unique_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"
