from rest_framework.routers import SimpleRouter

from sencrm.activities.api import views

router = SimpleRouter()
router.register("activities", views.ActivityViewSet, basename="activity")

urlpatterns = router.urls
