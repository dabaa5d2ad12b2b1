from django.urls import path

from sencrm.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.index, name="index"),
    path("reports/dashboard/", views.dashboard, name="dashboard"),
    path("reports/dashboard/arrange/", views.dashboard_edit, name="dashboard_edit"),
    path("reports/targets/", views.targets, name="targets"),
    path("reports/builder/", views.builder_view, name="builder"),
    path("reports/rfm/segment/", views.rfm_save_segment, name="rfm_segment"),
    path("reports/saved/new/", views.saved_new, name="saved_new"),
    path("reports/saved/<int:pk>/", views.saved_page, name="saved"),
    path("reports/saved/<int:pk>/edit/", views.saved_edit, name="saved_edit"),
    path("reports/saved/<int:pk>/drill/", views.saved_drill, name="saved_drill"),
    path("reports/saved/<int:pk>/export/", views.saved_export, name="saved_export"),
    path("reports/<slug:name>/", views.report_page, name="report"),
    path("reports/<slug:name>/drill/", views.drill, name="drill"),
    path("reports/<slug:name>/export/", views.export, name="export"),
]
