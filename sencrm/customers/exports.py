"""Contacts and accounts as rows; the column names are the ones the importer recognises."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from sencrm.core import access
from sencrm.core.record_views import phone_email_cells
from sencrm.customfields import custom_fields
from sencrm.customfields.models import CustomField


def _custom(extra: list[CustomField], obj: Any) -> list[Any]:
    return [custom_fields.display(f, obj.custom_field_data.get(f.key)) for f in extra]


def contact_header(extra: list[CustomField]) -> list[str]:
    return [
        _("Full name"),
        _("Phone"),
        _("Email"),
        _("Street address"),
        _("Ward"),
        _("Province"),
        _("Date of birth"),
        _("Gender"),
        _("Job title"),
        _("Account"),
        _("Customer group"),
        _("Source"),
        _("Lifecycle stage"),
        _("Tags"),
        _("Owner"),
        pgettext("date", "Created"),
        "ID",
        *[f.label for f in extra],
    ]


def contact_rows(qs: models.QuerySet[Any], extra: list[CustomField], *, user: Any) -> Iterator[list[Any]]:
    qs = qs.select_related("province", "account", "customer_group", "source", "owner").prefetch_related(
        "phones", "emails", "tags"
    )
    contacts = qs.order_by("sort_key", "id").iterator(chunk_size=1000)
    while chunk := list(islice(contacts, 1000)):
        # An account's name only for readers who may open it (one query per chunk).
        access.label_related(user, chunk, "account")
        yield from (_contact_row(c, extra) for c in chunk)


def _contact_row(c: Any, extra: list[CustomField]) -> list[Any]:
    return [
        c.full_name,
        *phone_email_cells(c),
        c.street,
        c.ward,
        str(c.province or ""),
        c.date_of_birth.strftime("%d/%m/%Y") if c.date_of_birth else "",
        c.get_gender_display(),
        c.title,
        c.account_label,
        str(c.customer_group or ""),
        c.source.code if c.source else "",
        c.get_lifecycle_stage_display(),
        "; ".join(t.name for t in c.tags.all()),
        c.owner.username,
        timezone.localtime(c.created_at).strftime("%d/%m/%Y %H:%M"),
        c.pk,
        *_custom(extra, c),
    ]


def account_header(extra: list[CustomField]) -> list[str]:
    return [
        _("Name"),
        _("Tax code"),
        _("Industry"),
        _("Phone"),
        _("Email"),
        _("Website"),
        _("Street address"),
        _("Ward"),
        _("Province"),
        _("Customer group"),
        _("Source"),
        _("Lifecycle stage"),
        _("Owner"),
        pgettext("date", "Created"),
        "ID",
        *[f.label for f in extra],
    ]


def account_rows(qs: models.QuerySet[Any], extra: list[CustomField]) -> Iterator[list[Any]]:
    qs = qs.select_related("province", "customer_group", "source", "owner").prefetch_related(
        "phones", "emails"
    )
    for a in qs.order_by("sort_key", "id").iterator(chunk_size=1000):
        yield [
            a.name,
            a.tax_code,
            a.industry,
            *phone_email_cells(a),
            a.website,
            a.street,
            a.ward,
            str(a.province or ""),
            str(a.customer_group or ""),
            a.source.code if a.source else "",
            a.get_lifecycle_stage_display(),
            a.owner.username,
            timezone.localtime(a.created_at).strftime("%d/%m/%Y %H:%M"),
            a.pk,
            *_custom(extra, a),
        ]
