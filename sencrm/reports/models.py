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
