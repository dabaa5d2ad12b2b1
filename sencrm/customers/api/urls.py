from django.urls import path
from rest_framework.routers import SimpleRouter

from sencrm.customers.api import views

router = SimpleRouter()
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("accounts", views.AccountViewSet, basename="account")

urlpatterns = [
    path("caller-id/", views.caller_id, name="caller-id"),
    *router.urls,
]
