"""After-sales pages, one module per concept; their URL patterns are gathered here."""

from __future__ import annotations

from sencrm.fieldservice.views import assets, config, dispatch, field, plans, workorders

urlpatterns = [
    *assets.urlpatterns,
    *plans.urlpatterns,
    *workorders.urlpatterns,
    *dispatch.urlpatterns,
    *field.urlpatterns,
    *config.urlpatterns,
]
