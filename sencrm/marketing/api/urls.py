"""Marketing's API: campaigns and costs, conversations, the attribution report, and the platforms'
inbound webhooks (/api/v1/inbound/facebook/, /api/v1/inbound/zalo/)."""

from sencrm.marketing.api import attribution, campaigns, conversations, email_campaigns, segments
from sencrm.marketing.inbound import views as inbound

urlpatterns = [
    *campaigns.urlpatterns,
    *segments.urlpatterns,
    *email_campaigns.urlpatterns,
    *conversations.urlpatterns,
    *attribution.urlpatterns,
    *inbound.urlpatterns,
]
