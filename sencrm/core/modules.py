"""The vocabulary of the access gate: modules, actions and scopes that a role's grants name."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Module(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    LEADS = "leads", _("Leads")
    SALES = "sales", _("Opportunities")
    ACTIVITIES = "activities", _("Activities")
    CATALOG = "catalog", _("Products and price lists")
    COMMERCE = "commerce", _("Quotes, orders and contracts")
    BILLING = "billing", _("Invoices and payments")
    MARKETING = "marketing", _("Marketing")
    PRIVACY = "privacy", _("Personal data requests")
    SUPPORT = "support", _("Customer care")
    FIELDSERVICE = "fieldservice", _("Field service")
    COLLABORATION = "collaboration", _("Collaboration")
    REPORTS = "reports", _("Reports and dashboards")
    ADMIN = "admin", _("Administration")


class Action(models.TextChoices):
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")


class Scope(models.TextChoices):
    OWN = "own", _("Own")
    TEAM = "team", _("Team")
    ALL = "all", _("All")


# A wider scope includes the narrower ones; used to compare and combine grants.
SCOPE_RANK: dict[str, int] = {Scope.OWN: 1, Scope.TEAM: 2, Scope.ALL: 3}


def widest(*scopes: str | None) -> str | None:
    present = [s for s in scopes if s]
    return max(present, key=SCOPE_RANK.__getitem__) if present else None
