"""What marketing adds to the lower apps' registries: the wording of its events."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_label, register_type_labels

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
    "email.sent": gettext_lazy("Marketing email sent"),
    "email.bounced": gettext_lazy("Marketing email rejected by the server"),
    "email.opened": gettext_lazy("Marketing email opened"),
    "email.clicked": gettext_lazy("Link in a marketing email clicked"),
    "email.unsubscribed": gettext_lazy("Unsubscribed from marketing emails"),
    "email_campaign.started": gettext_lazy("Email campaign sending started"),
    "email_campaign.sent": gettext_lazy("Email campaign sent"),
    "email_campaign.test_sent": gettext_lazy("Test email sent"),
}


def email_label(event: Any) -> str | None:
    """“Marketing email sent: <campaign>” on the contact's timeline."""
    base = TYPE_LABELS.get(event.type)
    name = event.data.get("name") if isinstance(event.data, dict) else None
    if base is None or not name:
        return None
    return f"{base}: {name}"


def register() -> None:
    from sencrm.marketing import (  # noqa: F401  (the home page; the daily care job; the email sender's jobs)
        dashboard,
        email_sender,
        occasions,
    )

    register_type_labels(TYPE_LABELS)
    register_label("marketing.emailrecipient", email_label)
    # The unsubscribe page (privacy) tells marketing which campaign copy the link came in.
    from sencrm.customers.unsubscribe import AFTER_UNSUBSCRIBE
    from sencrm.marketing.email_tracking import recipient_unsubscribed

    if recipient_unsubscribed not in AFTER_UNSUBSCRIBE:
        AFTER_UNSUBSCRIBE.append(recipient_unsubscribed)
    # Leads find their campaign from their UTM codes (sales cannot import marketing: it asks this hook).
    from sencrm.marketing.selectors import campaign_for_utm
    from sencrm.sales import campaigns

    campaigns.register(campaign_for_utm)
    # Contacts lists and the contacts API filter by segment (?segment=) through this hook.
    from sencrm.customers.filters import register_segment_filter
    from sencrm.marketing.segments import filter_contacts, segment_choices

    register_segment_filter(choices=segment_choices, narrow=filter_contacts)
