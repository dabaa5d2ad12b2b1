"""The layout holds: no dependency cycle between apps, and no app imports another app's views.

Imports inside functions count too (they hide cycles, they do not remove them). Registries filled in
`AppConfig.ready()` (core/search.py, core/callers.py, core/myday.py, core/homepage.py) are how a lower
app reaches a higher one."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SENCRM = Path(__file__).resolve().parents[2]
# Cycles allowed for now: none (the import's labels reach the timeline through
# events.formatting.register_general_label, its writes through events' record_bulk_create).
PENDING: set[frozenset[str]] = set()

# Another app's page or API views (core's base classes, core/record_views.py, are shared on purpose).
VIEW_MODULE = re.compile(r"^sencrm\.(?!core\.)\w+\.(api\.)?views(\.|$)")


def app_imports() -> dict[str, dict[str, list[str]]]:
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in SENCRM.rglob("*.py"):
        parts = path.relative_to(SENCRM).parts
        if "tests" in parts or "migrations" in parts or len(parts) < 2:
            continue
        app = parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                bits = name.split(".")
                if bits[0] == "sencrm" and len(bits) > 1 and bits[1] != app:
                    edges[app][name].append(f"{path.relative_to(SENCRM)}:{node.lineno}")
    return edges


def test_no_cycle_between_apps():
    edges = app_imports()
    graph = {app: {name.split(".")[1] for name in targets} for app, targets in edges.items()}
    cycles = sorted(
        f"{a} <-> {b}"
        for a, targets in graph.items()
        for b in targets
        if a < b and a in graph.get(b, set()) and frozenset({a, b}) not in PENDING
    )
    assert cycles == []


def test_no_app_imports_another_apps_views():
    offenders = [
        f"{where} imports {name}"
        for app, targets in app_imports().items()
        for name, places in targets.items()
        if VIEW_MODULE.match(name)
        for where in places
    ]
    assert offenders == []
