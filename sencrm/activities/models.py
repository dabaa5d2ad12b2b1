"""Activities: tasks, calls, meetings and notes, each on a contact and/or an account."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sencrm.activities.choices import CallOutcome, Direction, Kind, Status
from sencrm.core.models import Record
from sencrm.core.modules import Module


class Activity(Record):
    """Something done (or to do) with a customer. The owner is the person responsible (assignee)."""

    access_module: ClassVar[str] = Module.ACTIVITIES

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("contact"),
    )
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("account"),
    )
    lead = models.ForeignKey(
        "sales.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("lead"),
    )
    # Tasks and planned calls: when it is due; calls, meetings and notes: when it happened or starts.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    reminder_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Calls
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=CallOutcome.choices, blank=True)
    recording_url = models.URLField(_("recording link"), blank=True)
    # Meetings
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="meetings", verbose_name=_("attendees")
    )

    audit_exclude = Record.audit_exclude | {"reminded_at"}

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="activities_owner_due_idx"),
            models.Index(fields=["status", "reminder_at"], name="activities_reminder_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("activities:activity_edit", args=[self.pk])

    def event_customer(self) -> models.Model | None:
        return self.contact or self.account or self.lead

    def clean(self) -> None:
        if self.ends_at and self.due_at and self.ends_at < self.due_at:
            raise ValidationError({"ends_at": _("A meeting cannot end before it starts.")})
        if self.kind == Kind.TASK and self.status == Status.PLANNED and not self.due_at:
            raise ValidationError({"due_at": _("A task needs a due date.")})

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.status == Status.PLANNED and self.due_at is not None and self.due_at < timezone.now()
