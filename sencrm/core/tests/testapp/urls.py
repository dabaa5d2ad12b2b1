from django.urls import path

from . import views

app_name = "testapp"

urlpatterns = [
    path("gadgets/", views.gadget_list, name="gadget_list"),
    path("gadgets/<int:pk>/", views.gadget_detail, name="gadget_detail"),
    path("gadgets/<int:pk>/edit/", views.gadget_edit, name="gadget_edit"),
    path("gadgets/<int:pk>/delete/", views.gadget_delete, name="gadget_delete"),
]
