"""The event types a webhook can subscribe to: every record's life cycle plus the named transitions.

A subscription names exact types (`opportunity.won`), a whole record type (`contact.*`) or
everything (`*`). Unknown names are refused, so a typo does not silently subscribe to nothing.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sencrm.core.models import Record

ALL = "*"
RECORD_ACTIONS = ("created", "updated", "deleted", "restored", "purged")
# Transitions and non-record types that services emit; a module that adds one adds it here.
EXTRA_TYPES = (
    "contact.merged",
    "contact.merged_away",
    "lead.converted",
    "opportunity.stage_changed",
    "opportunity.won",
    "opportunity.lost",
    "user.created",
    "user.updated",
    "user.password_changed",
    "user.preferences_changed",
    "team.created",
    "team.updated",
    "role.created",
    "role.updated",
    "apitoken.created",
    "apitoken.revoked",
    "customfield.created",
    "customfield.updated",
    "customfield.deleted",
    "pipeline.created",
    "pipeline.updated",
    "scoringrule.created",
    "scoringrule.updated",
    "scoringrule.deleted",
    "webform.created",
    "webform.updated",
    "webform.deleted",
    "webhook.created",
    "webhook.updated",
    "webhook.deleted",
    "webhook.secret_rotated",
    "category.created",
    "quote.sent",
    "quote.accepted",
    "quote.rejected",
    "quote.revised",
    "quote.expired",
    "order.confirmed",
    "order.partly_delivered",
    "order.delivered",
    "order.cancelled",
    "contract.signed",
    "contract.expiring",
    "contract.overrun",
    "contract.expired",
    "contract.terminated",
    "contract.file_attached",
    "invoice.issued",
    "invoice.paid",
    "invoice.partly_paid",
    "invoice.overdue",
    "invoice.replaced",
    "invoice.einvoice_recorded",
    "invoice.reminded",
    "payment.received",
    "payment.allocated",
    "bankstatement.reconciled",
    "company.updated",
    "documenttemplate.updated",
    "documenttemplate.reset",
    "conversation.created",
    "conversation.assigned",
    "conversation.converted",
    "conversation.linked",
    "conversation.closed",
    "inbound_channel.updated",
    "campaign.cost_imported",
    "campaign.cost_added",
    "campaign.cost_changed",
    "campaign.cost_deleted",
    "consent.changed",
    "data_request.created",
    "data_request.acknowledged",
    "data_request.extended",
    "data_request.completed",
    "data_request.overdue",
    "data_request.rejected",
    "campaign.members_added",
    "segment.frozen",
    "promotion.applied",
    "promotion.released",
    "email.sent",
    "email.bounced",
    "email.opened",
    "email.clicked",
    "email.unsubscribed",
    "email_campaign.started",
    "email_campaign.sent",
    "email_campaign.test_sent",
    "contact.anonymised",
    "lead.anonymised",
    "ticket.status_changed",
    "ticket.assigned",
    "ticket.escalated",
    "ticket.sla_warning",
    "ticket.sla_breached",
    "ticket.resolved",
    "ticket.closed",
    "ticket.reopened",
    "ticket.replied",
    "ticket.noted",
    "ticket.customer_replied",
    "ticket.merged",
    "call.started",
    "call.ended",
    "carecall.done",
    "review.requested",
    "review.received",
    "survey.sent",
    "support_category.created",
    "support_category.updated",
    "support_category.deleted",
    "support_calendar.created",
    "support_calendar.updated",
    "support_queue.created",
    "support_queue.updated",
    "support_routing_rule.created",
    "support_routing_rule.updated",
    "support_sla_policy.created",
    "support_sla_policy.updated",
    "support_carecall_rule.created",
    "support_carecall_rule.updated",
    "support_absence.created",
    "support_absence.deleted",
    "support_extension.created",
    "support_extension.updated",
    "support_extension.deleted",
    "asset.warranty_voided",
    "asset.warranty_expiring",
    "asset.status_changed",
    "maintenance_plan.ended",
    "maintenance.due",
    "maintenance.skipped",
    "maintenance.rescheduled",
    "maintenance.reminded",
    "saved_report.created",
    "saved_report.updated",
    "saved_report.deleted",
    "revenue_target.set",
    "revenue_target.cleared",
    "dashboard.arranged",
    "dashboard.reset",
    "work_order.scheduled",
    "work_order.assigned",
    "work_order.on_the_way",
    "work_order.started",
    "work_order.done",
    "work_order.failed",
    "work_order.cancelled",
    "work_order.signed",
    "work_order.photo_added",
    "work_order.part_added",
    "work_order.part_removed",
    "work_order.checked",
    "work_order.noted",
    "work_order.invoiced",
    "ticket.work_order_created",
    "fieldservice_skill.created",
    "fieldservice_skill.updated",
    "fieldservice_skill.deleted",
    "fieldservice_technician.created",
    "fieldservice_technician.updated",
    "fieldservice_checklist.created",
    "fieldservice_checklist.updated",
    "fieldservice_checklist.deleted",
)
MAX_TYPES = 100


def event_types() -> list[str]:
    types = set(EXTRA_TYPES)
    for model in apps.get_models():
        if issubclass(model, Record):
            types.update(f"{model.event_type_prefix()}.{action}" for action in RECORD_ACTIONS)
    return sorted(types)


def choices() -> list[tuple[str, str]]:
    return [(ALL, _("* — every event")), *[(t, t) for t in event_types()]]


def validate(raw: Any) -> list[str]:
    """The cleaned list of event types, or ValidationError({"event_types": …}) with a clear message."""
    if not isinstance(raw, list | tuple) or not all(isinstance(t, str) for t in raw):
        raise ValidationError({"event_types": [_('Give a list of event types, e.g. ["contact.created"].')]})
    types = list(dict.fromkeys(t.strip() for t in raw if t.strip()))
    if not types:
        raise ValidationError({"event_types": [_("Choose at least one event type (or * for every event).")]})
    if len(types) > MAX_TYPES:
        raise ValidationError({"event_types": [_("At most %(max)s event types.") % {"max": MAX_TYPES}]})
    known = set(event_types())
    prefixes = {t.partition(".")[0] for t in known}
    unknown = [
        t for t in types if t != ALL and t not in known and not (t.endswith(".*") and t[:-2] in prefixes)
    ]
    if unknown:
        raise ValidationError(
            {
                "event_types": [
                    _("Unknown event type: %(types)s. Use a type such as contact.created, contact.* or *.")
                    % {"types": ", ".join(unknown)[:300]}
                ]
            }
        )
    return [ALL] if ALL in types else types
