import pytest

from sencrm.customers import services
from sencrm.customers.choices import sync_reference_data
from sencrm.customers.models import Province, SourceChannel


@pytest.fixture
def hanoi(db):
    # Transactional (browser) tests flush the tables that the data migration filled.
    sync_reference_data(Province, SourceChannel)
    return Province.objects.get(code="ha-noi")


@pytest.fixture
def make_contact(org, hanoi):
    def make(owner="sales1", full_name="Nguyễn Thị Ánh Tuyết", phones=("0912 345 678",), emails=(), **data):
        user = org[owner]
        return services.contact_create(
            actor=user,
            data={"full_name": full_name, "province": hanoi, **data},
            phones=list(phones),
            emails=list(emails),
        )

    return make
