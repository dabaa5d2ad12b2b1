"""Customer care's pages, one module per concept; their URL patterns are gathered here."""

from __future__ import annotations

from sencrm.support.views import calls, carecalls, config, live, public, reviews, tickets

urlpatterns = [
    *tickets.urlpatterns,
    *config.urlpatterns,
    *calls.urlpatterns,
    *carecalls.urlpatterns,
    *reviews.urlpatterns,
    *public.urlpatterns,
    *live.urlpatterns,
]
