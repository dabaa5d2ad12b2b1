"""The built-in roles and their default grants (administrators may edit them afterwards)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from sencrm.core.modules import Action as A
from sencrm.core.modules import Module as M
from sencrm.core.modules import Scope as S

ALL_ACTIONS = [a.value for a in A]
WORK = [A.VIEW, A.CREATE, A.EDIT, A.DELETE, A.EXPORT, A.IMPORT]
SALES_MODULES = [M.CUSTOMERS, M.LEADS, M.SALES, M.ACTIVITIES, M.COMMERCE]
OPERATIONS = [*SALES_MODULES, M.MARKETING, M.SUPPORT, M.FIELDSERVICE, M.COLLABORATION]


def _grants(modules: list[M], actions: list[A], scope: S) -> list[tuple[str, str, str]]:
    return [(m.value, a.value, scope.value) for m in modules for a in actions]


# code -> (name as a translatable source string, description, grants)
DEFAULT_ROLES: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "admin": (
        gettext_noop("Administrator"),
        gettext_noop("Everything, including users, teams, roles and settings."),
        _grants(list(M), list(A), S.ALL),
    ),
    "manager": (
        gettext_noop("Manager"),
        gettext_noop("Works with the records of their teams; sees their teams' reports."),
        _grants(OPERATIONS, WORK, S.TEAM)
        + _grants([M.CATALOG], WORK, S.ALL)
        + _grants([M.BILLING], [A.VIEW, A.EXPORT], S.TEAM)
        + _grants([M.REPORTS], [A.VIEW, A.EXPORT], S.TEAM),
    ),
    "sales": (
        gettext_noop("Sales"),
        gettext_noop("Works with their own customers, leads, opportunities, quotes and orders."),
        _grants(SALES_MODULES, [A.VIEW, A.CREATE, A.EDIT, A.DELETE, A.EXPORT], S.OWN)
        + _grants([M.CATALOG], [A.VIEW, A.EXPORT], S.ALL)
        # Campaigns are named on leads and opportunities (first and latest touch).
        + _grants([M.MARKETING], [A.VIEW], S.ALL)
        + _grants([M.BILLING], [A.VIEW, A.EXPORT], S.OWN)
        + _grants([M.COLLABORATION], [A.VIEW, A.CREATE, A.EDIT], S.OWN),
    ),
    "marketing": (
        gettext_noop("Marketing"),
        gettext_noop(
            "Reads all customers and leads, captures leads and Fanpage/Zalo conversations, runs their own "
            "campaigns, reads every campaign's results and handles personal-data requests."
        ),
        _grants([M.CUSTOMERS], [A.VIEW], S.ALL)
        + _grants([M.LEADS], [A.VIEW], S.ALL)
        + _grants([M.LEADS], [A.CREATE, A.EDIT, A.IMPORT], S.OWN)
        + _grants([M.MARKETING], [A.CREATE, A.EDIT, A.DELETE, A.IMPORT], S.OWN)
        + _grants([M.MARKETING], [A.VIEW, A.EXPORT], S.ALL)
        + _grants([M.PRIVACY], WORK, S.ALL)
        + _grants([M.CATALOG], [A.VIEW], S.ALL)
        + _grants([M.ACTIVITIES], [A.VIEW, A.CREATE, A.EDIT], S.OWN)
        # Revenue by campaign and channel (attribution) is the marketing department's own report.
        + _grants([M.REPORTS], [A.VIEW, A.EXPORT], S.ALL),
    ),
    "care": (
        gettext_noop("Customer care"),
        gettext_noop("Reads all customers; handles tickets, care calls and reviews."),
        _grants([M.CUSTOMERS], [A.VIEW], S.ALL)
        # A caller nobody knows yet becomes a contact from the screen pop.
        + _grants([M.CUSTOMERS], [A.CREATE, A.EDIT], S.OWN)
        + _grants([M.SUPPORT], [A.VIEW, A.CREATE, A.EDIT, A.EXPORT], S.ALL)
        # Customers ask care for a copy or the deletion of their data: care registers the request.
        + _grants([M.PRIVACY], [A.VIEW, A.CREATE], S.ALL)
        + _grants([M.COMMERCE, M.CATALOG], [A.VIEW], S.ALL)
        + _grants([M.ACTIVITIES], [A.VIEW, A.CREATE, A.EDIT], S.OWN)
        # Care dispatches field work (work orders from tickets, the dispatch board, installed products).
        + _grants([M.FIELDSERVICE], [A.VIEW, A.CREATE, A.EDIT, A.EXPORT], S.ALL),
    ),
    "technician": (
        gettext_noop("Technician"),
        gettext_noop("Their own work orders and the customers on them; the tickets of their care queues."),
        # "Own" customers for a technician are the customers on their work orders: the field
        # service module widens Contact/Account.access_q for that.
        _grants([M.FIELDSERVICE], [A.VIEW, A.EDIT], S.OWN)
        # Second-line tickets: those of the queues they are members of (support.Ticket.access_q).
        + _grants([M.SUPPORT], [A.VIEW, A.CREATE, A.EDIT], S.TEAM)
        + _grants([M.CUSTOMERS], [A.VIEW], S.OWN)
        + _grants([M.CATALOG], [A.VIEW], S.ALL)
        + _grants([M.ACTIVITIES], [A.VIEW, A.CREATE, A.EDIT], S.OWN),
    ),
    "accountant": (
        gettext_noop("Accountant"),
        gettext_noop(
            "Invoices, receipts, payment vouchers, bank reconciliation and receivables for all "
            "customers; reads quotes, orders and contracts."
        ),
        _grants([M.BILLING], WORK, S.ALL)
        + _grants([M.COMMERCE], [A.VIEW, A.EXPORT], S.ALL)
        + _grants([M.CUSTOMERS], [A.VIEW, A.EXPORT], S.ALL)
        + _grants([M.CATALOG], [A.VIEW, A.EXPORT], S.ALL)
        + _grants([M.ACTIVITIES], [A.VIEW, A.CREATE, A.EDIT], S.OWN)
        + _grants([M.REPORTS], [A.VIEW, A.EXPORT], S.ALL),
    ),
    "board": (
        gettext_noop("Board"),
        gettext_noop("Dashboards and reports over the whole company; no record editing."),
        _grants([M.REPORTS], [A.VIEW, A.EXPORT], S.ALL),
    ),
}
