"""Lists and forms people work in: phone links, folded filters, the bulk bar and its confirm step,
the sectioned contact form with its searchable account, search results that tell namesakes apart."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sencrm.customers import services
from sencrm.customers.models import Account, Contact, CustomerGroup

pytestmark = pytest.mark.django_db


def account(org, owner="sales1", name="Công ty Ánh Dương", phones=(), **data):
    return services.account_create(actor=org[owner], data={"name": name, **data}, phones=list(phones))


# --- Lists ------------------------------------------------------------------------------------------


def test_contact_row_has_a_tel_link_that_does_not_wrap_and_is_shown_on_phones(client_as, make_contact):
    make_contact(phones=["0912 345 678"])
    html = client_as("sales1").get(reverse("customers:contact_list")).content.decode()
    cell = re.search(r'<td class="([^"]*)">[^<]*<a class="phone-link text-nowrap" href="([^"]+)"', html)
    assert cell is not None
    assert "d-none" not in cell.group(1)  # visible at 390 px, beside name and stage
    assert cell.group(2) == "tel:+84912345678"


def test_lead_and_account_lists_use_the_same_phone_cell(client_as, org):
    from sencrm.sales import services as sales_services

    account(org, phones=["024 3826 1234"])
    sales_services.lead_create(
        actor=org["sales1"], data={"full_name": "Phạm Văn Lợi"}, phones=["0987 111 222"]
    )
    client = client_as("sales1")
    assert 'href="tel:+842438261234"' in client.get(reverse("customers:account_list")).content.decode()
    assert 'href="tel:+84987111222"' in client.get(reverse("sales:lead_list")).content.decode()


def test_filters_fold_behind_one_button_that_counts_the_active_ones(client_as, make_contact):
    make_contact()
    client = client_as("sales1")
    html = client.get(reverse("customers:contact_list")).content.decode()
    assert 'data-testid="filters-toggle"' in html and "Bộ lọc" in html
    assert 'class="collapse d-md-block list-filter-panel"' in html
    assert re.search(r'data-testid="filters-active" hidden>0<', html)  # nothing filtered, no badge
    html = client.get(
        reverse("customers:contact_list"), {"lifecycle_stage": "lead", "q": "x", "sort": "name"}
    )
    badge = re.search(r'data-testid="filters-active">(\d+)<', html.content.decode())
    assert badge and badge.group(1) == "1"  # the search box and the sort are not filters
    # The leads list shares the partial.
    assert 'data-testid="filters-toggle"' in client.get(reverse("sales:lead_list")).content.decode()


# --- Bulk bar -----------------------------------------------------------------------------------------


def test_bulk_bar_is_hidden_with_empty_choices_and_the_all_box_apart_from_apply(client_as, make_contact):
    make_contact()
    html = client_as("sales1").get(reverse("customers:contact_list")).content.decode()
    bar = html[html.index('data-testid="bulk-bar"') - 80 : html.index("</form>", html.index("bulk-bar"))]
    assert " hidden " in bar  # shown by static/js/lists.js once a row is ticked
    selects = re.findall(r"<select[^>]*>(.*?)</select>", bar, re.S)
    assert len(selects) == 5
    for options in selects:
        assert re.match(r'\s*<option value="">— chọn —</option>', options)
        assert "selected" not in options
    # The "all matching" box sits in its own explained row, after Apply.
    assert bar.index('data-testid="bulk-apply"') < bar.index('data-testid="bulk-all"')
    assert "Không chỉ các dòng đã đánh dấu" in bar


def test_bulk_asks_for_confirmation_with_the_count_and_changes_nothing_before(client_as, org, make_contact):
    mine = [make_contact(full_name=f"Khách {i}", phones=[f"0912 000 00{i}"]) for i in range(3)]
    theirs = make_contact(owner="sales2", full_name="Của Người Khác", phones=["0988 000 222"])
    client = client_as("sales1")
    ids = [c.pk for c in mine[:2]] + [theirs.pk]
    response = client.post(
        reverse("customers:contact_bulk"), {"action": "set_stage", "value_stage": "customer", "ids": ids}
    )
    assert response.status_code == 200
    html = response.content.decode()
    # Two of the three ticked rows can change: the other team's contact is not counted.
    assert "Thay đổi 2 bản ghi?" in html
    assert Contact.objects.filter(lifecycle_stage="customer").count() == 0
    fields = dict(
        re.findall(r'<input type="hidden" name="(action|value_stage|confirm)" value="([^"]*)"', html)
    )
    assert fields == {"action": "set_stage", "value_stage": "customer", "confirm": "1"}
    posted = re.findall(r'<input type="hidden" name="ids" value="(\d+)"', html)
    confirmed = client.post(
        reverse("customers:contact_bulk"),
        {"action": "set_stage", "value_stage": "customer", "ids": posted, "confirm": "1"},
    )
    assert confirmed.status_code == 302
    assert set(Contact.objects.filter(lifecycle_stage="customer").values_list("pk", flat=True)) == set(
        ids[:2]
    )


def test_bulk_confirmation_counts_all_matching_records(client_as, org, make_contact):
    for i in range(4):
        make_contact(full_name=f"Lead {i}", phones=[f"0912 000 10{i}"])
    make_contact(full_name="Khách thật", phones=["0912 000 200"], lifecycle_stage="customer")
    group = CustomerGroup.objects.create(name="Đại lý")
    response = client_as("sales1").post(
        reverse("customers:contact_bulk"),
        {"action": "set_group", "value_group": group.pk, "all": "1", "querystring": "lifecycle_stage=lead"},
    )
    assert "Thay đổi 4 bản ghi?" in response.content.decode() and "Đại lý" in response.content.decode()
    assert not Contact.objects.filter(customer_group=group).exists()


def test_bulk_with_nothing_in_scope_says_so_instead_of_confirming(client_as, make_contact):
    theirs = make_contact(owner="sales2")
    response = client_as("sales1").post(
        reverse("customers:contact_bulk"), {"action": "delete", "ids": [theirs.pk]}, follow=True
    )
    assert "Bạn không có quyền thay đổi liên hệ nào" in response.content.decode()
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_bulk_group_needs_an_explicit_choice_and_can_clear_it(client_as, org, make_contact):
    group = CustomerGroup.objects.create(name="Đại lý")
    c = make_contact(customer_group=group)
    client = client_as("sales1")
    url = reverse("customers:contact_bulk")
    # The empty "— chọn —" is not "no group".
    client.post(url, {"action": "set_group", "value_group": "", "ids": [c.pk], "confirm": "1"})
    c.refresh_from_db()
    assert c.customer_group == group
    client.post(url, {"action": "set_group", "value_group": "none", "ids": [c.pk], "confirm": "1"})
    c.refresh_from_db()
    assert c.customer_group is None


# --- Contact form -------------------------------------------------------------------------------------


def test_contact_form_is_grouped_in_sections_with_labelled_consent(client_as):
    html = client_as("sales1").get(reverse("customers:contact_create")).content.decode()
    order = [
        "form-section-identity",
        "form-section-contact",
        "form-section-address",
        "form-section-classification",
        "form-section-consent",
    ]
    positions = [html.index(f'data-testid="{key}"') for key in order]
    assert positions == sorted(positions)
    for heading in ["Thông tin cá nhân", "Liên hệ", "Địa chỉ", "Phân loại", "Đồng ý nhận thông tin"]:
        assert f">{heading}</legend>" in html
    consent = html[html.index('data-testid="form-section-consent"') :]
    consent = consent[: consent.index("</fieldset>")]
    for field, label in [("email", "Email"), ("sms", "SMS"), ("zalo", "Zalo"), ("phone", "Gọi điện")]:
        assert f'<label class="form-check-label" for="id_consent_{field}">{label}</label>' in consent
    # Phones and emails are in "Liên hệ", the stage in "Phân loại".
    contact = html[positions[1] : positions[2]]
    assert 'name="phones"' in contact and 'name="emails"' in contact
    assert 'name="lifecycle_stage"' in html[positions[3] : positions[4]]


def test_account_form_groups_the_same_fields(client_as):
    html = client_as("sales1").get(reverse("customers:account_create")).content.decode()
    for key in ["identity", "contact", "address", "classification"]:
        assert f'data-testid="form-section-{key}"' in html
    assert "Thông tin doanh nghiệp" in html


def test_account_field_is_a_searchable_box_not_a_list_of_every_account(client_as, org):
    for i in range(30):
        account(org, name=f"Công ty số {i}")
    html = client_as("sales1").get(reverse("customers:contact_create")).content.decode()
    assert 'data-autocomplete="/accounts/autocomplete/"' in html
    assert "Công ty số" not in html  # no <option> per account
    assert '<input type="hidden" name="account" value=""' in html


def test_contact_form_saves_a_visible_account_and_refuses_another_teams(client_as, org):
    mine, theirs = account(org), account(org, owner="sales2", name="Công ty Bên Kia")
    client = client_as("sales1")
    base = {"full_name": "Trần Văn Khoa", "lifecycle_stage": "lead"}
    response = client.post(reverse("customers:contact_create"), {**base, "account": theirs.pk})
    assert response.status_code == 400 and not Contact.objects.filter(full_name="Trần Văn Khoa").exists()
    response = client.post(reverse("customers:contact_create"), {**base, "account": mine.pk})
    assert response.status_code == 302
    contact = Contact.objects.get(full_name="Trần Văn Khoa")
    assert contact.account == mine
    # The edit form shows the chosen account's name in the text box.
    html = client.get(reverse("customers:contact_edit", args=[contact.pk])).content.decode()
    assert f'name="account" value="{mine.pk}"' in html and 'value="Công ty Ánh Dương"' in html


def test_account_autocomplete_is_scoped_accent_insensitive_and_limited(
    client_as, org, django_assert_max_num_queries
):
    account(org, name="Công ty Ánh Dương", tax_code="0101234567")
    account(org, owner="sales2", name="Công ty Ánh Sáng")
    for i in range(25):
        account(org, name=f"Cửa hàng Đông Á {i}")
    client = client_as("sales1")
    url = reverse("customers:account_autocomplete")
    html = client.get(url, {"q": "cong ty anh"}).content.decode()
    assert "Công ty Ánh Dương" in html and "0101234567" in html
    assert "Ánh Sáng" not in html  # another team's account never appears
    with django_assert_max_num_queries(8):
        html = client.get(url, {"q": "dong a"}).content.decode()
    assert html.count('data-testid="suggestion"') == 20
    assert "Không tìm thấy" in client.get(url, {"q": "anh sang"}).content.decode()
    assert Account.objects.count() == 27
    assert client_as("sales2").get(url, {"q": "anh sang"}).content.decode().count("Ánh Sáng") == 2


def test_account_autocomplete_needs_sign_in(client):
    response = client.get(reverse("customers:account_autocomplete"), {"q": "a"})
    assert response.status_code == 302


# --- Search results -----------------------------------------------------------------------------------


def _results(client, q):
    html = client.get(reverse("core:search"), {"q": q}).content.decode()
    return re.findall(r'data-testid="search-detail">([^<]*)<', html)


def test_namesakes_in_search_results_have_a_second_line(client_as, org, make_contact):
    company = account(org, name="Công ty Sen Hồng")
    make_contact(full_name="Nguyễn Văn Bình", phones=["0912 111 111"])
    make_contact(full_name="Nguyễn Văn Bình", phones=["0912 222 222"], account=company)
    make_contact(full_name="Nguyễn Văn Bình", phones=["0912 333 333"])
    details = _results(client_as("sales1"), "nguyen van binh")
    assert len(details) == 3 and len(set(details)) == 3
    # Phone, then account, then province: what exists.
    assert details[0].startswith("0912 111 111 · ") and "Công ty" not in details[0]
    assert details[1].startswith("0912 222 222 · Công ty Sen Hồng · ")


def test_search_results_cost_the_same_queries_for_many_results(
    client_as, org, make_contact, django_assert_max_num_queries
):
    from sencrm.sales import services as sales_services

    client = client_as("sales1")
    company = account(org, name="Công ty Bình An", phones=["024 3826 1234"])
    make_contact(full_name="Nguyễn Văn Bình", account=company)
    sales_services.lead_create(actor=org["sales1"], data={"full_name": "Bình Lead"}, phones=["0987 111 000"])
    client.get(reverse("core:search"), {"q": "binh"})  # warm caches (session, role)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("core:search"), {"q": "binh"})
    for i in range(8):
        other = account(org, name=f"Công ty Bình {i}")
        make_contact(full_name=f"Trần Bình {i}", phones=[f"0913 000 00{i}"], account=other)
        sales_services.lead_create(
            actor=org["sales1"], data={"full_name": f"Bình Lead {i}"}, phones=[f"0987 111 00{i}"]
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        details = _results(client, "binh")
    assert len(details) >= 18  # many more rows than in the first count, same number of queries
