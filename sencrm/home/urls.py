from django.urls import path

from sencrm.home import views

urlpatterns = [
    path("", views.home, name="home"),
]
