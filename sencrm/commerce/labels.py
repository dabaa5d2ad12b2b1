"""How sales documents' events read in history and notifications ("Quote sent", "Order delivered")."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sencrm.events.formatting import register_type_labels
from sencrm.events.messages import register_kind

TYPE_LABELS = {
    "quote.sent": gettext_lazy("Quote sent"),
    "quote.accepted": gettext_lazy("Quote accepted"),
    "quote.rejected": gettext_lazy("Quote rejected"),
    "quote.revised": gettext_lazy("Quote revised into a new version"),
    "quote.expired": gettext_lazy("Quote expired"),
    "order.confirmed": gettext_lazy("Order confirmed"),
    "order.partly_delivered": gettext_lazy("Order partly delivered"),
    "order.delivered": gettext_lazy("Order delivered"),
    "order.cancelled": gettext_lazy("Order cancelled"),
    "contract.signed": gettext_lazy("Contract signed"),
    "contract.expiring": gettext_lazy("Contract ending soon"),
    "contract.overrun": gettext_lazy("Orders above the contract's total"),
    "contract.expired": gettext_lazy("Contract expired"),
    "contract.terminated": gettext_lazy("Contract terminated"),
    "contract.file_attached": gettext_lazy("Signed copy attached"),
}


def _contract_expiring(params: dict[str, str]) -> str:
    return _("Contract %(record)s (%(name)s) ends on %(end_date)s: time to renew.") % {
        "record": params.get("record", ""),
        "name": params.get("name", ""),
        "end_date": params.get("end_date", ""),
    }


def register() -> None:
    register_type_labels(TYPE_LABELS)
    register_kind("contract_expiring", _contract_expiring)
