"""The main navigation, by role: an entry shows when its page exists and the role grants its module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sencrm.core import access
from sencrm.core.modules import Action, Module


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str
    module: str | None = None
    action: str = Action.VIEW
    any_module_action: str | None = None  # shown when the role grants this action in any module


# Entries of modules that later issues build stay hidden until their URL exists.
NAV: list[NavItem] = [
    NavItem(_("Home"), "home", "house"),
    NavItem(_("My day"), "activities:my_day", "calendar-check", Module.ACTIVITIES),
    # One term per thing across menu, page titles, breadcrumbs and buttons: see docs/glossary.md.
    NavItem(_("Contacts"), "customers:contact_list", "people", Module.CUSTOMERS),
    NavItem(_("Accounts"), "customers:account_list", "building", Module.CUSTOMERS),
    NavItem(_("Caller ID"), "customers:caller_id", "telephone-inbound", Module.CUSTOMERS),
    NavItem(_("Leads"), "sales:lead_list", "person-plus", Module.LEADS),
    NavItem(_("Opportunities"), "sales:opportunity_board", "kanban", Module.SALES),
    NavItem(_("Quotes and orders"), "commerce:order_list", "receipt", Module.COMMERCE),
    NavItem(_("Invoices"), "billing:invoice_list", "receipt-cutoff", Module.BILLING),
    NavItem(_("Receipts and vouchers"), "billing:payment_list", "cash-coin", Module.BILLING),
    NavItem(_("Bank reconciliation"), "billing:statement_list", "bank", Module.BILLING, Action.IMPORT),
    NavItem(_("Receivables"), "billing:receivables", "hourglass-split", Module.BILLING),
    NavItem(_("Products"), "catalog:product_list", "box-seam", Module.CATALOG),
    NavItem(_("Conversations"), "marketing:conversation_list", "chat-dots", Module.LEADS),
    NavItem(_("Campaigns"), "marketing:campaign_list", "megaphone", Module.MARKETING),
    NavItem(_("Segments"), "marketing:segment_list", "funnel", Module.MARKETING),
    NavItem(_("Email campaigns"), "marketing:email_list", "envelope", Module.MARKETING),
    NavItem(_("Care occasions"), "marketing:occasion_list", "gift", Module.MARKETING),
    NavItem(_("Promotions"), "promotions:promotion_list", "tags", Module.MARKETING),
    NavItem(_("Marketing results"), "marketing:attribution", "graph-up-arrow", Module.REPORTS),
    NavItem(_("Personal data requests"), "privacy:request_list", "shield-lock", Module.PRIVACY),
    NavItem(_("Tickets"), "support:ticket_list", "headset", Module.SUPPORT),
    NavItem(_("Care calls"), "support:carecall_list", "telephone-outbound", Module.SUPPORT),
    NavItem(_("Call log"), "support:call_list", "telephone", Module.SUPPORT),
    NavItem(_("Ratings"), "support:review_list", "star-half", Module.SUPPORT),
    NavItem(_("Work orders"), "fieldservice:workorder_list", "tools", Module.FIELDSERVICE),
    NavItem(
        _("Dispatch board"), "fieldservice:dispatch", "calendar-week", Module.FIELDSERVICE, Action.CREATE
    ),
    NavItem(_("Installed products"), "fieldservice:asset_list", "hdd-stack", Module.FIELDSERVICE),
    NavItem(_("Maintenance plans"), "fieldservice:plan_list", "arrow-repeat", Module.FIELDSERVICE),
    NavItem(_("Dashboard"), "reports:dashboard", "speedometer2", Module.REPORTS),
    NavItem(_("Reports"), "reports:index", "bar-chart", Module.REPORTS),
    NavItem(_("Trash"), "events:trash", "trash", any_module_action=Action.DELETE),
    NavItem(_("Activity log"), "events:log", "journal-text", Module.ADMIN),
    NavItem(_("Administration"), "users:user_list", "gear", Module.ADMIN),
]


def nav_for(user: Any, current_path: str = "") -> list[dict[str, Any]]:
    items = []
    for item in NAV:
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        if item.module and not access.can(user, item.module, item.action):
            continue
        if item.any_module_action and not any(
            access.can(user, m, item.any_module_action) for m in Module.values
        ):
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append(
            {"label": item.label, "url": url, "icon": item.icon, "active": active, "name": item.url_name}
        )
    return items
