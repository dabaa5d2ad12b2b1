"""Writes for opportunities: create, edit, move between stages (kanban), win, lose, reopen."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.exceptions import StaleRecord
from sencrm.core.modules import Action
from sencrm.core.text import clean_text, fold
from sencrm.customers.choices import LifecycleStage
from sencrm.customers.services import customer_promote
from sencrm.customfields import custom_fields
from sencrm.events.services import event_emit, record_create, record_delete, record_update
from sencrm.sales.choices import OpportunityStatus
from sencrm.sales.models import Opportunity, Pipeline, Stage, StageChange


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    if pipeline is None:
        raise ValidationError(_("No sales pipeline is set up. An administrator creates one first."))
    return pipeline


def first_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(is_won=False, is_lost=False).order_by("position", "id").first()
    if stage is None:
        raise ValidationError(_("The pipeline %(name)s has no open stage.") % {"name": pipeline})
    return stage


def closing_stage(pipeline: Pipeline, *, won: bool) -> Stage:
    stage = (
        pipeline.stages.filter(**({"is_won": True} if won else {"is_lost": True}))
        .order_by("position")
        .first()
    )
    if stage is None:
        message = _("The pipeline has no won stage.") if won else _("The pipeline has no lost stage.")
        raise ValidationError(message)
    return stage


def _status_for(stage: Stage) -> str:
    if stage.is_won:
        return OpportunityStatus.WON
    if stage.is_lost:
        return OpportunityStatus.LOST
    return OpportunityStatus.OPEN


def _check_links(actor: Any, data: dict[str, Any]) -> None:
    """A deal may only name a contact/account the actor can see (no blind linking)."""
    for field in ("contact", "account"):
        customer = data.get(field)
        if customer is not None and not access.in_scope(actor, Action.VIEW, customer):
            raise ValidationError({field: _("Choose a customer you have access to.")})
    contact = data.get("contact")
    if contact is not None and data.get("account") is None and contact.account_id:
        data["account"] = contact.account


def _prepare(data: dict[str, Any], current: Opportunity | None = None) -> dict[str, Any]:
    data = dict(data)
    for name in ("name", "campaign", "close_reason"):
        if data.get(name) is not None and name in data:
            data[name] = clean_text(data[name])
    if data.get("name") is not None:
        data["search_key"] = fold(data["name"])
    if "probability" in data:
        if data["probability"] is None:
            data["probability_manual"] = False
            data.pop("probability")
        else:
            data["probability_manual"] = True
    pipeline = data.get("pipeline") or (current.pipeline if current else None)
    stage = data.get("stage")
    if (
        "pipeline" in data
        and stage is None
        and current is not None
        and pipeline is not None  # always, with a current deal: its pipeline is required
        and current.stage.pipeline_id != pipeline.pk
    ):
        data["stage"] = stage = first_stage(pipeline)
    if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    return data


def _stage_fields(opp: Opportunity, stage: Stage, manual: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"stage": stage, "status": _status_for(stage)}
    if not manual:
        fields["probability"] = stage.probability
    elif stage.is_won:
        fields["probability"] = 100
    elif stage.is_lost:
        fields["probability"] = 0
    if stage.is_closed:
        fields["closed_at"] = (
            opp.closed_at if opp.status == fields["status"] and opp.closed_at else timezone.now()
        )
    else:
        fields["closed_at"] = None
    return fields


def _after_close(opp: Opportunity, *, actor: Any) -> None:
    """A won deal makes its contact and account customers (lifecycle), on their timelines."""
    if opp.status != OpportunityStatus.WON:
        return
    label = f"system:opportunity#{opp.pk}"
    for customer in (opp.contact, opp.account):
        if customer is not None:
            customer_promote(customer, stage=LifecycleStage.CUSTOMER, actor=actor, actor_label=label)
    event_emit(type="opportunity.won", subject=opp, actor=actor, data={"amount": str(opp.amount)})


@transaction.atomic
def opportunity_create(
    *, actor: Any, data: dict[str, Any], owner: Any = None, team: Any = None, actor_label: str = ""
) -> Opportunity:
    access.check_module(actor, Opportunity.access_module, Action.CREATE)
    data = _prepare(data)
    _check_links(actor, data)
    pipeline = data.get("pipeline") or default_pipeline()
    stage = data.get("stage") or first_stage(pipeline)
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    data["pipeline"] = pipeline
    probe = Opportunity(closed_at=None, status=OpportunityStatus.OPEN)
    data.update(_stage_fields(probe, stage, bool(data.get("probability_manual"))))
    if data.get("probability_manual") and "probability" not in data:
        data["probability"] = stage.probability
    now = timezone.now()
    data["stage_entered_at"] = now
    data["custom_field_data"] = custom_fields.validate(
        Opportunity, data.get("custom_field_data") or {}, partial=False
    )

    def history(opp: Opportunity) -> dict[str, list[Any]]:
        StageChange.objects.create(opportunity=opp, to_stage=stage, actor=actor, entered_at=now)
        return {}

    opp = record_create(
        Opportunity, actor=actor, data=data, owner=owner, team=team, actor_label=actor_label, related=history
    )
    _after_close(opp, actor=actor)
    return opp


def _locked_at(opp: Opportunity, version: int | None) -> Opportunity:
    current = Opportunity.all_objects.select_for_update().select_related("stage", "pipeline").get(pk=opp.pk)
    if current.is_deleted:
        raise ValidationError(_("This opportunity is in the trash."))
    if version is not None and current.version != version:
        # A stage move is never merged: the card moved under the user's hand (kanban drag during
        # an edit, or two people dragging); they see the conflict and the current stage.
        raise StaleRecord(current.version)
    return current


@transaction.atomic
def opportunity_move(
    opp: Opportunity,
    *,
    actor: Any,
    stage: Stage,
    version: int | None,
    reason: str | None = None,
    actor_label: str = "",
    change_pipeline: bool = False,
) -> Opportunity:
    """Move the deal to another stage of its pipeline (the kanban drag, won, lost, reopen).

    Strict about the version (a stale one raises StaleRecord); moving to the stage it is in already
    changes nothing. Writes the stage history and one `opportunity.stage_changed` event.
    """
    current = _locked_at(opp, version)
    access.check(actor, Action.EDIT, current)
    if stage.pipeline_id != current.pipeline_id and not change_pipeline:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    if stage.pk == current.stage_id and reason is None:
        return current
    now = timezone.now()
    previous = current.stage
    changes = _stage_fields(current, stage, current.probability_manual)
    if reason is not None:
        changes["close_reason"] = clean_text(reason)[:200]
    if stage.pk == current.stage_id:
        return record_update(current, actor=actor, changes=changes, version=None, actor_label=actor_label)
    seconds = int((now - current.stage_entered_at).total_seconds()) if current.stage_entered_at else None
    StageChange.objects.filter(opportunity=current, left_at__isnull=True).update(left_at=now)
    StageChange.objects.create(
        opportunity=current, from_stage=previous, to_stage=stage, actor=actor, entered_at=now
    )
    changes["stage_entered_at"] = now
    if stage.pipeline_id != current.pipeline_id:
        changes["pipeline"] = stage.pipeline
    moved = record_update(
        current,
        actor=actor,
        changes=changes,
        version=None,
        actor_label=actor_label,
        event_type="stage_changed",
        extra_data={
            "from": {"id": previous.pk, "name": previous.name},
            "to": {"id": stage.pk, "name": stage.name},
            "pipeline": {"id": current.pipeline_id, "name": current.pipeline.name},
            "seconds_in_previous_stage": seconds,
        },
    )
    if stage.is_lost and not previous.is_lost:
        event_emit(type="opportunity.lost", subject=moved, actor=actor, data={"reason": moved.close_reason})
    if stage.is_won and not previous.is_won:
        _after_close(moved, actor=actor)
    return moved


def opportunity_mark_won(
    opp: Opportunity, *, actor: Any, version: int | None, reason: str = ""
) -> Opportunity:
    return opportunity_move(
        opp, actor=actor, stage=closing_stage(opp.pipeline, won=True), version=version, reason=reason
    )


def opportunity_mark_lost(
    opp: Opportunity, *, actor: Any, version: int | None, reason: str = ""
) -> Opportunity:
    if not clean_text(reason):
        raise ValidationError({"close_reason": _("Say why the deal was lost.")})
    return opportunity_move(
        opp, actor=actor, stage=closing_stage(opp.pipeline, won=False), version=version, reason=reason
    )


@transaction.atomic
def opportunity_update(
    opp: Opportunity, *, actor: Any, changes: dict[str, Any], version: int | None, actor_label: str = ""
) -> Opportunity:
    """Edit the deal's fields; a new stage (or pipeline) goes through opportunity_move."""
    current = Opportunity.all_objects.select_related("stage", "pipeline").get(pk=opp.pk)
    access.check(actor, Action.EDIT, current)
    changes = _prepare(changes, current)
    if "contact" in changes or "account" in changes:
        _check_links(actor, changes)
    if "custom_field_data" in changes:
        changes["custom_field_data"] = custom_fields.validate(
            Opportunity, changes["custom_field_data"] or {}, partial=True, existing=current.custom_field_data
        )
    stage = changes.pop("stage", None)
    pipeline = changes.pop("pipeline", None)
    if stage is not None and stage.pk != current.stage_id:
        current = opportunity_move(
            current,
            actor=actor,
            stage=stage,
            version=version,
            actor_label=actor_label,
            change_pipeline=pipeline is not None and pipeline.pk == stage.pipeline_id,
        )
        version = None  # the move checked it
    if changes.get("probability_manual") is False:
        changes["probability"] = current.stage.probability
    if not changes:
        return current
    return record_update(current, actor=actor, changes=changes, version=version, actor_label=actor_label)


def opportunity_delete(opp: Opportunity, *, actor: Any) -> Opportunity:
    return record_delete(opp, actor=actor)
