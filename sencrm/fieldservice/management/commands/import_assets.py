"""`manage.py import_assets FILE --user USERNAME [--sheet NAME]`: installed products from a CSV or XLSX
file (sencrm/fieldservice/asset_import.py). Every rejected row is listed with its line and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sencrm.fieldservice.asset_import import import_assets
from sencrm.imports.files import UploadRefused


class Command(BaseCommand):
    help = "Import installed products (assets) from a CSV or XLSX file, as a user (through the access gate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="The username the import acts as.")
        parser.add_argument("--sheet", default="", help="The XLSX sheet (default: the first).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']!r}.")
        try:
            report = import_assets(path, actor=user, sheet=options["sheet"])
        except (UploadRefused, PermissionDenied, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for line, reason in report.rejected:
            self.stdout.write(f"line {line}: rejected: {reason}")
        if report.ignored_columns:
            self.stdout.write(f"ignored columns: {', '.join(report.ignored_columns)}")
        self.stdout.write(f"{len(report.created)} created, {len(report.rejected)} rejected")
