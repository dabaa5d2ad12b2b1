"""The technician's changes sent from the phone screen, possibly long after they were made offline.

The browser queues each change with an id of its own (`crypto.randomUUID()`) and sends the queue, in
order, to `POST /field/sync/` when the connection returns. Each change is applied through the services
once: its answer is kept in an `OfflineChange` row under that id, and a change sent again (a lost answer,
a second tab, a retry) gets the stored answer without being applied again — also when two replays race
(the unique id decides). A change the services refuse (a move not allowed, a stale version) is answered
with its message and kept as answered: replaying it does not try again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from sencrm.catalog.models import Product
from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action
from sencrm.fieldservice import services
from sencrm.fieldservice.models import OfflineChange, WorkOrder, WorkStatus

MAX_CHANGES = 200
MAX_ID = 64
ACTIONS = ("status", "check", "note", "part", "sign", "finish")


class BadChange(ValueError):
    """A change that is not one: the whole request is refused (400) before anything is applied."""


def _when(raw: Any) -> dt.datetime | None:
    """When the change was made on the phone (not in the future; at most a week back), else None."""
    if not isinstance(raw, str):
        return None
    when = parse_datetime(raw)
    if when is None:
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    now = timezone.now()
    return when if now - dt.timedelta(days=7) <= when <= now else None


def validate(changes: Any) -> list[dict[str, Any]]:
    """The list of changes, each with an id, a work order id and a known action; BadChange otherwise."""
    if not isinstance(changes, list):
        raise BadChange(_("Send a list of changes."))
    if len(changes) > MAX_CHANGES:
        raise BadChange(_("At most %(n)s changes at once.") % {"n": MAX_CHANGES})
    clean = []
    for change in changes:
        if not isinstance(change, dict):
            raise BadChange(_("Each change is an object."))
        cid, wo, act = change.get("id"), change.get("work_order"), change.get("action")
        if not isinstance(cid, str) or not 8 <= len(cid) <= MAX_ID:
            raise BadChange(_("Each change needs its id (8 to 64 characters)."))
        if not isinstance(wo, int) or isinstance(wo, bool) or wo < 1:
            raise BadChange(_("Each change names its work order by id."))
        if act not in ACTIONS:
            raise BadChange(_("Unknown action: %(action)s.") % {"action": str(act)[:30]})
        data = change.get("data", {})
        if not isinstance(data, dict):
            raise BadChange(_("A change's data is an object."))
        clean.append({"id": cid, "work_order": wo, "action": act, "data": data, "at": change.get("at")})
    return clean


def _apply(user: Any, wo: WorkOrder, action: str, data: dict[str, Any], at: dt.datetime | None) -> None:
    if action == "status":
        status = str(data.get("status", ""))
        if status == WorkStatus.DONE:
            raise ValidationError(_("Finish the work with its result."))
        services.work_order_transition(
            wo, actor=user, status=status, reason=str(data.get("reason", "")), at=at
        )
    elif action == "finish":
        minutes = data.get("minutes_spent")
        if minutes in ("", None):
            minutes = None
        elif not isinstance(minutes, int) or isinstance(minutes, bool):
            raise ValidationError(_("Enter the minutes spent, from 0 to 10,080."))
        services.work_order_finish(
            wo, actor=user, result_notes=str(data.get("result_notes", "")), minutes_spent=minutes, at=at
        )
    elif action == "check":
        check_id = data.get("check")
        if not isinstance(check_id, int) or isinstance(check_id, bool):
            raise ValidationError(_("That checklist step is not on this work order."))
        services.work_order_set_check(
            wo, actor=user, check_id=check_id, done=bool(data.get("done")), note=str(data.get("note", ""))
        )
    elif action == "note":
        services.work_order_note(wo, actor=user, text=str(data.get("text", "")))
    elif action == "part":
        product_id = data.get("product")
        product = Product.objects.filter(pk=product_id).first() if isinstance(product_id, int) else None
        if product is None:
            raise ValidationError(_("Choose a product from the list."))
        try:
            quantity = Decimal(str(data.get("quantity", "1")).replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Enter a quantity, for example 1 or 0.5.")) from None
        services.work_order_add_part(wo, actor=user, product=product, quantity=quantity)
    elif action == "sign":
        services.work_order_sign(
            wo, actor=user, image=str(data.get("image", "")), signed_by=str(data.get("signed_by", "")), at=at
        )


def _answer(change: dict[str, Any], code: int, message: str = "", status: str = "") -> dict[str, Any]:
    return {"id": change["id"], "status_code": code, "message": message, "work_order_status": status}


def apply_one(user: Any, change: dict[str, Any]) -> dict[str, Any]:
    """Apply one change once; the stored answer for a change already seen."""
    seen = OfflineChange.objects.filter(client_id=change["id"]).first()
    if seen is not None:
        if seen.user_id != user.pk:
            return _answer(change, 409, _("This change id was already used."))
        return {**seen.result, "replayed": True}
    wo = access.scope(user, WorkOrder, Action.VIEW).filter(pk=change["work_order"]).first()
    if wo is None:
        # Not stored: nothing happened, and an id of someone else's work order leaves no trace.
        return _answer(change, 404, str(access.NOT_FOUND))
    run: Callable[[], None] = lambda: _apply(user, wo, change["action"], change["data"], _when(change["at"]))  # noqa: E731
    try:
        with transaction.atomic():
            run()
            current = WorkOrder.all_objects.get(pk=wo.pk)
            result = _answer(change, 200, "", current.status)
            OfflineChange.objects.create(
                client_id=change["id"], user=user, work_order=wo, action=change["action"], result=result
            )
    except IntegrityError:
        # Another request stored this id meanwhile (its transaction applied the change): answer as it did.
        stored = OfflineChange.objects.filter(client_id=change["id"]).first()
        return {**stored.result, "replayed": True} if stored else _answer(change, 409, _("Try again."))
    except (ValidationError, StaleRecord, PermissionDenied, Http404) as exc:
        code = 409 if isinstance(exc, StaleRecord) else 403 if isinstance(exc, PermissionDenied) else 400
        if isinstance(exc, Http404):
            code = 404
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc) or _("Refused.")
        result = _answer(change, code, message, WorkOrder.all_objects.get(pk=wo.pk).status)
        try:
            with transaction.atomic():
                OfflineChange.objects.create(
                    client_id=change["id"],
                    user=user,
                    work_order=wo,
                    action=change["action"],
                    status_code=code,
                    result=result,
                )
        except IntegrityError:
            pass
        return result
    return result


def apply_changes(user: Any, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply the validated changes in order, each in its own transaction; one answer per change."""
    return [apply_one(user, change) for change in changes]
