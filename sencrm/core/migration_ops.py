"""Migration helpers (used by migrations: keep their behaviour stable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def adopt_or_create(app_label: str, moved: dict[str, str], old_app_label: str) -> Callable[[Any, Any], None]:
    """For models that moved to `app_label` from another app (issue 12 split `extras` into `customfields`,
    `savedviews` and `imports`): where the old table exists (an installation made before the move) it is
    renamed to the new name and keeps its rows; on a new database the table is created. The content
    types move too, so that events about these records keep pointing at them.

    Use after a `SeparateDatabaseAndState` whose state operations create the models, so that the
    historical models this receives already exist."""

    def run(apps: Any, schema_editor: Any) -> None:
        existing = set(schema_editor.connection.introspection.table_names())
        for name, old_table in moved.items():
            model = apps.get_model(app_label, name)
            if old_table in existing:
                schema_editor.alter_db_table(model, old_table, model._meta.db_table)
            elif model._meta.db_table not in existing:
                schema_editor.create_model(model)
        content_type = apps.get_model("contenttypes", "ContentType")
        for name in moved:
            if not content_type.objects.filter(app_label=app_label, model=name.lower()).exists():
                content_type.objects.filter(app_label=old_app_label, model=name.lower()).update(
                    app_label=app_label
                )

    return run
