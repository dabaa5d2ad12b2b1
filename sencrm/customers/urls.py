from django.urls import path

from sencrm.customers.views import (
    accounts,
    autocomplete,
    caller_id,
    contact_detail,
    contact_edit,
    contact_list,
    contact_merge,
    journey,
)

app_name = "customers"

urlpatterns = [
    path("contacts/", contact_list.contact_list, name="contact_list"),
    path("contacts/new/", contact_edit.contact_create, name="contact_create"),
    path("contacts/export/", contact_list.contact_export, name="contact_export"),
    path("contacts/bulk/", contact_list.contact_bulk, name="contact_bulk"),
    path("contacts/<int:pk>/", contact_detail.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contact_edit.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contact_edit.contact_delete, name="contact_delete"),
    path("contacts/<int:pk>/merge/", contact_merge.contact_merge, name="contact_merge"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_create, name="account_create"),
    path("accounts/autocomplete/", autocomplete.account_autocomplete, name="account_autocomplete"),
    path("accounts/export/", accounts.account_export, name="account_export"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", accounts.account_edit, name="account_edit"),
    path("accounts/<int:pk>/delete/", accounts.account_delete, name="account_delete"),
    path("provinces/suggestions/", autocomplete.province_suggestions_view, name="province_suggestions"),
    path("timeline/<str:kind>/<int:pk>/", journey.timeline, name="timeline"),
    path("caller-id/", caller_id.caller_id, name="caller_id"),
]
