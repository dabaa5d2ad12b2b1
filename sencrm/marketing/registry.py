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
}


def register() -> None:
    from sencrm.marketing import dashboard  # noqa: F401  (the marketing home page)

    register_type_labels(TYPE_LABELS)
    # Leads find their campaign from their UTM codes (sales cannot import marketing: it asks this hook).
    from sencrm.marketing.selectors import campaign_for_utm
    from sencrm.sales import campaigns

    campaigns.register(campaign_for_utm)
