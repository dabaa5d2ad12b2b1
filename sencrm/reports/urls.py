from django.urls import path

from sencrm.reports import views

urlpatterns = [
    path("", views.home, name="home"),
]
