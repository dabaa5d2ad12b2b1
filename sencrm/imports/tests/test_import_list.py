"""The imports page explains itself to a role without the import right instead of showing an empty table."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["care", "board"])
def test_a_role_without_the_import_right_is_told_what_the_page_is_and_whom_to_ask(client_as, username):
    response = client_as(username).get(reverse("imports:import_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-intro"' in html and "CSV hoặc Excel (XLSX)" in html
    assert 'data-testid="import-not-allowed"' in html and "hãy hỏi quản trị viên" in html
    assert 'data-testid="import-list"' not in html  # no empty table
    assert 'data-testid="import-new-' not in html


def test_a_role_with_the_import_right_gets_the_list_and_a_start_button_per_record_type(client_as):
    html = client_as("manager").get(reverse("imports:import_list")).content.decode()
    assert 'data-testid="import-list"' in html and 'data-testid="import-not-allowed"' not in html
    assert 'data-testid="import-intro"' in html
    assert f'href="{reverse("imports:import_new", args=["contacts"])}"' in html
