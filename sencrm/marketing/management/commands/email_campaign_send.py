"""Send an email campaign now, in this process (what the worker does): `manage.py email_campaign_send 12`.
Without an id: every due or stalled campaign, one after the other. Safe beside a running worker: senders
share the work row by row (sencrm/marketing/email_sender.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sencrm.marketing import email_sender
from sencrm.marketing.models import EmailCampaign, EmailCampaignStatus


class Command(BaseCommand):
    help = "Send email campaigns now (the ids given, else every scheduled one that is due)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        ids = options["ids"] or list(
            EmailCampaign.objects.filter(
                status__in=[EmailCampaignStatus.SCHEDULED, EmailCampaignStatus.SENDING]
            ).values_list("pk", flat=True)
        )
        for pk in ids:
            sent = email_sender.send(pk)
            self.stdout.write(f"{pk}: {sent}")
