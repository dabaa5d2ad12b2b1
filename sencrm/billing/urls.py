"""Pages of invoices, receipts and vouchers, bank reconciliation, receivables and returns."""

from django.urls import path

app_name = "billing"

urlpatterns: list[object] = []
