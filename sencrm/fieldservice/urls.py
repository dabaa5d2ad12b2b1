"""After-sales pages: each part of sencrm/fieldservice/views/ lists its own `urlpatterns`."""

from sencrm.fieldservice import views

app_name = "fieldservice"

urlpatterns = [*views.urlpatterns]
