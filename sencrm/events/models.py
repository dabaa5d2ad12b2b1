"""The event log (an outbox written in the same transaction as every change) and its readers' state."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """Something that happened to a record: who, what, when, to which customer, and what changed.

    `data` holds, for an update, the changed fields as {field: [old, new]} under "changes" (labels of
    related records under "labels"); for a create or delete, the whole record under "record".
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    type = models.CharField(_("type"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor label"), max_length=80, blank=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject_repr = models.CharField(_("record"), max_length=200, blank=True)
    customer_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    customer_id = models.PositiveBigIntegerField(null=True, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(
                fields=["customer_type", "customer_id", "occurred_at"], name="events_event_customer_idx"
            ),
            models.Index(
                fields=["subject_type", "subject_id", "occurred_at"], name="events_event_subject_idx"
            ),
            # The audit trail pages a record's events by id.
            models.Index(fields=["subject_type", "subject_id", "id"], name="events_event_subject_id_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type} {self.subject_repr}"

    @property
    def actor_display(self) -> str:
        if self.actor_id:
            return str(self.actor)
        return self.actor_label or "system"


class ConsumerCursor(models.Model):
    """How far a consumer (notifications, webhooks, workflow rules…) has read the event log."""

    name = models.CharField(max_length=64, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consumer cursor")
        verbose_name_plural = _("consumer cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"


class ConsumerReceipt(models.Model):
    """Proof that a consumer handled an event, written in the same transaction as what it did."""

    consumer = models.CharField(max_length=64)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="receipts")
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consumer receipt")
        verbose_name_plural = _("consumer receipts")
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "event"], name="events_consumerreceipt_unique_consumer_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consumer}: {self.event_id}"


class Notification(models.Model):
    """An in-app message to one user (rendered in their language from `kind` and `params`)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    event = models.ForeignKey(Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="events_notif_recipient_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
