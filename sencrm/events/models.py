"""The event log (an outbox written in the same transaction as every change) and its readers' state."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """Something that happened to a record: who, what, when, to which customer, and what changed.

    The log is append-only and names its rows loosely: subject and customer ids are plain numbers, and
    the actor and content types are foreign keys without a database constraint (Django still applies
    `on_delete`; users are deactivated, content types are Django's). Their checks at commit were a quarter
    of the foreign-key work of an imported record (docs/decisions.md, "Event log references").

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
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor label"), max_length=80, blank=True)
    # Not indexed on their own: the indexes below start with them.
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    subject_id = models.PositiveBigIntegerField()
    subject_repr = models.CharField(_("record"), max_length=200, blank=True)
    customer_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
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
            # Reports read one kind of record's events in a period (the funnel: contacts reaching a stage).
            models.Index(fields=["subject_type", "occurred_at"], name="events_event_type_time_idx"),
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


class WebhookSubscription(models.Model):
    """An administrator's subscription: POST these event types to this URL, signed with `secret`.

    The secret is generated by the server and shown once (at creation and on rotation); it is kept in
    clear because the sender needs it to compute the HMAC, and it appears in no page, API answer,
    event or log after that.
    """

    url = models.CharField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # ["*"] for every event, "contact.*" for every contact event, or exact types ("opportunity.won").
    event_types = models.JSONField(_("event types"), default=list)
    secret = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-id"]

    def __str__(self) -> str:
        # Only the origin: the rest of a URL may hold the receiver's token (this names the event log's rows).
        parts = urlsplit(self.url)
        return self.description or f"{parts.scheme}://{parts.netloc}/…"

    def matches(self, event_type: str) -> bool:
        prefix = event_type.partition(".")[0]
        return any(t in ("*", event_type, f"{prefix}.*") for t in self.event_types)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event to one subscription: written by the webhooks consumer before anything is sent.

    `uuid` is the delivery id the receiver sees (X-Sen-Delivery, and "id" in the body); it stays the
    same across retries and replays, so a receiver drops repeats by it. A sender claims the row with a
    lease (`locked_until`); a worker that dies mid-send leaves the lease to expire and the row pending,
    and the sweep sends it again.
    """

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook")
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+", verbose_name=_("event"))
    event_type = models.CharField(_("event type"), max_length=64)
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Attempts since the delivery was last queued (a replay starts a new series of retries).
    tries = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_token = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="events_webhookdelivery_unique_subscription_event"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="events_whdelivery_due_idx"),
            models.Index(fields=["subscription", "id"], name="events_whdelivery_sub_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} {self.event_type}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: written when the try starts, completed when it ends."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("time"), default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
