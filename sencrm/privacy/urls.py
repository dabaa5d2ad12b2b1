"""Personal-data requests: the register, deadlines, the person's export, anonymisation."""

from sencrm.privacy.views import requests

app_name = "privacy"

urlpatterns = [*requests.urlpatterns]
