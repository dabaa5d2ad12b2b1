"""What the reports keep: revenue targets per month, each user's dashboard arrangement, and (the report
builder) saved report definitions with their sharing and email schedule."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RevenueTarget(models.Model):
    """The company's invoiced-revenue target for a month (before VAT), set by an administrator."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    amount = models.DecimalField(_("target"), max_digits=18, decimal_places=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("revenue target")
        verbose_name_plural = _("revenue targets")
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}: {self.amount}"


class Dashboard(models.Model):
    """A user's own arrangement of the dashboard: the widgets' keys in order (none: the role's default)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard")
    widgets = models.JSONField(_("widgets"), default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")

    def __str__(self) -> str:
        return str(self.user)


class Schedule(models.TextChoices):
    NONE = "", _("Not sent")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ScheduleFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"


class SavedReport(models.Model):
    """A report kept under a name: a canned report with its grouping and options, or a builder
    definition; shared with a team or a role, put on its owner's dashboard, and emailed on a schedule.
    Whoever reads it reads it in their own scope (a scheduled email is computed as its recipient)."""

    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_reports",
        verbose_name=_("owner"),
    )
    report = models.CharField(_("report"), max_length=40, help_text=_("A canned report's name, or custom."))
    query = models.JSONField(_("parameters"), default=dict, blank=True)
    definition = models.JSONField(_("definition"), default=dict, blank=True)
    period = models.CharField(_("period"), max_length=8, default="month")
    shared_team = models.ForeignKey(
        "users.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared with team"),
    )
    shared_role = models.ForeignKey(
        "users.Role",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared with role"),
    )
    on_dashboard = models.BooleanField(_("on my dashboard"), default=False)
    schedule = models.CharField(
        _("email schedule"), max_length=8, choices=Schedule.choices, default="", blank=True
    )
    schedule_format = models.CharField(
        _("attachment"), max_length=4, choices=ScheduleFormat.choices, default=ScheduleFormat.PDF
    )
    send_to_shared = models.BooleanField(_("send to everyone it is shared with"), default=False)
    last_sent_key = models.CharField(max_length=20, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        indexes = [models.Index(fields=["schedule", "last_sent_key"], name="reports_saved_schedule_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reports:saved", args=[self.pk])


class Delivery(models.Model):
    """One scheduled email of a saved report to one recipient for one period: the unique key is what makes
    it go out once per period, however many workers run and however often they look."""

    saved_report = models.ForeignKey(SavedReport, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period_key = models.CharField(max_length=20)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["saved_report", "recipient", "period_key"], name="reports_delivery_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.saved_report_id} → {self.recipient_id} ({self.period_key})"
