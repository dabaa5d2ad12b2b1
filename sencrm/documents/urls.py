"""Administration pages of the printed documents: the company profile and the templates."""

from django.urls import path

from sencrm.documents import views

app_name = "documents"

urlpatterns = [
    path("settings/company/", views.company_edit, name="company"),
    path("settings/company/logo/", views.company_logo, name="company_logo"),
    path("settings/document-templates/", views.template_list, name="template_list"),
    path("settings/document-templates/<str:kind>/", views.template_edit, name="template_edit"),
    path("settings/document-templates/<str:kind>/preview/", views.template_preview, name="template_preview"),
    path("settings/document-templates/<str:kind>/reset/", views.template_reset, name="template_reset"),
]
