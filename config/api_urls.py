"""/api/v1/: each module adds its router; the schema and its docs are generated from the views."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

app_name = "api"

urlpatterns = [
    path("", include("sencrm.customers.api.urls")),
    path("", include("sencrm.activities.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
