from django.urls import path

from sencrm.reports.api import views

urlpatterns = [
    path("reports/<slug:name>/", views.ReportView.as_view(), name="report"),
    path("reports/<slug:name>/drill/", views.DrillView.as_view(), name="report-drill"),
]
