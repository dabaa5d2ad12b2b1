"""/api/v1/consents/ (the consent ledger) and /api/v1/data-requests/."""

from sencrm.privacy.api import consents, requests

urlpatterns = [*consents.urlpatterns, *requests.urlpatterns]
