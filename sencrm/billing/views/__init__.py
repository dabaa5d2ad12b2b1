"""Pages of billing, one module a screen family (like sales/views/): invoices (list, page, form, issue,
corrections) and invoicing an order, returns, receipts and payment vouchers with their allocations,
receivables, and bank reconciliation. What they share is in common.py and core/record_views.py.

Every read starts from the access gate (out of scope: 404; a missing right: 403) and every write is a
service call (sencrm/billing/services.py, reconcile.py), whose ValidationErrors come back on the form
with a 400.

The URLconf (billing/urls.py) takes the views from here.
"""

from __future__ import annotations

from sencrm.billing.views.invoices import (
    invoice_correct,
    invoice_create,
    invoice_delete,
    invoice_detail,
    invoice_edit,
    invoice_einvoice,
    invoice_export,
    invoice_issue,
    invoice_list,
    invoice_pdf,
    invoice_totals,
    invoice_xml,
    order_invoice,
)
from sencrm.billing.views.payments import (
    payment_allocate,
    payment_create,
    payment_detail,
    payment_list,
    payment_pdf,
)
from sencrm.billing.views.reconciliation import (
    receivables,
    receivables_export,
    statement_confirm,
    statement_detail,
    statement_line_confirm,
    statement_line_ignore,
    statement_list,
    statement_sample,
)
from sencrm.billing.views.returns import order_return, return_detail, return_list

__all__ = [
    "invoice_correct",
    "invoice_create",
    "invoice_delete",
    "invoice_detail",
    "invoice_edit",
    "invoice_einvoice",
    "invoice_export",
    "invoice_issue",
    "invoice_list",
    "invoice_totals",
    "invoice_pdf",
    "invoice_xml",
    "order_invoice",
    "order_return",
    "payment_allocate",
    "payment_create",
    "payment_detail",
    "payment_list",
    "payment_pdf",
    "receivables",
    "receivables_export",
    "return_detail",
    "return_list",
    "statement_confirm",
    "statement_detail",
    "statement_line_confirm",
    "statement_line_ignore",
    "statement_list",
    "statement_sample",
]
