"""Background jobs of the customers module: large bulk actions."""

from __future__ import annotations

from typing import Any

from sencrm.core.background import db_task
from sencrm.events.services import notification_create


@db_task(retries=0)
def contacts_bulk_job(user_id: int, ids: list[int], action: str, value_id: Any) -> dict[str, int]:
    """Runs as the user who asked, through the same gate; tells them the result when done."""
    from sencrm.customers.bulk import resolve_value
    from sencrm.customers.services import contacts_bulk_apply
    from sencrm.users.models import User

    user = User.objects.get(pk=user_id)
    result = contacts_bulk_apply(actor=user, ids=ids, action=action, value=resolve_value(action, value_id))
    notification_create(recipient_id=user_id, kind="bulk_done", params={**result, "action": action})
    return result
