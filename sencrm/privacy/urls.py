"""Personal-data requests: the register, deadlines, the person's export, anonymisation."""

from sencrm.privacy.views import requests, unsubscribe

app_name = "privacy"

urlpatterns = [*requests.urlpatterns, *unsubscribe.urlpatterns]
