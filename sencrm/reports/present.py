"""A report's result for a reader: the table with comparisons and drill-down links, the API's JSON, the
rows of an export. No query here: everything comes from `base.run`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sencrm.core.money import format_money
from sencrm.reports.base import COUNT, DAYS, MONEY, NUMBER, PERCENT, Column, Drill, Result, change


def json_value(value: Any, kind: str = "") -> Any:
    """Amounts and rates as decimal strings (exact), counts as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        if kind == MONEY:
            return str(value.quantize(Decimal(1)))
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return value


def display(value: Any, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == MONEY:
        return format_money(value)
    if kind == PERCENT:
        return f"{number_format(value, 1)} %"
    if kind == DAYS:
        return number_format(value, 1)
    if kind in (COUNT, NUMBER):
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        return number_format(value, force_grouping=True)
    if isinstance(value, dt.datetime):
        return (
            value.astimezone().strftime("%d/%m/%Y %H:%M")
            if value.tzinfo
            else value.strftime("%d/%m/%Y %H:%M")
        )
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def as_json(result: Result, name: str) -> dict[str, Any]:
    kinds = {c.key: c.kind for c in result.columns}

    def values(row: dict[str, Any] | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {k: json_value(v, kinds.get(k, "")) for k, v in row.items() if k != "drill"}

    period = result.params.period
    body: dict[str, Any] = {
        "report": name,
        "title": str(result.title),
        **period.as_json(),
        "group_by": result.params.group_by,
        "options": dict(result.params.options),
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in result.columns],
        "rows": [values(row) for row in result.rows],
        "totals": values(result.totals) or {},
        "notes": [str(n) for n in result.notes],
    }
    if result.previous is not None:
        body["comparison"] = {
            "previous": {**period.previous().as_json(), "totals": values(result.previous)},
            "last_year": {**period.last_year().as_json(), "totals": values(result.last_year)},
        }
    if result.extra:
        body["extra"] = _jsonable(result.extra)
    return body


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | dt.date | dt.datetime | float):
        return json_value(value)
    if hasattr(value, "__html__") or type(value).__name__ == "__proxy__":
        return str(value)
    return value


def _cell(column: Column, value: Any, before: Any, last: Any, compare: bool) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "value": value,
        "text": display(value, column.kind),
        "kind": column.kind,
        "label": column.label,
        "compared": compare and column.compare,
    }
    if compare and column.compare:
        cell["previous"] = display(before, column.kind)
        cell["last_year"] = display(last, column.kind)
        cell["change_previous"] = change(value, before) if column.kind != PERCENT else None
        cell["change_last_year"] = change(value, last) if column.kind != PERCENT else None
    return cell


def table(result: Result, name: str, *, drill: bool = True, drill_url: str = "") -> dict[str, Any]:
    """The page's table: a row per group with a cell per column (formatted, with its drill-down link and,
    when the report compares, the previous period's and last year's figures beside it)."""
    compare = result.previous is not None
    drill_base = drill_url or (reverse("reports:drill", args=[name]) if drill else "")
    query = result.params.query()
    rows = []
    for row in result.rows:
        cells = []
        for column in result.columns:
            value = row.get(column.key)
            cell = _cell(
                column,
                value,
                result.previous_rows.get(row["key"], {}).get(column.key),
                result.last_year_rows.get(row["key"], {}).get(column.key),
                compare,
            )
            if drill_base and column.drill and row.get("drill", True) and value not in (None, 0, Decimal(0)):
                cell["url"] = f"{drill_base}?{urlencode({**query, 'key': row['key'], 'column': column.key})}"
            cells.append(cell)
        rows.append({"key": row["key"], "label": row["label"], "cells": cells})
    totals = [
        _cell(
            c,
            result.totals.get(c.key),
            (result.previous or {}).get(c.key),
            (result.last_year or {}).get(c.key),
            compare,
        )
        for c in result.columns
    ]
    return {"columns": result.columns, "rows": rows, "totals": totals, "compare": compare}


def export_rows(result: Result) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of a CSV/XLSX export: the group, each column, and beside each compared column
    the previous period's and last year's figures; a totals row last."""
    compare = result.previous is not None
    header = [str(result.group_label)]
    for c in result.columns:
        header.append(str(c.label))
        if compare and c.compare:
            header += [f"{c.label} ({_('previous period')})", f"{c.label} ({_('same period last year')})"]

    def line(label: str, values: dict[str, Any], before: dict[str, Any], last: dict[str, Any]) -> list[Any]:
        out: list[Any] = [label]
        for c in result.columns:
            out.append(_plain(values.get(c.key)))
            if compare and c.compare:
                out += [_plain(before.get(c.key)), _plain(last.get(c.key))]
        return out

    rows = [
        line(
            str(r["label"]),
            r,
            result.previous_rows.get(r["key"], {}),
            result.last_year_rows.get(r["key"], {}),
        )
        for r in result.rows
    ]
    rows.append(line(_("Total"), result.totals, result.previous or {}, result.last_year or {}))
    return header, rows


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def drill_rows(drill: Drill) -> list[list[dict[str, Any]]]:
    """The drill-down's rows with each cell formatted."""
    out = []
    for row in drill.rows:
        cells = []
        for key, _label, kind in drill.columns:
            value = row.get(key)
            cells.append(
                {
                    "text": display(value, kind if kind not in ("link",) else "text"),
                    "url": row.get("url") if kind == "link" else None,
                    "kind": kind,
                }
            )
        out.append(cells)
    return out
