from django.urls import include, path

from config.urls import handler403, handler404, handler500, urlpatterns

urlpatterns = [*urlpatterns, path("test/", include("sencrm.core.tests.testapp.urls"))]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
