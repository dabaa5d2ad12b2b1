"""Users, their teams and their roles (a role is a set of grants: module × action → scope)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sencrm.core.modules import Action, Module, Scope, widest
from sencrm.users.choices import Language


class Team(models.Model):
    """A group of users who share records (e.g. "Kinh doanh Hà Nội"); managers see their teams' records."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("users:team_edit", args=[self.pk])


class Role(models.Model):
    """A job role (Sales, Manager, …): what its holders may do, per module, and over which records."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    is_system = models.BooleanField(_("built-in"), default=False)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        # Built-in role names are English source strings, shown in the reader's language.
        return gettext(self.name) if self.is_system else self.name

    def get_absolute_url(self) -> str:
        return reverse("users:role_edit", args=[self.pk])


class Grant(models.Model):
    """One permission of a role: an action in a module, over own, team or all records."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants", verbose_name=_("role"))
    module = models.CharField(_("module"), max_length=20, choices=Module.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope.choices)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "module", "action"], name="users_grant_unique_role_module_action"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.module}.{self.action} ({self.scope})"


class User(AbstractUser):
    """A person who signs in: role, teams, language and time zone."""

    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("role")
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="members", verbose_name=_("teams"))
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, default=Language.VI)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Ho_Chi_Minh")

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("users:user_edit", args=[self.pk])

    # The access gate's view of a user (sencrm.core.access.AccessUser); cached for one request.
    def _grant_map(self) -> dict[tuple[str, str], str]:
        cached: dict[tuple[str, str], str] | None = getattr(self, "_grant_cache", None)
        if cached is None:
            cached = {}
            if self.role_id is not None:
                for module, action, level in Grant.objects.filter(role_id=self.role_id).values_list(
                    "module", "action", "scope"
                ):
                    cached[(module, action)] = widest(cached.get((module, action)), level) or level
            self._grant_cache = cached
        return cached

    def access_scope(self, module: str, action: str) -> str | None:
        return self._grant_map().get((module, action))

    def team_ids(self) -> frozenset[int]:
        cached: frozenset[int] | None = getattr(self, "_team_ids_cache", None)
        if cached is None:
            cached = frozenset(self.teams.values_list("pk", flat=True)) if self.pk else frozenset()
            self._team_ids_cache = cached
        return cached

    def teammate_ids(self) -> frozenset[int]:
        cached: frozenset[int] | None = getattr(self, "_teammate_ids_cache", None)
        if cached is None:
            ids = self.team_ids()
            cached = (
                frozenset(
                    User.teams.through.objects.filter(team_id__in=ids).values_list("user_id", flat=True)
                )
                if ids
                else frozenset()
            )
            self._teammate_ids_cache = cached
        return cached

    def forget_access_cache(self) -> None:
        for attr in ("_grant_cache", "_team_ids_cache", "_teammate_ids_cache"):
            self.__dict__.pop(attr, None)

    @property
    def display_name(self) -> str:
        return str(self)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "username": self.username, "full_name": self.full_name}


class ApiToken(models.Model):
    """A personal API token ("Authorization: Bearer …"): stored as a hash, shown once, revocable."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("starts with"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
