from rest_framework.routers import SimpleRouter

from sencrm.promotions.api import views

router = SimpleRouter()
router.register("promotions", views.PromotionViewSet, basename="promotion")

urlpatterns = router.urls
