"""Marketing's pages: campaigns and their costs, the Fanpage / Zalo conversation queue, attribution."""

from sencrm.marketing.views import (
    attribution,
    audience,
    campaigns,
    conversations,
    email_campaigns,
    occasions,
    segments,
)

app_name = "marketing"

urlpatterns = [
    *occasions.urlpatterns,
    *campaigns.urlpatterns,
    *conversations.urlpatterns,
    *attribution.urlpatterns,
    *audience.urlpatterns,
    *segments.urlpatterns,
    *email_campaigns.urlpatterns,
]
