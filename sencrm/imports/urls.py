from django.urls import path

from sencrm.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/<str:target>/", views.import_new, name="import_new"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/layout/", views.import_layout, name="import_layout"),
    path("imports/<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/start/", views.import_start, name="import_start"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("imports/<int:pk>/undo/", views.import_undo, name="import_undo"),
    path("imports/<int:pk>/rejected/", views.import_errors, name="import_errors"),
    path("imports/<int:pk>/warnings/", views.import_warnings, name="import_warnings"),
]
