"""Lead pages (included by sencrm/sales/urls.py under the "sales" namespace: no app_name here)."""

from __future__ import annotations

from django.urls import path

from sencrm.sales.views import lead_convert, lead_detail, lead_edit, lead_list

urlpatterns = [
    path("leads/", lead_list.lead_list, name="lead_list"),
    path("leads/new/", lead_edit.lead_create, name="lead_create"),
    path("leads/export/", lead_list.lead_export, name="lead_export"),
    path("leads/<int:pk>/", lead_detail.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", lead_edit.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/delete/", lead_edit.lead_delete, name="lead_delete"),
    path("leads/<int:pk>/convert/", lead_convert.lead_convert, name="lead_convert"),
    path("leads/<int:pk>/convert/search/", lead_convert.lead_convert_search, name="lead_convert_search"),
    path("leads/<int:pk>/assign/", lead_detail.lead_assign, name="lead_assign"),
    path("leads/<int:pk>/follow-up/", lead_detail.lead_follow_up, name="lead_follow_up"),
    path("leads/<int:pk>/status/", lead_detail.lead_status, name="lead_status"),
    path("leads/<int:pk>/timeline/", lead_detail.lead_timeline, name="lead_timeline"),
]
