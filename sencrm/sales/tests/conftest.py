import pytest

from sencrm.sales.defaults import sync_sales_defaults
from sencrm.sales.models import Pipeline, ScoringRule, Stage


@pytest.fixture
def pipelines(db, hanoi):
    # Transactional (browser) tests flush the tables that the data migration filled.
    sync_sales_defaults(Pipeline, Stage, ScoringRule)
    return list(Pipeline.objects.order_by("position"))


@pytest.fixture
def retail(pipelines):
    return pipelines[0]


@pytest.fixture
def make_lead(org, pipelines):
    from sencrm.sales import services

    def make(owner="sales1", full_name="Phạm Minh Khang", phones=("0903 111 222",), emails=(), **data):
        return services.lead_create(
            actor=org[owner], data={"full_name": full_name, **data}, phones=list(phones), emails=list(emails)
        )

    return make


@pytest.fixture
def make_opportunity(org, retail):
    from sencrm.sales import services

    def make(owner="sales1", name="Điều hòa 2 chiều cho văn phòng", amount=50_000_000, **data):
        return services.opportunity_create(
            actor=org[owner], data={"name": name, "amount": amount, "pipeline": retail, **data}
        )

    return make


@pytest.fixture
def in_english(org):
    """Let these users read the app in English (tests that check a message's wording)."""

    def switch(*usernames):
        for name in usernames:
            org[name].language = "en"
            org[name].save(update_fields=["language"])

    return switch
