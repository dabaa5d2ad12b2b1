from django.urls import path

from sencrm.savedviews import views

app_name = "savedviews"

urlpatterns = [
    path("views/<str:list_name>/save/", views.saved_view_save, name="saved_view_save"),
    path("views/<str:list_name>/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
]
