from django.urls import path

from . import views

app_name = "testapp"

urlpatterns = [
    path("gadgets/", views.GadgetListView.as_view(), name="gadget_list"),
    path("gadgets/<int:pk>/", views.GadgetDetailView.as_view(), name="gadget_detail"),
    path("gadgets/<int:pk>/edit/", views.GadgetUpdateView.as_view(), name="gadget_edit"),
    path("gadgets/<int:pk>/delete/", views.GadgetDeleteView.as_view(), name="gadget_delete"),
]
