"""Scheduled reports by email: each saved report with a schedule goes, once per period, to its owner (and,
when asked, to everyone it is shared with), computed as each recipient reads it, as a PDF or XLSX.

The period sent is the one that just ended, in Asia/Ho_Chi_Minh: daily → yesterday, weekly → last week
(Monday to Sunday), monthly → last month. "Once" is a unique row per (report, recipient, period) written
before the message goes: a second worker, or the same one an hour later, finds the row and sends nothing.
If sending fails the row is removed in the same step, so the next run tries again.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.reports import base, present, saved
from sencrm.reports.models import Delivery, SavedReport, Schedule

log = logging.getLogger(__name__)


def period_due(schedule: str, today: dt.date) -> tuple[str, base.Period]:
    """The key and the dates of the period a schedule sends on `today`."""
    if schedule == Schedule.DAILY:
        day = today - dt.timedelta(days=1)
        return f"D{day.isoformat()}", base.Period("custom", day, day)
    if schedule == Schedule.WEEKLY:
        monday = today - dt.timedelta(days=today.weekday() + 7)
        year, week, _weekday = monday.isocalendar()
        return f"W{year}-{week:02d}", base.Period("custom", monday, monday + dt.timedelta(days=6))
    first = base.add_months(today.replace(day=1), -1)
    return f"M{first:%Y-%m}", base.Period("month", first, base.month_end(first))


def recipients(report: SavedReport) -> list[Any]:
    """The owner, and with `send_to_shared` the team's members and the role's holders; only active users
    with an email address who may read reports."""
    from sencrm.users.models import User

    people = {report.owner_id: report.owner}
    if report.send_to_shared:
        shared = User.objects.none()
        if report.shared_team_id:
            shared = shared | User.objects.filter(teams=report.shared_team_id)
        if report.shared_role_id:
            shared = shared | User.objects.filter(role_id=report.shared_role_id)
        for user in shared.distinct():
            people.setdefault(user.pk, user)
    return [
        u for u in people.values() if u.is_active and u.email and access.can(u, Module.REPORTS, Action.VIEW)
    ]


def attachment(result: base.Result, name: str, fmt: str) -> tuple[str, bytes, str]:
    filename = f"{name}-{result.params.period.date_from:%Y%m%d}-{result.params.period.date_to:%Y%m%d}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        from sencrm.core.export import safe_cell

        header, rows = present.export_rows(result)
        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return (
            f"{filename}.xlsx",
            buffer.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    from sencrm.reports.views import report_pdf

    return f"{filename}.pdf", report_pdf(result, name), "application/pdf"


def _send(report: SavedReport, user: Any, period: base.Period) -> None:
    with translation.override(getattr(user, "language", "") or "vi"):
        params = saved.params_of(
            report, {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat()}
        )
        result = base.run_report(user, saved.report_of(report), params)
        filename, content, mimetype = attachment(result, report.report, report.schedule_format)
        subject = _("Report “%(name)s” — %(period)s") % {"name": report.name, "period": period.label()}
        body = _(
            "Hello %(user)s,\n\nAttached is the report “%(name)s” for %(period)s, computed with what you may "
            "see in Sen CRM.\n\nTo stop these emails, change the report's schedule in Sen CRM."
        ) % {"user": user.full_name or user.username, "name": report.name, "period": period.label()}
        message = EmailMessage(subject, body, to=[user.email])
        message.attach(filename, content, mimetype)
        message.send()


def send_due(now: dt.datetime | None = None) -> int:
    """Send every scheduled report not yet sent for its period; the number of emails sent."""
    today = timezone.localdate(now)
    sent = 0
    for report in SavedReport.objects.exclude(schedule="").select_related(
        "owner", "shared_team", "shared_role"
    ):
        key, period = period_due(report.schedule, today)
        if report.last_sent_key == key:
            continue
        for user in recipients(report):
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(saved_report=report, recipient=user, period_key=key)
            except IntegrityError:
                continue  # already sent for this period (by this worker earlier, or another one)
            try:
                _send(report, user, period)
            except Exception:  # noqa: BLE001 - one report's failure must not stop the others
                log.exception("scheduled report %s to user %s failed", report.pk, user.pk)
                Delivery.objects.filter(pk=delivery.pk).delete()  # try again at the next run
                continue
            sent += 1
        SavedReport.objects.filter(pk=report.pk).update(last_sent_key=key, last_sent_at=timezone.now())
    return sent
