from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from sencrm.demo.billing import write_statement


class Command(BaseCommand):
    help = (
        "Write a sample bank statement (Vietcombank-like CSV) of this month that reconciles with a few "
        "open invoices of the demo data; upload it under Bank reconciliation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", type=Path, default=None, help="Where to write it (default: DATA_DIR/demo/)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = write_statement(timezone.localdate(), options["out"])
        self.stdout.write(self.style.SUCCESS(f"Bank statement written: {path}"))
