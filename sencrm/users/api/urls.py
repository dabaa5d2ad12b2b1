from rest_framework.routers import SimpleRouter

from sencrm.users.api import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")

urlpatterns = router.urls
