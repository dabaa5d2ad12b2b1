from rest_framework.routers import SimpleRouter

from sencrm.commerce.api import views

router = SimpleRouter()
router.register("quotes", views.QuoteViewSet, basename="quote")
router.register("orders", views.OrderViewSet, basename="order")
router.register("contracts", views.ContractViewSet, basename="contract")

urlpatterns = router.urls
