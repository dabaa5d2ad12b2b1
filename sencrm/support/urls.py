"""Customer care's pages: each part of sencrm/support/views/ lists its own `urlpatterns`."""

from sencrm.support import views

app_name = "support"

urlpatterns = [*views.urlpatterns]
