"""`manage.py attribution_rebuild`: rewrite every attribution fact from the receipts and customers (after
rows were loaded outside the services, e.g. straight into the database)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sencrm.marketing.facts import rebuild


class Command(BaseCommand):
    help = "Rewrite the attribution facts (one row per receipt) from the receipts and their customers."

    def handle(self, *args: Any, **options: Any) -> None:
        written = rebuild()
        self.stdout.write(f"{written} receipts")
