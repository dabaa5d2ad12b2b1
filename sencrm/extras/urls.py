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
