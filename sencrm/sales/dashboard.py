"""The sales widgets of the home page: my leads and follow-ups, pipeline by stage, forecast, win rate.

The home page (sencrm/home) asks for them through sencrm/core/homepage.py; each widget shows only
when the role grants its module, and every number comes from the sales selectors, which start from
the access gate.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access, homepage
from sencrm.core.modules import Action, Module
from sencrm.sales import selectors
from sencrm.sales.models import Pipeline
from sencrm.sales.views.opportunity_forecast import chart_data

FORECAST_MONTHS = 6


@homepage.register
def sales_dashboard(user: Any) -> dict[str, Any]:
    """{"leads": …} when the user may see leads, {"sales": …} when they may see opportunities."""
    widgets: dict[str, Any] = {}
    if access.can(user, Module.LEADS, Action.VIEW):
        widgets["leads"] = {
            "open": selectors.my_open_leads(user),
            "follow_ups": selectors.follow_ups(user, limit=10),
            "now": timezone.now(),
        }
    if access.can(user, Module.SALES, Action.VIEW):
        pipeline = (
            Pipeline.objects.filter(is_active=True)
            .order_by("-is_default", "position", "id")
            .prefetch_related("stages")
            .first()
        )
        by_stage = selectors.pipeline_by_stage(user, pipeline) if pipeline is not None else []
        months = selectors.forecast(user, months=FORECAST_MONTHS)
        widgets["sales"] = {
            "pipeline": pipeline,
            "by_stage": by_stage,
            "stage_chart": {
                "labels": [row["stage"] for row in by_stage],
                "datasets": [{"label": _("Open amount"), "data": [int(row["amount"]) for row in by_stage]}],
            },
            "forecast": months,
            "forecast_chart": chart_data(months),
            "win": selectors.win_stats(user, days=90),
        }
    return widgets
