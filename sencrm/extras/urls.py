from django.urls import path

from sencrm.extras import views

app_name = "extras"

urlpatterns = [
    path("admin/custom-fields/", views.custom_field_list, name="custom_field_list"),
    path("admin/custom-fields/new/", views.custom_field_edit, name="custom_field_create"),
    path("admin/custom-fields/<int:pk>/", views.custom_field_edit, name="custom_field_edit"),
    path("admin/custom-fields/<int:pk>/delete/", views.custom_field_delete, name="custom_field_delete"),
    path("views/<str:list_name>/save/", views.saved_view_save, name="saved_view_save"),
    path("views/<str:list_name>/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
]

# Imports (sencrm/extras/import_views.py)
from sencrm.extras import import_views  # noqa: E402

urlpatterns += [
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/new/<str:target>/", import_views.import_new, name="import_new"),
    path("imports/<int:pk>/", import_views.import_job, name="import_job"),
    path("imports/<int:pk>/layout/", import_views.import_layout, name="import_layout"),
    path("imports/<int:pk>/mapping/", import_views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/start/", import_views.import_start, name="import_start"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("imports/<int:pk>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("imports/<int:pk>/undo/", import_views.import_undo, name="import_undo"),
    path("imports/<int:pk>/rejected/", import_views.import_errors, name="import_errors"),
    path("imports/<int:pk>/warnings/", import_views.import_warnings, name="import_warnings"),
]
