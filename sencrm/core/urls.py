from django.urls import path

from sencrm.core import views

app_name = "core"

urlpatterns = [
    path("search/", views.search, name="search"),
]
