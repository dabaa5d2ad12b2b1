from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from sencrm.users.urls import auth_urlpatterns

urlpatterns = [
    *auth_urlpatterns,
    path("", include("sencrm.home.urls")),
    path("", include("sencrm.core.urls")),
    path("", include("sencrm.users.urls")),
    path("", include("sencrm.events.urls")),
    path("", include("sencrm.customers.urls")),
    path("", include("sencrm.activities.urls")),
    path("", include("sencrm.sales.urls")),
    path("", include("sencrm.customfields.urls")),
    path("", include("sencrm.savedviews.urls")),
    path("", include("sencrm.imports.urls")),
    path("", include("sencrm.catalog.urls")),
    path("", include("sencrm.documents.urls")),
    path("", include("sencrm.commerce.urls")),
    path("", include("sencrm.billing.urls")),
    path("", include("sencrm.marketing.urls")),
    path("", include("sencrm.promotions.urls")),
    path("", include("sencrm.privacy.urls")),
    path("", include("sencrm.support.urls")),
    path("", include("sencrm.fieldservice.urls")),
    path("", include("sencrm.reports.urls")),
    path("api/v1/", include("config.api_urls", namespace="api")),
    path("django-admin/", admin.site.urls),
]

handler403 = "sencrm.core.views.permission_denied"
handler404 = "sencrm.core.views.page_not_found"
handler500 = "sencrm.core.views.server_error"
