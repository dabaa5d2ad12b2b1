from django.urls import path

from sencrm.customfields import views

app_name = "customfields"

urlpatterns = [
    path("admin/custom-fields/", views.custom_field_list, name="custom_field_list"),
    path("admin/custom-fields/new/", views.custom_field_edit, name="custom_field_create"),
    path("admin/custom-fields/<int:pk>/", views.custom_field_edit, name="custom_field_edit"),
    path("admin/custom-fields/<int:pk>/delete/", views.custom_field_delete, name="custom_field_delete"),
]
