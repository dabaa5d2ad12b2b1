from django.urls import path

from sencrm.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.index, name="index"),
    path("reports/dashboard/", views.dashboard, name="dashboard"),
    path("reports/dashboard/arrange/", views.dashboard_edit, name="dashboard_edit"),
    path("reports/targets/", views.targets, name="targets"),
    path("reports/<slug:name>/", views.report_page, name="report"),
    path("reports/<slug:name>/drill/", views.drill, name="drill"),
    path("reports/<slug:name>/export/", views.export, name="export"),
]
