"""Readers of the event log for sales: lead scores follow their data and activities."""

from __future__ import annotations

from sencrm.events.consumers import consumer
from sencrm.events.models import Event


@consumer("lead_scoring")
def rescore_on_change(event: Event) -> None:
    from sencrm.activities.models import Activity
    from sencrm.sales.models import Lead
    from sencrm.sales.scoring import lead_rescore

    model = event.subject_type.model_class() if event.subject_type_id else None
    if model is Lead and not event.type.endswith((".deleted", ".purged")):
        lead_rescore(event.subject_id)
    elif model is Activity:
        lead_ids = {
            event.data.get("record", {}).get("lead"),
            *(event.data.get("changes", {}).get("lead") or []),
        }
        if not lead_ids - {None}:
            lead_ids = set(Activity.all_objects.filter(pk=event.subject_id).values_list("lead_id", flat=True))
        for lead_id in lead_ids - {None}:
            lead_rescore(int(lead_id))
