from django.apps import AppConfig


class TestappConfig(AppConfig):
    name = "sencrm.core.tests.testapp"
    label = "testapp"
