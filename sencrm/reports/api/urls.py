from django.urls import path
from rest_framework.routers import SimpleRouter

from sencrm.reports.api import views
from sencrm.reports.api.saved import SavedReportViewSet

router = SimpleRouter()
router.register("saved-reports", SavedReportViewSet, basename="saved-report")

urlpatterns = [
    path("reports/<slug:name>/", views.ReportView.as_view(), name="report"),
    path("reports/<slug:name>/drill/", views.DrillView.as_view(), name="report-drill"),
    *router.urls,
]
