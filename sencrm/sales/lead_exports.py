"""Leads as rows for CSV/XLSX (cells made formula-safe by sencrm.core.export)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sencrm.core.record_views import phone_email_cells
from sencrm.customfields import custom_fields
from sencrm.customfields.models import CustomField


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def lead_header(extra: list[CustomField]) -> list[str]:
    return [
        _("Full name"),
        _("Phone"),
        _("Email"),
        _("Company"),
        _("Job title"),
        _("Province"),
        _("Source"),
        _("Campaign"),
        _("First touch"),
        _("Interest"),
        _("Status"),
        _("Score"),
        _("Next action"),
        _("Next action at"),
        _("Owner"),
        _("Team"),
        pgettext("date", "Created"),
        "ID",
        *[f.label for f in extra],
    ]


def lead_rows(qs: models.QuerySet[Any], extra: list[CustomField]) -> Iterator[list[Any]]:
    qs = qs.select_related("province", "source", "owner", "team").prefetch_related("phones", "emails")
    for lead in qs.order_by("-created_at", "-id").iterator(chunk_size=1000):
        yield [
            lead.full_name,
            *phone_email_cells(lead),
            lead.company,
            lead.title,
            str(lead.province or ""),
            lead.source.code if lead.source else "",
            lead.campaign,
            _when(lead.first_touch_at),
            lead.interest,
            lead.get_status_display(),
            lead.score,
            lead.next_action,
            _when(lead.next_action_at),
            lead.owner.username,
            str(lead.team or ""),
            _when(lead.created_at),
            lead.pk,
            *[custom_fields.display(f, lead.custom_field_data.get(f.key)) for f in extra],
        ]
