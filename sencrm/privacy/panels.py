"""A person's personal-data requests on their page (contact or lead), with a button that registers a new
one for them (sencrm/core/panels.py): shown to whoever may see requests or register them."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sencrm.core import access, panels
from sencrm.core.modules import Action, Module
from sencrm.core.myday import Panel
from sencrm.privacy.models import DataRequest

ROWS = 5


def _panel(person: Any, user: Any, field: str) -> Panel | None:
    may_view = access.can(user, Module.PRIVACY, Action.VIEW)
    may_create = access.can(user, Module.PRIVACY, Action.CREATE)
    if not (may_view or may_create):
        return None
    rows: list[DataRequest] = []
    if may_view:
        visible = access.scope(user, DataRequest, Action.VIEW).filter(**{field: person})
        rows = list(visible.order_by("-received_at", "-id")[:ROWS])
    return Panel(
        "privacy/_person_panel.html",
        {
            "rows": rows,
            "create_url": f"{reverse('privacy:request_create')}?{field}={person.pk}" if may_create else "",
        },
    )


@panels.register("customers.contact")
def contact_requests(contact: Any, user: Any) -> Panel | None:
    return _panel(contact, user, "contact")


@panels.register("sales.lead")
def lead_requests(lead: Any, user: Any) -> Panel | None:
    return _panel(lead, user, "lead")
