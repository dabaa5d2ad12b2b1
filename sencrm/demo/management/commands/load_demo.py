from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sencrm.demo.activities import load_activities
from sencrm.demo.billing import load_billing
from sencrm.demo.commerce import load_commerce
from sencrm.demo.company import load_company
from sencrm.demo.customers import load_customers
from sencrm.demo.fieldservice import load_fieldservice
from sencrm.demo.history import load_history
from sencrm.demo.marketing import load_marketing
from sencrm.demo.organisation import load_organisation
from sencrm.demo.promotions import load_promotions
from sencrm.demo.reports import load_reports
from sencrm.demo.sales import load_sales
from sencrm.demo.support import load_support


class Command(BaseCommand):
    help = "Load the demo organisation and data (idempotent: running it twice duplicates nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        users = load_organisation()
        load_company(users)  # the letterhead of the demo's quotes, orders and contracts
        customers = load_customers(users)
        activities = load_activities(users)
        # After customers and activities: deals are made with the demo's contacts and accounts.
        leads, opportunities = load_sales(users)
        # After sales: quotes are made from the demo's opportunities, orders from the won ones.
        quotes, orders, contracts = load_commerce(users)
        # After commerce: the delivered orders are invoiced and (mostly) paid.
        invoices, payments = load_billing(users)
        # After billing: campaigns are credited with the leads, customers and receipts already there.
        campaigns = load_marketing(users)
        # After marketing: promotions name its campaigns; their orders are placed with their codes.
        load_promotions(users)
        # After commerce and marketing: tickets name the demo's customers; care calls follow deliveries.
        tickets = load_support(users)
        # After support: the deliveries made the installed products; technicians, plans and work orders.
        work_orders = load_fieldservice(users)
        # After field service (its parts are sold too): three years of past sales and receipts, numbered
        # in date order together with this year's billing.
        history = load_history(users)
        # After the history: this year's revenue targets and the board's saved reports.
        load_reports(users)
        # Leave the planner statistics fresh for what was just loaded (autovacuum may be off or lag).
        from django.apps import apps

        from sencrm.core.db import analyze, written_tables

        tables = [
            t
            for label in (
                "customers.Contact",
                "customers.Account",
                "sales.Lead",
                "sales.Opportunity",
                "catalog.Product",
                "commerce.Quote",
                "commerce.Order",
                "commerce.Contract",
                "billing.Invoice",
                "billing.Payment",
                "marketing.Campaign",
                "marketing.CampaignCost",
                "marketing.Conversation",
                "marketing.ConversationMessage",
                "support.Ticket",
                "support.CareCall",
                "fieldservice.Asset",
                "fieldservice.WorkOrder",
                "fieldservice.MaintenanceVisit",
            )
            for t in written_tables(apps.get_model(label))
        ]
        analyze(list(dict.fromkeys(tables)))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} demo users (password: demo); "
                f"added {customers} customers, {activities} activities, {leads} leads, "
                f"{opportunities} opportunities, {quotes} quotes, {orders} orders, {contracts} contracts, "
                f"{invoices} invoices, {payments} receipts, {campaigns} campaigns, {tickets} tickets and "
                f"{work_orders} work orders; {history} invoices of past years."
            )
        )
