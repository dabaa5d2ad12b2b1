"""Fixtures shared by the marketing tests."""

from sencrm.marketing.tests.attribution_data import book, seeds  # noqa: F401  (shared fixtures)
from sencrm.marketing.tests.campaign_helpers import make_campaign, pipelines  # noqa: F401  (shared fixtures)
from sencrm.marketing.tests.email_helpers import smtp  # noqa: F401  (shared fixtures)
