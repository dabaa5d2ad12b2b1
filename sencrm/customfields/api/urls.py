from rest_framework.routers import SimpleRouter

from sencrm.customfields.api import views

router = SimpleRouter()
router.register("custom-fields", views.CustomFieldViewSet, basename="custom-field")

urlpatterns = router.urls
