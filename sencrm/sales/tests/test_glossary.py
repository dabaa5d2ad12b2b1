"""One name for one thing (docs/glossary.md): the menu entry, the list page's title and heading, the
detail page's breadcrumb and the list's "new" button use the same Vietnamese term."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from sencrm.customers import services as customer_services

pytestmark = pytest.mark.django_db

# The terms of docs/glossary.md, as the Vietnamese pages show them.
TERMS = {
    "customers:contact_list": "Người liên hệ",
    "customers:account_list": "Khách hàng tổ chức",
    "sales:lead_list": "Khách hàng tiềm năng",
    "sales:opportunity_board": "Cơ hội bán hàng",
}


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def menu_label(page: str, url_name: str) -> str:
    link = re.search(rf'<a [^>]*data-nav="{re.escape(url_name)}"[^>]*>(.*?)</a>', page, re.S)
    assert link, f"no menu entry for {url_name}"
    return text(link.group(1))


def heading(page: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert match
    return text(match.group(1))


def title(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    assert match
    return text(match.group(1))


def breadcrumb(page: str) -> str:
    match = re.search(r'<ol class="breadcrumb[^"]*">(.*?)</ol>', page, re.S)
    assert match, "no breadcrumb"
    return text(match.group(1))


def test_menu_titles_breadcrumbs_and_buttons_use_one_term(
    client_as, org, make_contact, make_lead, make_opportunity
):
    assert org["manager"].language in ("", "vi")
    contact = make_contact()
    account = customer_services.account_create(
        actor=org["sales1"], data={"name": "Công ty Sen Việt"}, phones=[]
    )
    lead = make_lead()
    opportunity = make_opportunity()
    details = {
        "customers:contact_list": contact.get_absolute_url(),
        "customers:account_list": account.get_absolute_url(),
        "sales:lead_list": lead.get_absolute_url(),
        "sales:opportunity_board": opportunity.get_absolute_url(),
    }
    client = client_as("manager")
    for url_name, term in TERMS.items():
        page = client.get(reverse(url_name)).content.decode()
        assert menu_label(page, url_name) == term
        assert heading(page) == term
        assert title(page).startswith(term)
        detail = client.get(details[url_name])
        assert detail.status_code == 200
        assert breadcrumb(detail.content.decode()) == term
        new_button = re.search(r'<a class="btn btn-sen btn-sm"[^>]*>(.*?)</a>', page, re.S)
        assert new_button and text(new_button.group(1)) == f"{term} mới"
