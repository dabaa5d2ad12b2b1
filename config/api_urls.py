"""/api/v1/: each module adds its router; the schema and its docs are generated from the views."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from sencrm.core.api.docs import ApiDocsView

app_name = "api"

urlpatterns = [
    path("", include("sencrm.customers.api.urls")),
    path("", include("sencrm.activities.api.urls")),
    path("", include("sencrm.sales.api.urls")),
    path("", include("sencrm.catalog.api.urls")),
    path("", include("sencrm.commerce.api.urls")),
    path("", include("sencrm.billing.api.urls")),
    path("", include("sencrm.marketing.api.urls")),
    path("", include("sencrm.promotions.api.urls")),
    path("", include("sencrm.privacy.api.urls")),
    path("", include("sencrm.support.api.urls")),
    path("", include("sencrm.fieldservice.api.urls")),
    path("", include("sencrm.reports.api.urls")),
    path("", include("sencrm.events.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("sencrm.users.api.urls")),
    path("", include("sencrm.customfields.api.urls")),
    path("docs/", ApiDocsView.as_view(), name="docs"),
]
