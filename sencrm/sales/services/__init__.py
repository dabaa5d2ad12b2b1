"""Writes for the sales module; every one goes through the spine (access gate + event)."""

from sencrm.sales.services.conversion import Conversion, lead_convert
from sencrm.sales.services.leads import (
    lead_add_details,
    lead_assign,
    lead_create,
    lead_delete,
    lead_update,
    round_robin_owner,
)
from sencrm.sales.services.opportunities import (
    default_pipeline,
    first_stage,
    opportunity_create,
    opportunity_delete,
    opportunity_mark_lost,
    opportunity_mark_won,
    opportunity_move,
    opportunity_update,
)

__all__ = [
    "Conversion",
    "default_pipeline",
    "first_stage",
    "lead_add_details",
    "lead_assign",
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_update",
    "opportunity_create",
    "opportunity_delete",
    "opportunity_mark_lost",
    "opportunity_mark_won",
    "opportunity_move",
    "opportunity_update",
    "round_robin_owner",
]
