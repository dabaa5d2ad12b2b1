"""The sales module's pages: leads, opportunities (board, forecast), its settings, the public web form."""

from django.urls import include, path

app_name = "sales"

urlpatterns = [
    path("", include("sencrm.sales.views.lead_urls")),
    path("", include("sencrm.sales.views.opportunity_urls")),
    path("", include("sencrm.sales.views.settings_urls")),
]
