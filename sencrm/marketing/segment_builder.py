"""What the segment rule builder (static/js/segments.js) needs on a page: the fields, the choices the
reader may pick from and every word it shows. Used by the segment pages and the report builder."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.modules import Action
from sencrm.marketing import segment_rules

PAGE_SIZE = 50
SHOWN = 100  # members listed on a segment's page
OPTIONS_CAP = 2000  # choices of each list embedded in the builder


def _names(rows: Any) -> list[dict[str, Any]]:
    return [{"id": pk, "name": str(name)} for pk, name in rows[:OPTIONS_CAP]]


def builder_options(user: Any) -> dict[str, list[dict[str, Any]]]:
    """The records a rule may name, by the `ref` of the catalogue: id and name, each list capped, the
    campaigns and products limited to those the user may see."""
    from sencrm.catalog.models import Category, Product
    from sencrm.customers.models import CustomerGroup, Province, SourceChannel, Tag
    from sencrm.marketing.models import Campaign
    from sencrm.users.models import Team, User

    users = User.objects.filter(is_active=True).order_by("full_name", "username")
    products = access.scope(user, Product, Action.VIEW).order_by("name", "id")
    return {
        "customer_group": _names(CustomerGroup.objects.order_by("name").values_list("pk", "name")),
        "source": _names(SourceChannel.objects.order_by("position", "name").values_list("pk", "name")),
        "province": _names(Province.objects.order_by("position", "name").values_list("pk", "name")),
        "tag": _names(Tag.objects.order_by("name").values_list("pk", "name")),
        "user": [
            {"id": pk, "name": full_name or username}
            for pk, full_name, username in users.values_list("pk", "full_name", "username")[:OPTIONS_CAP]
        ],
        "team": _names(Team.objects.order_by("name").values_list("pk", "name")),
        "campaign": _names(
            access.scope(user, Campaign, Action.VIEW)
            .order_by("-start_date", "name")
            .values_list("pk", "name")
        ),
        "product": [
            {"id": pk, "name": f"{code} — {name}"}
            for pk, code, name in products.values_list("pk", "code", "name")[:OPTIONS_CAP]
        ],
        "category": _names(Category.objects.order_by("name").values_list("pk", "name")),
    }


def builder_labels() -> dict[str, Any]:
    """Every word the builder shows, in the reader's language (the script hard-codes none)."""
    from sencrm.activities.choices import Kind
    from sencrm.customers.choices import ConsentChannel
    from sencrm.customers.models import ConsentPurpose

    return {
        "add_rule": _("Add a rule"),
        "add_group": _("Add a group"),
        "remove": _("Remove"),
        "remove_group": _("Remove the group"),
        "all": _("All of"),
        "any": _("Any of"),
        "match_hint": _("these conditions"),
        "empty": _("No rules yet: the segment holds every contact you may see."),
        "empty_group": _("An empty group: add a rule to it."),
        "field": _("Field"),
        "operator": _("Condition"),
        "value": _("Value"),
        "choose_field": _("Choose a field…"),
        "unknown_field": _("Unknown field: %s"),
        "from": _("From"),
        "to": _("To"),
        "days": _("days"),
        "count": _("%s contacts"),
        "counting": _("Counting…"),
        "count_failed": _("The contacts could not be counted. Check the rules or try again."),
        "multi_hint": _("Hold Ctrl (⌘ on a Mac) to choose several."),
        "channel": _("Channel"),
        "purpose": _("Purpose"),
        "activity_kind": _("Kind of activity"),
        "any_activity": _("Any activity"),
        "in_last_days": _("In the last (days)"),
        "product": _("Products"),
        "category": _("Product categories"),
        "min_amount": _("Order total at least (₫)"),
        "more_than_days_ago": _("More than … days ago"),
        "within_days": _("In the last … days"),
        "month": _("Month"),
        "channels": [{"value": v, "label": str(label)} for v, label in ConsentChannel.choices],
        "purposes": [{"value": v, "label": str(label)} for v, label in ConsentPurpose.choices],
        "activity_kinds": [{"value": v, "label": str(label)} for v, label in Kind.choices],
    }


def builder_context(user: Any) -> dict[str, Any]:
    return {
        "catalogue": segment_rules.catalogue(),
        "options": builder_options(user),
        "labels": builder_labels(),
        "count_url": reverse("api:segment-count"),
    }
