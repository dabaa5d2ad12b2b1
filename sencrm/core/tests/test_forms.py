"""The form pieces every module shares: phones and emails one a line, and who a record may go to."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from sencrm.core.forms import MAX_LINES, EmailsField, PhonesField, assignable_owners
from sencrm.core.modules import Action, Module


class ContactPoints(forms.Form):
    phones = PhonesField()
    emails = EmailsField()


def test_lines_are_cleaned_and_kept_as_typed():
    form = ContactPoints(
        {"phones": " 0912 345 678 \n\n+84 24 3825 1234\r\n01689 123 456", "emails": "An@Example.vn\n"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phones"] == ["0912 345 678", "+84 24 3825 1234", "01689 123 456"]
    assert form.cleaned_data["emails"] == ["An@Example.vn"]
    # Invisible characters and decomposed letters do not survive the cleaning.
    form = ContactPoints({"phones": "0912\u200b345 678", "emails": "an@hoa\u0300.vn"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phones"] == ["0912345 678"] and form.cleaned_data["emails"] == ["an@hoà.vn"]


def test_bad_lines_are_named_in_the_users_language():
    form = ContactPoints({"phones": "0912 345 678\n12345\nabc", "emails": "ok@example.vn\nkhông phải email"})
    with translation.override("vi"):
        assert not form.is_valid()
        assert form.errors["phones"] == ["Số điện thoại không hợp lệ: 12345, abc"]
        assert "không phải email" in form.errors["emails"][0]
    form = ContactPoints({"phones": "12345"})
    with translation.override("en"):
        assert form.errors["phones"] == ["Not a valid phone number: 12345"]


def test_more_lines_than_a_record_keeps_are_refused_not_cut():
    many = "\n".join(f"09{n:08d}" for n in range(MAX_LINES + 1))
    form = ContactPoints({"phones": many})
    assert not form.is_valid() and "phones" in form.errors
    assert ContactPoints({"phones": "\n".join(many.splitlines()[:MAX_LINES])}).is_valid()


def test_a_list_is_shown_one_a_line():
    form = ContactPoints(initial={"phones": ["0912 345 678", "0988 111 222"]})
    assert "0912 345 678\n0988 111 222" in str(form["phones"])
    assert not form["phones"].field.has_changed(["0912 345 678"], "0912 345 678\n")


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("sales1", {"sales1"}),  # "own" role: only themself
        ("manager", {"manager", "sales1"}),  # team role: their team
    ],
)
def test_owners_a_user_may_hand_a_record_to(org, username, expected):
    names = set(
        assignable_owners(org[username], Module.CUSTOMERS, Action.EDIT).values_list("username", flat=True)
    )
    assert names == expected


def test_an_admin_may_hand_to_any_active_user_but_not_a_deactivated_one(org):
    org["sales2"].is_active = False
    org["sales2"].save()
    names = set(
        assignable_owners(org["admin"], Module.LEADS, Action.CREATE).values_list("username", flat=True)
    )
    assert "sales2" not in names and {"admin", "sales1", "manager"} <= names
