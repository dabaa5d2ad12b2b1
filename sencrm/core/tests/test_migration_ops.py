"""The split of the former `extras` app: an installation made before it keeps its rows."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from sencrm.core.migration_ops import adopt_or_create
from sencrm.savedviews.models import SavedView


@pytest.mark.django_db(transaction=True)
def test_an_old_table_is_adopted_with_its_rows_and_its_content_type(org):
    SavedView.objects.create(user=org["sales1"], list_name="contacts", name="Khách HN", querystring="p=1")
    # As before the move: the table under its old name, the content type under the old app.
    with connection.schema_editor() as editor:
        editor.alter_db_table(SavedView, "savedviews_savedview", "extras_savedview")
    ContentType.objects.filter(app_label="savedviews", model="savedview").update(app_label="extras")
    assert "savedviews_savedview" not in connection.introspection.table_names()

    with connection.schema_editor() as editor:
        adopt_or_create("savedviews", {"SavedView": "extras_savedview"}, old_app_label="extras")(apps, editor)

    tables = connection.introspection.table_names()
    assert "savedviews_savedview" in tables and "extras_savedview" not in tables
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Khách HN"]
    assert ContentType.objects.filter(app_label="savedviews", model="savedview").exists()


@pytest.mark.django_db(transaction=True)
def test_on_a_new_database_the_table_is_created():
    with connection.schema_editor() as editor:
        editor.delete_model(SavedView)
    with connection.schema_editor() as editor:
        adopt_or_create("savedviews", {"SavedView": "extras_savedview"}, old_app_label="extras")(apps, editor)
    assert "savedviews_savedview" in connection.introspection.table_names()
    assert SavedView.objects.count() == 0
