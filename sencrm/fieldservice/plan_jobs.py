"""The daily jobs of after-sales (run by tasks.py each morning; each is safe to run twice):

- `plans_due`: plans whose contract ended (terminated, expired or past its end date) end with it;
  each running plan gets its visits `lead_days` ahead; a visit whose planned date is within its plan's
  `lead_days` becomes a maintenance work order (services.work_order_from_visit), event `maintenance.due`;
  the customer is emailed `remind_days` before the planned date, once per visit (`reminded_at`,
  event `maintenance.reminded`), when the contact has an email and has not withdrawn care emails.
- `warranty_notices`: `asset.warranty_expiring` once per asset, FIELDSERVICE_WARRANTY_NOTICE_DAYS days
  before its warranty ends (`warranty_reminded_at`).
- `warranty_care_sources`: what the care call rule "before the warranty ends" fires on (registered into
  sencrm/support/carecall_rules.py by tasks.py).

A visit more than CATCH_UP_DAYS overdue is not ordered by itself (a plan entered with a start in the
past does not flood the board with old visits): it stays planned on the plan's page.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sencrm.commerce.models import ContractStatus
from sencrm.core.background import db_task
from sencrm.documents.selectors import company_profile
from sencrm.events.services import event_emit
from sencrm.fieldservice.models import (
    Asset,
    AssetStatus,
    MaintenancePlan,
    MaintenanceVisit,
    VisitStatus,
    WarrantyRule,
)
from sencrm.fieldservice.plans import plan_end_by_system, visits_generate
from sencrm.support.carecall_rules import Source
from sencrm.support.models import CareCallRule
from sencrm.support.reviews import care_email_withdrawn

log = logging.getLogger(__name__)

CATCH_UP_DAYS = 7
SYSTEM = "system:scheduler"


# --- plans ---------------------------------------------------------------------------------------------


def plans_end_with_contracts(today: dt.date) -> int:
    """End the running plans whose contract was terminated or expired, or whose own end date is past."""
    ended = 0
    over = MaintenancePlan.objects.filter(active=True).filter(
        Q(contract__status__in=(ContractStatus.TERMINATED, ContractStatus.EXPIRED))
        | Q(contract__end_date__lt=today)
        | Q(end_date__lt=today)
    )
    with translation.override(settings.LANGUAGE_CODE):
        for plan in over.select_related("contract").order_by("pk"):
            contract = plan.contract
            if contract is not None and (
                contract.status in (ContractStatus.TERMINATED, ContractStatus.EXPIRED)
                or (contract.end_date is not None and contract.end_date < today)
            ):
                reason = _("Contract %(number)s ended.") % {"number": contract.number}
                on = min(today, contract.end_date) if contract.end_date else today
                if contract.status == ContractStatus.TERMINATED:
                    on = today
            else:
                reason, on = _("The plan's period is over."), today
            plan_end_by_system(plan, reason=reason, on=max(on, plan.start_date))
            ended += 1
    return ended


def _order(visit_id: int) -> bool:
    """Turn one planned visit into a work order (once: the visit is locked and re-read)."""
    # The work-order services sit beside this module and import the plans' code: read them when needed.
    services = importlib.import_module("sencrm.fieldservice.services")

    with transaction.atomic():
        visit = MaintenanceVisit.objects.select_for_update().select_related("plan").get(pk=visit_id)
        if visit.status != VisitStatus.PLANNED or visit.work_order_id is not None:
            return False
        work_order = services.work_order_from_visit(visit, actor=None)
        visit.refresh_from_db(fields=["status", "work_order"])
        if visit.work_order_id is None or visit.status != VisitStatus.ORDERED:
            visit.work_order, visit.status = work_order, VisitStatus.ORDERED
            visit.save(update_fields=["work_order", "status"])
        event_emit(
            type="maintenance.due",
            subject=visit.plan,
            actor_label=SYSTEM,
            data={
                "visit": visit.pk,
                "sequence": visit.sequence,
                "due_date": visit.due_date.isoformat(),
                "planned_date": visit.planned_date.isoformat(),
                "work_order": work_order.pk,
                "number": work_order.number,
            },
        )
    return True


def _by_days(field: str, today: dt.date, status: tuple[str, ...]) -> Iterator[MaintenanceVisit]:
    """The visits of running plans whose planned date is within their plan's `field` days
    (lead_days or remind_days; one query per distinct value, so the dates compare in the database)."""
    plans = MaintenancePlan.objects.filter(active=True)
    for days in sorted(set(plans.values_list(field, flat=True))):
        yield from (
            MaintenanceVisit.objects.filter(
                status__in=status,
                plan__active=True,
                plan__deleted_at__isnull=True,
                **{f"plan__{field}": days},
                planned_date__gte=today - dt.timedelta(days=CATCH_UP_DAYS),
                planned_date__lte=today + dt.timedelta(days=days),
            )
            .select_related("plan", "plan__contact", "plan__account")
            .order_by("planned_date", "pk")
            .iterator(chunk_size=500)
        )


def plans_due(today: dt.date | None = None) -> int:
    """The daily pass over maintenance plans; the number of work orders created."""
    today = today or timezone.localdate()
    plans_end_with_contracts(today)
    for plan in MaintenancePlan.objects.filter(active=True).order_by("pk").iterator(chunk_size=500):
        visits_generate(plan, until=today + dt.timedelta(days=plan.lead_days))
    created = 0
    for visit in list(_by_days("lead_days", today, (VisitStatus.PLANNED,))):
        try:
            created += _order(visit.pk)
        except Exception:  # one broken visit does not stop the others; the next run retries it
            log.exception("maintenance visit %s: no work order", visit.pk)
    reminders_send(today)
    return created


# --- reminders -------------------------------------------------------------------------------------------


def reminder_address(plan: MaintenancePlan) -> str:
    """Where a plan's reminders go: the contact's email unless care emails were withdrawn ("" = none)."""
    contact = plan.contact
    if contact is None or care_email_withdrawn(contact):
        return ""
    return str(contact.primary_email or "")


def reminders_send(today: dt.date) -> int:
    """Mark each visit due for a reminder and email it after commit; the number of reminders."""
    sent = 0
    for visit in list(_by_days("remind_days", today, (VisitStatus.PLANNED, VisitStatus.ORDERED))):
        if visit.reminded_at is not None or visit.planned_date < today:
            continue
        address = reminder_address(visit.plan)
        if not address:
            continue
        with transaction.atomic():
            claimed = MaintenanceVisit.objects.filter(pk=visit.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            event_emit(
                type="maintenance.reminded",
                subject=visit.plan,
                actor_label=SYSTEM,
                data={"visit": visit.pk, "planned_date": visit.planned_date.isoformat(), "channel": "email"},
            )
            # Bound now: in a surrounding transaction the callbacks run after the loop.
            transaction.on_commit(functools.partial(deliver_reminder, visit.pk, address))
        sent += 1
    return sent


def reminder_message(visit: MaintenanceVisit, to: str) -> EmailMultiAlternatives:
    """The reminder email, in the company's language."""
    plan = visit.plan
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "visit": visit,
            "plan": plan,
            "customer": str(plan.contact or plan.account or ""),
            "company": str(company_profile().name or ""),
            "work_order": visit.work_order,
        }
        subject = _("Maintenance visit on %(date)s") % {"date": f"{visit.planned_date:%d/%m/%Y}"}
        text = render_to_string("fieldservice/plan_reminder_email.txt", context)
        html = render_to_string("fieldservice/plan_reminder_email.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


@db_task(retries=3, retry_delay=60)
def deliver_reminder(visit_id: int, to: str) -> bool:
    """Email one maintenance reminder (claimed by `reminders_send` before: sent once)."""
    visit = (
        MaintenanceVisit.objects.select_related("plan", "plan__contact", "plan__account", "work_order")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None or care_email_withdrawn(visit.plan.contact):
        return False
    reminder_message(visit, to).send()
    return True


# --- warranties ------------------------------------------------------------------------------------------


def _warranty_ending(low: dt.date, high: dt.date) -> Any:
    """Live assets in service whose warranty (not voided before its end) ends between low and high."""
    return (
        Asset.objects.filter(
            status__in=(AssetStatus.INSTALLED, AssetStatus.UNDER_REPAIR),
            warranty_until__range=(low, high),
        )
        .exclude(warranty_rule=WarrantyRule.NONE)
        .filter(Q(warranty_void_on__isnull=True) | Q(warranty_void_on__gt=F("warranty_until")))
    )


def warranty_notices(today: dt.date | None = None) -> int:
    """Emit `asset.warranty_expiring` once per asset whose warranty ends within the notice days."""
    today = today or timezone.localdate()
    days = int(settings.FIELDSERVICE_WARRANTY_NOTICE_DAYS)
    emitted = 0
    assets = (
        _warranty_ending(today, today + dt.timedelta(days=days))
        .filter(warranty_reminded_at__isnull=True)
        .select_related("product", "contact", "account")
        .order_by("pk")
    )
    for asset in assets.iterator(chunk_size=500):
        with transaction.atomic():
            if not Asset.objects.filter(pk=asset.pk, warranty_reminded_at__isnull=True).update(
                warranty_reminded_at=timezone.now()
            ):
                continue  # another run took it
            assert asset.warranty_until is not None  # noqa: S101  (filtered above)
            event_emit(
                type="asset.warranty_expiring",
                subject=asset,
                actor_label=SYSTEM,
                data={
                    "warranty_until": asset.warranty_until.isoformat(),
                    "days_left": (asset.warranty_until - today).days,
                    "rule": asset.warranty_rule,
                    "serial_number": asset.serial_number,
                },
            )
        emitted += 1
    return emitted


def warranty_care_sources(rule: CareCallRule, low: dt.date, high: dt.date) -> Iterator[Source]:
    """The care call rule "N days before the warranty ends": one call per asset (source "asset:<id>")
    whose call date (warranty end − N days) falls in [low, high]."""
    days = dt.timedelta(days=rule.days)
    assets = _warranty_ending(low + days, high + days).select_related("product", "contact", "account")
    for asset in assets.order_by("pk").iterator(chunk_size=500):
        assert asset.warranty_until is not None  # noqa: S101  (filtered above)
        yield Source(
            f"asset:{asset.pk}",
            asset.warranty_until - days,
            f"{rule.purpose} ({asset})",
            asset.contact,
            asset.account,
        )
