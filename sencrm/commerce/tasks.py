"""The worker's daily passes over sales documents: expired quotes, contracts ending and ended."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from sencrm.commerce.models import Contract, ContractStatus
from sencrm.commerce.services import document_transition, quotes_expire
from sencrm.events.services import event_emit, notification_create

log = logging.getLogger(__name__)


def renewal_days() -> int:
    return int(getattr(settings, "CONTRACT_RENEWAL_DAYS", 30))


def remind_contract_renewals(today: date | None = None) -> int:
    """Tell each owner once, N days before the end date, that their contract ends (contract.expiring)."""
    today = today or timezone.localdate()
    due = Contract.objects.filter(
        status=ContractStatus.SIGNED,
        end_date__isnull=False,
        end_date__gte=today,
        end_date__lte=today + timedelta(days=renewal_days()),
        renewal_reminded_at__isnull=True,
    )
    sent = 0
    for contract in due.select_related("owner"):
        with transaction.atomic():
            # Claim it first: a second worker running at the same time finds nothing to claim.
            if not Contract.all_objects.filter(pk=contract.pk, renewal_reminded_at__isnull=True).update(
                renewal_reminded_at=timezone.now()
            ):
                continue
            assert contract.end_date is not None  # noqa: S101  (filtered above)
            event = event_emit(
                type="contract.expiring",
                subject=contract,
                actor_label="system:scheduler",
                data={"end_date": contract.end_date.isoformat(), "days": (contract.end_date - today).days},
            )
            notification_create(
                recipient_id=contract.owner_id,
                kind="contract_expiring",
                params={
                    "record": str(contract),
                    "name": contract.name,
                    "end_date": contract.end_date.strftime("%d/%m/%Y"),
                },
                url=contract.get_absolute_url(),
                event=event,
            )
        sent += 1
    return sent


def expire_contracts(today: date | None = None) -> int:
    """Signed contracts past their end date become expired."""
    today = today or timezone.localdate()
    expired = 0
    for contract in Contract.objects.filter(status=ContractStatus.SIGNED, end_date__lt=today):
        with transaction.atomic():
            document_transition(
                contract,
                actor=None,
                changes={"status": ContractStatus.EXPIRED},
                event_type="expired",
                system=True,
            )
        expired += 1
    return expired


@db_periodic_task(crontab(hour="1", minute="5"))  # type: ignore[untyped-decorator]
def commerce_daily() -> None:
    quotes = quotes_expire()
    reminded = remind_contract_renewals()
    contracts = expire_contracts()
    if quotes or reminded or contracts:
        log.info("expired %s quotes, %s contracts; %s renewal reminders", quotes, contracts, reminded)
