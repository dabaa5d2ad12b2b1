from django.urls import path
from rest_framework.routers import SimpleRouter

from sencrm.billing.api import views

router = SimpleRouter()
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("bank-statements", views.BankStatementViewSet, basename="bankstatement")
router.register("returns", views.ReturnViewSet, basename="return")

urlpatterns = [
    path("orders/<int:pk>/invoice/", views.OrderInvoiceView.as_view(), name="order-invoice"),
    *router.urls,
]
