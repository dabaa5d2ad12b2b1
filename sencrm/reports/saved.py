"""Saved reports: who sees them, the one write path (create, update, delete, each with its event), and
running one as a reader.

A saved report is visible to its owner, to the members of the team and the holders of the role it is
shared with, and to administrators; only its owner (or an administrator) changes it. Running it always
computes as the reader: a manager reading a report the board shared sees their own teams' figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.events.services import event_emit
from sencrm.reports import base, builder
from sencrm.reports.models import SavedReport, Schedule, ScheduleFormat

CUSTOM = "custom"
PERIODS = ("month", "quarter", "year")
FIELDS = (
    "name",
    "report",
    "query",
    "definition",
    "period",
    "shared_team",
    "shared_role",
    "on_dashboard",
    "schedule",
    "schedule_format",
    "send_to_shared",
)


def _is_admin(user: Any) -> bool:
    return access.can(user, Module.ADMIN, Action.EDIT)


def visible(user: Any) -> models.QuerySet[SavedReport]:
    """The saved reports `user` may read (none without the right to view reports)."""
    if not access.can(user, Module.REPORTS, Action.VIEW):
        return SavedReport.objects.none()
    qs = SavedReport.objects.select_related("owner", "shared_team", "shared_role")
    if _is_admin(user):
        return qs
    mine = models.Q(owner_id=user.pk) | models.Q(shared_team_id__in=user.team_ids())
    role_id = getattr(user, "role_id", None)
    if role_id is not None:
        mine |= models.Q(shared_role_id=role_id)
    return qs.filter(mine)


def get_visible(user: Any, pk: Any) -> SavedReport:
    try:
        return visible(user).get(pk=int(pk))
    except (SavedReport.DoesNotExist, TypeError, ValueError):
        raise Http404(str(access.NOT_FOUND)) from None


def can_change(user: Any, saved: SavedReport) -> bool:
    return saved.owner_id == user.pk or _is_admin(user)


def report_of(saved: SavedReport) -> base.Report:
    """The report a saved one runs: the canned report, or the builder's from the definition."""
    if saved.report == CUSTOM:
        return builder.BuiltReport(builder.validate(saved.definition), title=saved.name)
    return base.get_report(saved.report)


def params_of(saved: SavedReport, data: Mapping[str, Any] | None = None) -> base.Params:
    """The saved grouping and options, over the period the query string asks for (else the saved
    period's current month, quarter or year)."""
    report = report_of(saved)
    query: dict[str, Any] = {"period": saved.period, **(saved.query or {})}
    for name in ("period", "date", "date_from", "date_to"):
        if data and data.get(name):
            query[name] = data[name]
    if saved.report == CUSTOM:
        query["group_by"] = report.default_group_by
    return base.parse_params(report, query)


def run(user: Any, saved: SavedReport, data: Mapping[str, Any] | None = None) -> base.Result:
    """The saved report as `user` reads it (their scope)."""
    report = report_of(saved)
    return base.run_report(user, report, params_of(saved, data))


def _clean(actor: Any, data: Mapping[str, Any], current: SavedReport | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {k: data[k] for k in FIELDS if k in data}
    name = str(values.get("name", current.name if current else "") or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > 200:
        errors["name"] = [_("At most 200 characters.")]
    values["name"] = name
    report = str(values.get("report", current.report if current else "") or "")
    if report != CUSTOM and report not in base.REGISTRY:
        errors["report"] = [_("Choose one of: %(values)s.") % {"values": ", ".join([*base.REGISTRY, CUSTOM])}]
    values["report"] = report
    period = str(values.get("period", current.period if current else "month") or "month")
    if period not in PERIODS:
        errors["period"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(PERIODS)}]
    if report == CUSTOM:
        try:
            values["definition"] = builder.validate(
                values.get("definition", current.definition if current else None)
            ).as_json()
        except ValidationError as exc:
            errors["definition"] = [m for ms in exc.message_dict.values() for m in ms]
        values["query"] = {}
    elif report in base.REGISTRY:
        query = values.get("query", current.query if current else {}) or {}
        if not isinstance(query, Mapping):
            errors["query"] = [_("Parameters must be an object.")]
        else:
            allowed = {"group_by", *base.REGISTRY[report].options}
            unknown = sorted(set(query) - allowed)
            if unknown:
                errors["query"] = [
                    _("Unknown parameters: %(names)s.") % {"names": ", ".join(str(u)[:30] for u in unknown)}
                ]
            else:
                try:
                    base.parse_params(base.REGISTRY[report], {**query, "period": period})
                except ValidationError as exc:
                    errors["query"] = [m for ms in exc.message_dict.values() for m in ms]
                values["query"] = {k: str(v) for k, v in query.items()}
        values["definition"] = {}
    if str(values.get("schedule", "") or "") not in Schedule.values:
        errors["schedule"] = [_("Choose one of: %(values)s.") % {"values": "daily, weekly, monthly"}]
    if "schedule_format" in values and values["schedule_format"] not in ScheduleFormat.values:
        errors["schedule_format"] = [_("Choose one of: %(values)s.") % {"values": "pdf, xlsx"}]
    team = values.get("shared_team")
    if team is not None and not _is_admin(actor) and getattr(team, "pk", team) not in actor.team_ids():
        errors["shared_team"] = [_("You may share only with a team you belong to.")]
    if errors:
        raise ValidationError(errors)
    return values


def saved_create(*, actor: Any, data: Mapping[str, Any]) -> SavedReport:
    access.check_module(actor, Module.REPORTS, Action.VIEW)
    values = _clean(actor, data, None)
    with transaction.atomic():
        saved = SavedReport.objects.create(owner=actor, **values)
        event_emit(type="saved_report.created", subject=saved, actor=actor, data={"report": saved.report})
    return saved


def saved_update(
    saved: SavedReport, *, actor: Any, data: Mapping[str, Any], version: int | None = None
) -> SavedReport:
    if not can_change(actor, saved):
        raise PermissionDenied(_("Only the report's owner may change it."))
    values = _clean(actor, data, saved)
    with transaction.atomic():
        current = SavedReport.objects.select_for_update().get(pk=saved.pk)
        if version is not None and version != current.version:
            from sencrm.core.exceptions import StaleRecord

            raise StaleRecord(current.version)
        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        for key, value in values.items():
            setattr(current, key, value)
        if changed.keys() & {"schedule", "report", "query", "definition", "period"}:
            current.last_sent_key = ""  # a new schedule starts with the next period
        current.version += 1
        current.save()
        event_emit(
            type="saved_report.updated",
            subject=current,
            actor=actor,
            data={"changes": sorted(changed)},
        )
    return current


def saved_delete(saved: SavedReport, *, actor: Any) -> None:
    if not can_change(actor, saved):
        raise PermissionDenied(_("Only the report's owner may change it."))
    with transaction.atomic():
        event_emit(type="saved_report.deleted", subject=saved, actor=actor, data={"name": saved.name})
        saved.delete()
