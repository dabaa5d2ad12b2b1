"""Sales settings (administrators) and the public web-to-lead form; included by sencrm/sales/urls.py."""

from django.urls import path

from sencrm.sales.views import public, settings, webforms

urlpatterns = [
    path("settings/pipelines/", settings.pipeline_list, name="settings_pipelines"),
    path("settings/pipelines/new/", settings.pipeline_create, name="settings_pipeline_create"),
    path("settings/pipelines/<int:pk>/", settings.pipeline_edit, name="settings_pipeline_edit"),
    path("settings/scoring/", settings.scoring_list, name="settings_scoring"),
    path("settings/scoring/new/", settings.scoring_edit, name="settings_scoring_create"),
    path("settings/scoring/value-field/", settings.scoring_value_field, name="settings_scoring_value"),
    path("settings/scoring/<int:pk>/", settings.scoring_edit, name="settings_scoring_edit"),
    path("settings/scoring/<int:pk>/delete/", settings.scoring_delete, name="settings_scoring_delete"),
    path("settings/web-forms/", webforms.webform_list, name="webform_list"),
    path("settings/web-forms/new/", webforms.webform_edit, name="webform_create"),
    path("settings/web-forms/<int:pk>/", webforms.webform_edit, name="webform_edit"),
    path("settings/web-forms/<int:pk>/delete/", webforms.webform_delete, name="webform_delete"),
    path("f/<str:key>/", public.webform_public, name="webform_public"),
    path("f/<str:key>/thanks/", public.webform_thanks, name="webform_thanks"),
]
