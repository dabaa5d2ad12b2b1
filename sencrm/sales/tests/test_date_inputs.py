"""Dates are typed and shown as dd/mm/yyyy (HH:MM) in both languages, whatever the browser's locale."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from sencrm.core.forms import DateField, DateTimeField
from sencrm.sales.filters import LeadFilter
from sencrm.sales.models import Lead, Opportunity

NOV_5 = dt.date(2026, 11, 5)
HCMC = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


class Dates(forms.Form):
    day = DateField(required=False)
    moment = DateTimeField(required=False)


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("typed", ["05/11/2026", "5/11/2026", "05-11-2026", "2026-11-05", " 05/11/2026 "])
def test_a_date_is_read_day_first_in_both_languages(language, typed):
    with translation.override(language):
        form = Dates({"day": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == NOV_5


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "typed",
    ["05/11/2026 14:30", "5/11/2026 14:30", "2026-11-05T14:30", "2026-11-05 14:30", "05-11-2026 14:30"],
)
def test_a_date_and_time_is_read_day_first_in_both_languages(language, typed):
    with translation.override(language):
        form = Dates({"moment": typed})
        assert form.is_valid(), form.errors
    moment = timezone.localtime(form.cleaned_data["moment"])
    assert (moment.date(), moment.hour, moment.minute) == (NOV_5, 14, 30)


@pytest.mark.parametrize(
    ("language", "message"),
    [("vi", "dd/mm/yyyy"), ("en", "Enter a valid date as dd/mm/yyyy")],
)
@pytest.mark.parametrize("typed", ["31/02/2026", "11/05/26x", "2026/13/45", "hôm nay"])
def test_a_bad_date_is_a_clear_form_error(language, message, typed):
    with translation.override(language):
        form = Dates({"day": typed, "moment": typed})
        assert not form.is_valid()
        assert message in form.errors["day"][0]
        assert "dd/mm/yyyy HH:MM" in form.errors["moment"][0]


def test_the_inputs_are_text_and_show_dd_mm_yyyy_whatever_the_language():
    for language in ("vi", "en"):
        with translation.override(language):
            html = str(Dates(initial={"day": NOV_5, "moment": dt.datetime(2026, 11, 5, 14, 30, tzinfo=HCMC)}))
        assert 'type="text"' in html and 'type="date' not in html
        assert 'value="05/11/2026"' in html and 'value="05/11/2026 14:30"' in html
        assert 'inputmode="numeric"' in html and 'placeholder="dd/mm/yyyy"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
def test_list_filters_read_day_first(language, org, make_lead):
    make_lead()
    with translation.override(language):
        for typed in ("05/11/2026", "5/11/2026", "2026-11-05"):
            filters = LeadFilter({"created_before": typed}, queryset=Lead.objects.all())
            assert filters.is_valid(), filters.errors
            assert filters.form.cleaned_data["created_before"] == NOV_5
        bad = LeadFilter({"created_before": "31/02/2026"}, queryset=Lead.objects.all())
        assert not bad.is_valid()


def _page(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_opportunity_saves_a_typed_close_date_and_shows_it_back(language, org, client_as, retail):
    org["sales1"].language = language
    org["sales1"].save(update_fields=["language"])
    client = client_as("sales1")
    data = {"name": "Máy lọc không khí", "amount": "12.000.000", "pipeline": retail.pk}
    response = client.post(reverse("sales:opportunity_create"), {**data, "expected_close_date": "31/02/2026"})
    assert response.status_code == 400
    assert "dd/mm/yyyy" in response.content.decode()
    assert not Opportunity.objects.exists()
    response = client.post(reverse("sales:opportunity_create"), {**data, "expected_close_date": "05/11/2026"})
    assert response.status_code == 302
    opp = Opportunity.objects.get()
    assert opp.expected_close_date == NOV_5
    html = _page(client, reverse("sales:opportunity_edit", args=[opp.pk]))
    assert 'value="05/11/2026"' in html and 'type="date"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_task_logged_on_a_contact_takes_a_typed_due_time(language, org, client_as, make_contact):
    from sencrm.activities.models import Activity

    org["sales1"].language = language
    org["sales1"].save(update_fields=["language"])
    contact = make_contact()
    client = client_as("sales1")
    page = client.get(contact.get_absolute_url()).content.decode()
    assert 'name="due_at" type="text"' in page and "datetime-local" not in page
    data = {"kind": "task", "status": "planned", "contact": contact.pk, "subject": "Gọi lại báo giá"}
    response = client.post(reverse("activities:activity_create"), {**data, "due_at": "05/11/2026 09:30"})
    assert response.status_code in (200, 302)
    task = Activity.objects.get(subject="Gọi lại báo giá")
    due = timezone.localtime(task.due_at)
    assert (due.date(), due.hour, due.minute) == (NOV_5, 9, 30)
    response = client.post(reverse("activities:activity_create"), {**data, "due_at": "32/11/2026 09:30"})
    assert response.status_code == 400
    assert Activity.objects.filter(subject="Gọi lại báo giá").count() == 1


@pytest.mark.django_db
def test_a_custom_date_field_shows_its_stored_value_day_first(org):
    from django.contrib.contenttypes.models import ContentType

    from sencrm.customers.models import Contact
    from sencrm.customfields import custom_fields
    from sencrm.customfields.models import CustomField

    CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        key="warranty_end",
        label="Hết bảo hành",
        type="date",
    )
    form = forms.Form()
    names = custom_fields.add_form_fields(form, Contact, {"warranty_end": "2026-11-05"})  # stored as ISO text
    html = str(form[names[0]])
    assert 'value="05/11/2026"' in html and 'type="text"' in html
    bound = forms.Form({"cf_warranty_end": "5/11/2026"})
    custom_fields.add_form_fields(bound, Contact, {})
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["cf_warranty_end"] == NOV_5
