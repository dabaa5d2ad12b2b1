"""Writes for the sales configuration administrators edit: pipelines and their stages, lead scoring
rules and web-to-lead forms. Each checks the administration right again and leaves an event for the
audit trail, in the transaction that made the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.core import access
from sencrm.core.modules import Action, Module
from sencrm.core.text import clean_text
from sencrm.customers.models import Province, SourceChannel
from sencrm.events.services import event_emit
from sencrm.sales.choices import SCORABLE_FIELDS, RuleKind, WebFormField
from sencrm.sales.models import Opportunity, Pipeline, ScoringRule, Stage, StageChange, WebForm

MAX_RULE_NUMBER = 100_000
DEFAULT_CONSENT = gettext_lazy(
    "I agree to be contacted about my request and to the processing of my personal data."
)


@dataclass
class StageInput:
    """One row of a pipeline's stage table: `id` None for a new stage."""

    id: int | None
    name: str
    position: int | None
    probability: int
    is_won: bool = False
    is_lost: bool = False
    delete: bool = False


def _stage_state(stage: Stage) -> dict[str, Any]:
    return {
        "name": stage.name,
        "position": stage.position,
        "probability": stage.probability,
        "is_won": stage.is_won,
        "is_lost": stage.is_lost,
    }


def _pipeline_state(pipeline: Pipeline) -> dict[str, Any]:
    return {"name": pipeline.name, "is_active": pipeline.is_active, "is_default": pipeline.is_default}


# ---------------------------------------------------------------------------------------------
# Pipelines and stages


@transaction.atomic
def pipeline_create(*, actor: Any, name: str, is_active: bool = True, is_default: bool = False) -> Pipeline:
    """A new pipeline with three starting stages (open, won, lost) the administrator then edits."""
    access.check_module(actor, Module.ADMIN, Action.CREATE)
    if is_default and not is_active:
        raise ValidationError({"is_active": _("The default pipeline must be active.")})
    position = (Pipeline.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    pipeline = Pipeline(name=clean_text(name), is_active=is_active, is_default=is_default, position=position)
    pipeline.full_clean()
    pipeline.save()
    if is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).update(is_default=False)
    # Stage names are data in the company's language: written once in the creator's language.
    starting = [
        (_("New"), 10, False, False),  # vi: Mới
        (_("Won"), 100, True, False),  # vi: Thắng
        (_("Lost"), 0, False, True),  # vi: Thua
    ]
    for i, (stage_name, probability, won, lost) in enumerate(starting, start=1):
        Stage.objects.create(
            pipeline=pipeline, name=stage_name, position=i, probability=probability, is_won=won, is_lost=lost
        )
    event_emit(
        type="pipeline.created",
        subject=pipeline,
        actor=actor,
        data={"record": _pipeline_state(pipeline), "stages": [s[0] for s in starting]},
    )
    return pipeline


def _check_deletable(stage: Stage) -> None:
    # Stage FKs are PROTECT: a stage that deals sit in (even deals in the trash) or that the stage
    # history names cannot go; the message says what to do instead.
    if Opportunity.all_objects.filter(stage=stage).exists():
        raise ValidationError(
            _("The stage “%(name)s” still has opportunities: move its opportunities first.")
            % {"name": stage.name}
        )
    if StageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists():
        raise ValidationError(
            _(
                "The stage “%(name)s” appears in the stage history of opportunities and cannot be "
                "deleted. Rename it instead."
            )
            % {"name": stage.name}
        )


def _validate_stages(rows: list[dict[str, Any]]) -> None:
    """The pipeline as it will be: named stages, sane probabilities, one open, one won, one lost."""
    errors: list[str] = []
    seen: set[str] = set()
    for row in rows:
        if not row["name"]:
            errors.append(_("Every stage needs a name."))
        elif len(row["name"]) > 80:
            errors.append(_("A stage name has at most 80 characters."))
        key = row["name"].casefold()
        if key and key in seen:
            errors.append(_("Two stages are named “%(name)s”.") % {"name": row["name"]})
        seen.add(key)
        if not 0 <= row["probability"] <= 100:
            errors.append(
                _("The probability of “%(name)s” must be between 0 and 100.") % {"name": row["name"]}
            )
        if row["is_won"] and row["is_lost"]:
            errors.append(_("The stage “%(name)s” cannot be both won and lost.") % {"name": row["name"]})
    if not any(not r["is_won"] and not r["is_lost"] for r in rows):
        errors.append(_("A pipeline needs at least one open stage (neither won nor lost)."))
    if not any(r["is_won"] and not r["is_lost"] for r in rows):
        errors.append(_("A pipeline needs a won stage, or its deals cannot be marked won."))
    if not any(r["is_lost"] and not r["is_won"] for r in rows):
        errors.append(_("A pipeline needs a lost stage, or its deals cannot be marked lost."))
    if errors:
        raise ValidationError(errors)


def _apply_stages(pipeline: Pipeline, stages: list[StageInput]) -> dict[str, Any]:
    existing = {s.pk: s for s in Stage.objects.select_for_update().filter(pipeline=pipeline)}
    given = {item.id for item in stages if item.id is not None}
    if given - existing.keys():
        raise ValidationError(_("A stage was removed by someone else meanwhile. Reload the page."))
    deleting = [existing[item.id] for item in stages if item.id is not None and item.delete]
    for stage in deleting:
        _check_deletable(stage)
    # Stages not in the table stay as they are.
    untouched = [s for pk, s in existing.items() if pk not in given]
    rows: list[dict[str, Any]] = [{"id": s.pk, **_stage_state(s)} for s in untouched]
    for item in stages:
        if item.delete:
            continue
        rows.append(
            {
                "id": item.id,
                "name": clean_text(item.name),
                # A blank order puts the stage last.
                "position": item.position if item.position is not None else 10_000,
                "probability": item.probability,
                "is_won": item.is_won,
                "is_lost": item.is_lost,
            }
        )
    _validate_stages(rows)

    # Renumber 1…n by the numbers typed. A new stage or one given another number goes before a stage
    # that kept the same number ("4" inserts at place 4); otherwise the current order holds.
    def order(row: dict[str, Any]) -> tuple[int, int, int]:
        moved = row["id"] is None or existing[row["id"]].position != row["position"]
        return (row["position"], 0 if moved else 1, row["id"] or 0)

    rows.sort(key=order)
    for i, row in enumerate(rows, start=1):
        row["position"] = i
    summary: dict[str, Any] = {"added": [], "changed": {}, "deleted": []}
    for stage in deleting:
        summary["deleted"].append(stage.name)
        stage.delete()
    for row in rows:
        state = {k: row[k] for k in ("name", "position", "probability", "is_won", "is_lost")}
        if row["id"] is None:
            Stage.objects.create(pipeline=pipeline, **state)
            summary["added"].append(state["name"])
            continue
        stage = existing[row["id"]]
        before = _stage_state(stage)
        diff = {k: [before[k], v] for k, v in state.items() if before[k] != v}
        if diff:
            for name, value in state.items():
                setattr(stage, name, value)
            stage.full_clean()
            stage.save(update_fields=list(state))
            summary["changed"][before["name"]] = diff
    return {k: v for k, v in summary.items() if v}


def _stage_changes_for_log(summary: dict[str, Any]) -> dict[str, list[Any]]:
    """The stage edits as {label: [old, new]} rows, the shape the activity log shows."""
    rows: dict[str, list[Any]] = {}
    if summary.get("added"):
        rows[_("stages added")] = ["", ", ".join(summary["added"])]
    if summary.get("deleted"):
        rows[_("stages deleted")] = [", ".join(summary["deleted"]), ""]
    for name, diff in summary.get("changed", {}).items():
        for field, (old, new) in diff.items():
            label = getattr(Stage._meta.get_field(field), "verbose_name", field)
            rows[f"{name}: {label}"] = [old, new]
    return rows


@transaction.atomic
def pipeline_update(
    pipeline: Pipeline, *, actor: Any, changes: dict[str, Any], stages: list[StageInput] | None = None
) -> Pipeline:
    """Rename, (de)activate, make default, and edit the stages in one step.

    Changing a stage's probability does not touch existing deals: they keep the probability they have.
    """
    access.check_module(actor, Module.ADMIN, Action.EDIT)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    before = _pipeline_state(pipeline)
    changes = {k: v for k, v in changes.items() if k in before}
    if "name" in changes:
        changes["name"] = clean_text(changes["name"])
    after = {**before, **changes}
    if before["is_default"] and not after["is_default"]:
        raise ValidationError(
            {"is_default": _("There must be a default pipeline: make another pipeline the default instead.")}
        )
    if after["is_default"] and not after["is_active"]:
        raise ValidationError(
            {
                "is_active": _(
                    "The default pipeline cannot be deactivated. Make another pipeline the default first."
                )
            }
        )
    for name, value in changes.items():
        setattr(pipeline, name, value)
    pipeline.full_clean()
    pipeline.save(update_fields=list(before))
    if pipeline.is_default:
        Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).update(is_default=False)
    data: dict[str, Any] = {}
    diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if diff:
        data["changes"] = diff
    if stages is not None:
        stage_summary = _apply_stages(pipeline, stages)
        if stage_summary:
            data["stages"] = stage_summary
            data["changes"] = {**diff, **_stage_changes_for_log(stage_summary)}
    if data:
        event_emit(type="pipeline.updated", subject=pipeline, actor=actor, data=data)
    return pipeline


# ---------------------------------------------------------------------------------------------
# Scoring rules


def clean_rule_value(kind: str, value: Any) -> str:
    """The rule's value for its kind, normalised; ValidationError({"value": …}) when it does not fit."""
    text = clean_text(str(value) if value is not None else "")
    if kind == RuleKind.SOURCE:
        if not SourceChannel.objects.filter(code=text).exists():
            raise ValidationError({"value": _("Choose an existing source channel.")})
        return text
    if kind == RuleKind.PROVINCE:
        if not Province.objects.filter(code=text).exists():
            raise ValidationError({"value": _("Choose an existing province.")})
        return text
    if kind == RuleKind.FIELD_PRESENT:
        if text not in SCORABLE_FIELDS:
            raise ValidationError({"value": _("Choose one of the lead's fields.")})
        return text
    if kind == RuleKind.EMAIL_DOMAIN:
        domains = [d.strip().lower().lstrip("@") for d in text.split(",") if d.strip()]
        bad = [
            d
            for d in domains
            if "." not in d or not all(p and p.replace("-", "").isalnum() for p in d.split("."))
        ]
        if not domains:
            raise ValidationError({"value": _("Enter one or more email domains, separated by commas.")})
        if bad:
            raise ValidationError(
                {"value": _("Not a valid email domain: %(domains)s") % {"domains": ", ".join(bad)[:200]}}
            )
        result = ", ".join(dict.fromkeys(domains))
        if len(result) > 200:
            raise ValidationError({"value": _("Too many domains (at most 200 characters).")})
        return result
    if kind in (RuleKind.ACTIVITY_COUNT, RuleKind.RECENCY):
        if not text.isdigit() or int(text) > MAX_RULE_NUMBER:
            raise ValidationError(
                {"value": _("Enter a whole number from 0 to %(max)s.") % {"max": f"{MAX_RULE_NUMBER:,}"}}
            )
        return str(int(text))
    raise ValidationError({"kind": _("Choose a kind of rule.")})


def _rule_state(rule: ScoringRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "value": rule.value,
        "points": rule.points,
        "is_active": rule.is_active,
    }


def _rescore_after_commit() -> None:
    # Every lead's score depends on every rule: recompute in the background once the change is saved.
    from sencrm.sales.tasks import rescore_all_leads

    transaction.on_commit(lambda: rescore_all_leads())


@transaction.atomic
def scoring_rule_save(*, actor: Any, rule: ScoringRule | None = None, **data: Any) -> ScoringRule:
    """Create or change a rule (name, kind, value, points, is_active); scores are recomputed after."""
    access.check_module(actor, Module.ADMIN, Action.EDIT if rule else Action.CREATE)
    creating = rule is None
    if rule is None:
        rule = ScoringRule(position=(ScoringRule.objects.aggregate(m=Max("position"))["m"] or 0) + 1)
    else:
        rule = ScoringRule.objects.select_for_update().get(pk=rule.pk)
    before = _rule_state(rule)
    allowed = {k: v for k, v in data.items() if k in before}
    if "name" in allowed:
        allowed["name"] = clean_text(allowed["name"])
    kind = allowed.get("kind", rule.kind)
    if "value" in allowed or "kind" in allowed:
        allowed["value"] = clean_rule_value(kind, allowed.get("value", rule.value))
    for name, value in allowed.items():
        setattr(rule, name, value)
    rule.full_clean()
    rule.save()
    after = _rule_state(rule)
    if creating:
        event_emit(type="scoringrule.created", subject=rule, actor=actor, data={"record": after})
    elif before != after:
        diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        event_emit(type="scoringrule.updated", subject=rule, actor=actor, data={"changes": diff})
    if creating or before != after:
        _rescore_after_commit()
    return rule


@transaction.atomic
def scoring_rule_delete(*, actor: Any, rule: ScoringRule) -> None:
    access.check_module(actor, Module.ADMIN, Action.DELETE)
    event_emit(type="scoringrule.deleted", subject=rule, actor=actor, data={"record": _rule_state(rule)})
    rule.delete()
    _rescore_after_commit()


# ---------------------------------------------------------------------------------------------
# Web-to-lead forms

WEBFORM_TEXT = ("name", "title", "campaign", "consent_text")


def _webform_state(form: WebForm) -> dict[str, Any]:
    # "lead_owner", not "owner": the notifications consumer reads "owner" as an assignment.
    return {
        "name": form.name,
        "is_active": form.is_active,
        "title": form.title,
        "fields": list(form.fields),
        "required_fields": list(form.required_fields),
        "thank_you": form.thank_you,
        "consent_text": form.consent_text,
        "lead_owner": form.owner_id,
        "team": form.team_id,
        "source": form.source_id,
        "campaign": form.campaign,
    }


def _clean_webform(data: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    for name in WEBFORM_TEXT:
        if name in cleaned:
            cleaned[name] = clean_text(cleaned[name])
    if not cleaned.get("consent_text"):
        # Stored in the administrator's language: the visitor reads the company's words.
        cleaned["consent_text"] = str(DEFAULT_CONSENT)
    if "thank_you" in cleaned:
        cleaned["thank_you"] = str(cleaned["thank_you"] or "").strip()
    valid = set(WebFormField.values)
    fields = [f for f in dict.fromkeys(cleaned.get("fields") or []) if f in valid]
    unknown = set(cleaned.get("fields") or []) - valid
    if unknown:
        raise ValidationError(
            {"fields": _("Unknown field: %(names)s") % {"names": ", ".join(sorted(unknown))}}
        )
    if not {"phone", "email"} & set(fields):
        raise ValidationError(
            {"fields": _("Ask for at least a phone number or an email, or the lead cannot be reached.")}
        )
    required = [f for f in dict.fromkeys(cleaned.get("required_fields") or []) if f in valid]
    not_asked = set(required) - set(fields)
    if not_asked:
        raise ValidationError(
            {"required_fields": _("A required field must also be asked: tick it under “Fields to ask”.")}
        )
    cleaned["fields"] = [f for f in WebFormField.values if f in fields]  # the form's display order
    cleaned["required_fields"] = [f for f in WebFormField.values if f in required]
    owner, team = cleaned.get("owner"), cleaned.get("team")
    if owner is None and team is None:
        raise ValidationError(
            {"owner": _("Choose who gets the new leads: an owner or a team (round robin).")}
        )
    if owner is not None and (not owner.is_active or not access.can(owner, Module.LEADS, Action.VIEW)):
        raise ValidationError({"owner": _("Choose an active user who may work with leads.")})
    return cleaned


@transaction.atomic
def webform_save(*, actor: Any, form: WebForm | None = None, **data: Any) -> WebForm:
    """Create or change a web-to-lead form (its key, hence its public address, never changes)."""
    access.check_module(actor, Module.ADMIN, Action.EDIT if form else Action.CREATE)
    creating = form is None
    form = WebForm() if form is None else WebForm.objects.select_for_update().get(pk=form.pk)
    before = _webform_state(form)
    fields = {
        "name",
        "is_active",
        "title",
        "fields",
        "required_fields",
        "thank_you",
        "consent_text",
        "owner",
        "team",
        "source",
        "campaign",
    }
    current = {name: getattr(form, name) for name in fields}
    cleaned = _clean_webform({**current, **{k: v for k, v in data.items() if k in fields}})
    for name, value in cleaned.items():
        setattr(form, name, value)
    form.full_clean()
    form.save()
    after = _webform_state(form)
    if creating:
        event_emit(type="webform.created", subject=form, actor=actor, data={"record": after})
    elif before != after:
        diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        event_emit(type="webform.updated", subject=form, actor=actor, data={"changes": diff})
    return form


@transaction.atomic
def webform_delete(*, actor: Any, form: WebForm) -> None:
    """Remove a form: its leads stay (they keep their source, campaign and UTM), its log goes."""
    access.check_module(actor, Module.ADMIN, Action.DELETE)
    event_emit(type="webform.deleted", subject=form, actor=actor, data={"record": _webform_state(form)})
    form.delete()
