"""The promotions' pages (under the Marketing menu)."""

from sencrm.promotions.views import urlpatterns as pages

app_name = "promotions"

urlpatterns = [*pages]
