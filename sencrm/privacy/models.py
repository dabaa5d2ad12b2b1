"""Data-subject requests (Law 91/2025/QH15, Decree 356/2025, the GDPR): a person asks for a copy of their
data, a correction, the withdrawal of their consent or the deletion of their data.

A request is registered with the day it was received; it must be acknowledged within 2 working days and
completed within 15 days, with one documented extension (sencrm/privacy/deadlines.py counts the days
with Vietnam's public holidays). A completed deletion anonymises the person (sencrm/privacy/anonymise.py):
the request stays as the record that it happened, with no personal data in it.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sencrm.core.models import Record
from sencrm.core.modules import Module


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access / export")
    CORRECTION = "correction", _("Correction")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent")
    DELETION = "deletion", _("Deletion")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EXTENDED = "extended", _("Extended")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.ACKNOWLEDGED, RequestStatus.EXTENDED)


class DataRequest(Record):
    """A data subject's request about the personal data the CRM holds on them."""

    access_module: ClassVar[str] = Module.PRIVACY
    event_prefix: ClassVar[str] = "data_request"

    number = models.CharField(_("number"), max_length=40, unique=True, editable=False)
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    lead = models.ForeignKey(
        "sales.Lead",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    channel = models.CharField(_("received by"), max_length=100, blank=True)
    details = models.TextField(_("details"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"), editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("complete by"), editable=False)
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True, editable=False)
    extension_reason = models.TextField(_("reason for the extension"), blank=True, editable=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    outcome = models.TextField(_("outcome"), blank=True)
    # The administrator was told that the request is overdue (once).
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    audit_exclude = Record.audit_exclude | {"overdue_notified_at"}

    class Meta:
        verbose_name = _("personal-data request")
        verbose_name_plural = _("personal-data requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contact__isnull=False) | models.Q(lead__isnull=False),
                name="privacy_datarequest_has_person",
            )
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="privacy_request_due_idx")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("privacy:request_detail", args=[self.pk])

    def event_customer(self) -> models.Model | None:
        return self.contact or self.lead

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.is_open and self.due_at < moment  # type: ignore[operator]  # a datetime from the caller
