"""The first rows of a file as they will be stored (normalised phones, parsed names, dates read as
dd/mm/yyyy, names of provinces and owners), each marked new, duplicate or invalid."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from sencrm.core import access
from sencrm.core.phones import display
from sencrm.core.text import split_vietnamese_name
from sencrm.customfields import custom_fields
from sencrm.imports.dedupe import SeenKeys
from sencrm.imports.fields import REQUIRED_NAME, field_specs, model_for
from sencrm.imports.models import ImportJob
from sencrm.imports.parser import ParsedRow
from sencrm.imports.runner import Context

ROWS = 20


def _display(row: ParsedRow, key: str, ctx: Context, names: dict[str, dict[Any, str]]) -> str:
    values = row.values
    if key in ("full_name", "name"):
        return str(values.get(key, ""))
    if key in ("family_name", "middle_name", "given_name"):
        return ""
    if key == "phones":
        return ", ".join(display(e) for _n, e in row.phones)
    if key == "emails":
        return ", ".join(row.emails)
    if key == "tags":
        return ", ".join(row.tags)
    if key == "customer_group":
        return row.group
    if key == "account":
        return row.account
    if key == "category":
        return row.category
    if key == "supplier":
        return row.supplier
    if key in ("province", "source", "owner"):
        return names[key].get(values.get(f"{key}_id"), "")
    if key.startswith("cf:"):
        definition = ctx.parser.customs.get(key[3:])
        return custom_fields.display(definition, row.custom.get(key[3:])) if definition else ""
    value = values.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if hasattr(value, "strftime"):
        return str(value.strftime("%d/%m/%Y"))
    field = model_for(ctx.job.target)._meta.get_field(key)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def preview_rows(job: ImportJob, actor: Any, path: Any) -> dict[str, Any]:
    from sencrm.customers.models import Province, SourceChannel
    from sencrm.users.models import User

    ctx = Context(job, actor, path)
    rows: list[ParsedRow] = []
    iterator = ctx.parsed()
    try:
        for row in iterator:
            rows.append(row)
            if len(rows) >= ROWS:
                break
    finally:
        iterator.close()  # type: ignore[attr-defined]
    ctx.resolve(rows)
    valid = [r for r in rows if not r.errors]
    matches = (
        dict(zip((r.line for r in valid), ctx.finder.matches(valid), strict=True)) if job.match_keys else {}
    )
    model = model_for(job.target)
    visible = access.visible_ids(actor, model, {pk for ids in matches.values() for pk in ids})
    specs = {s.key: s for s in field_specs(job.target)}
    name_field = REQUIRED_NAME[job.target]
    skip = {"family_name", "middle_name", "given_name", "id", name_field}
    keys = [name_field] + [k for k in dict.fromkeys(job.mapping) if k and k in specs and k not in skip]
    names = {
        "province": dict(Province.objects.values_list("pk", "name")),
        "source": dict(SourceChannel.objects.values_list("pk", "name")),
        "owner": {u.pk: str(u) for u in User.objects.filter(pk__in={r.values.get("owner_id") for r in rows})},
    }
    seen = SeenKeys(job.match_keys)
    people = name_field == "full_name"
    result = []
    for row in rows:
        found = matches.get(row.line, [])
        in_file = seen.check_and_add(row) if not row.errors else False
        if not row.errors and not found and not in_file:
            row.errors += ctx.parser.missing_required(row.custom)
        status = "invalid" if row.errors else ("duplicate" if found or in_file else "new")
        result.append(
            {
                "line": row.line,
                "status": status,
                "cells": [_display(row, k, ctx, names) for k in keys],
                # how the name was read: family · middle · given (people only)
                "parts": [p for p in split_vietnamese_name(row.name) if p] if people else [],
                "errors": row.errors,
                "warnings": row.warnings,
                "matches": [
                    (pk, model(pk=pk).get_absolute_url() if pk in visible else "") for pk in found[:3]
                ],
            }
        )
    return {
        "headers": [specs[k].label for k in keys],
        "rows": result,
        "empty": ctx.empty,
    }
