"""Opportunity pages (included by sencrm/sales/urls.py under the "sales" namespace: no app_name here)."""

from __future__ import annotations

from django.urls import path

from sencrm.sales.views import opportunities, opportunity_board, opportunity_forecast

urlpatterns = [
    path("opportunities/", opportunity_board.opportunity_board, name="opportunity_board"),
    path("opportunities/more/", opportunity_board.board_more, name="board_more"),
    path("opportunities/list/", opportunities.opportunity_list, name="opportunity_list"),
    path("opportunities/forecast/", opportunity_forecast.forecast, name="forecast"),
    path("opportunities/new/", opportunities.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", opportunities.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", opportunities.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/delete/", opportunities.opportunity_delete, name="opportunity_delete"),
    path("opportunities/<int:pk>/move/", opportunity_board.opportunity_move, name="opportunity_move"),
    path("opportunities/<int:pk>/close/", opportunities.opportunity_close, name="opportunity_close"),
]
