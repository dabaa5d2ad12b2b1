from django.urls import path

from sencrm.activities import views

app_name = "activities"

urlpatterns = [
    path("my-day/", views.my_day, name="my_day"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:pk>/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/done/", views.activity_complete, name="activity_complete"),
    path("activities/<int:pk>/delete/", views.activity_delete, name="activity_delete"),
]
