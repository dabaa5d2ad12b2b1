"""What marketing adds to the lower apps' registries: the wording of its events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels

TYPE_LABELS = {
    "conversation.created": gettext_lazy("Conversation started"),
    "conversation.assigned": gettext_lazy("Conversation assigned"),
    "conversation.converted": gettext_lazy("Conversation turned into a lead"),
    "conversation.linked": gettext_lazy("Conversation linked to the customer"),
    "conversation.closed": gettext_lazy("Conversation closed"),
    "inbound_channel.updated": gettext_lazy("Fanpage / Zalo settings changed"),
    "campaign.cost_imported": gettext_lazy("Campaign costs imported"),
    "campaign.members_added": gettext_lazy("Contacts added to the campaign's audience"),
    "campaign.cost_added": gettext_lazy("Campaign cost added"),
    "campaign.cost_changed": gettext_lazy("Campaign cost changed"),
    "campaign.cost_deleted": gettext_lazy("Campaign cost deleted"),
    "segment.frozen": gettext_lazy("Segment snapshot taken"),
}


def register() -> None:
    from sencrm.marketing import dashboard, occasions  # noqa: F401  (the home page; the daily care job)

    register_type_labels(TYPE_LABELS)
    # Leads find their campaign from their UTM codes (sales cannot import marketing: it asks this hook).
    from sencrm.marketing.selectors import campaign_for_utm
    from sencrm.sales import campaigns

    campaigns.register(campaign_for_utm)
    # Contacts lists and the contacts API filter by segment (?segment=) through this hook.
    from sencrm.customers.filters import register_segment_filter
    from sencrm.marketing.segments import filter_contacts, segment_choices

    register_segment_filter(choices=segment_choices, narrow=filter_contacts)
