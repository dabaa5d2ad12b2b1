"""Pages of invoices, receipts and vouchers, bank reconciliation, receivables and returns."""

from django.urls import path

from sencrm.billing import views

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/totals/", views.invoice_totals, name="invoice_totals"),
    path("invoices/export/", views.invoice_export, name="invoice_export"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/delete/", views.invoice_delete, name="invoice_delete"),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/einvoice/", views.invoice_einvoice, name="invoice_einvoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/einvoice.xml", views.invoice_xml, name="invoice_xml"),
    path("invoices/<int:pk>/correct/", views.invoice_correct, name="invoice_correct"),
    path("orders/<int:pk>/invoice/", views.order_invoice, name="order_invoice"),
    path("orders/<int:pk>/return/", views.order_return, name="order_return"),
    path("returns/", views.return_list, name="return_list"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/new/", views.payment_create, name="payment_create"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/allocate/", views.payment_allocate, name="payment_allocate"),
    path("payments/<int:pk>/pdf/", views.payment_pdf, name="payment_pdf"),
    path("receivables/", views.receivables, name="receivables"),
    path("receivables/export/", views.receivables_export, name="receivables_export"),
    path("bank-statements/", views.statement_list, name="statement_list"),
    path("bank-statements/sample.csv", views.statement_sample, name="statement_sample"),
    path("bank-statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("bank-statements/<int:pk>/confirm/", views.statement_confirm, name="statement_confirm"),
    path(
        "bank-statements/lines/<int:line_pk>/confirm/",
        views.statement_line_confirm,
        name="statement_line_confirm",
    ),
    path(
        "bank-statements/lines/<int:line_pk>/ignore/",
        views.statement_line_ignore,
        name="statement_line_ignore",
    ),
]
