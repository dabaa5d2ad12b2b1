"""The canned reports: importing their modules registers them (base.REGISTRY), in the order the index
page lists them."""

from __future__ import annotations

import importlib

MODULES = (
    "sencrm.reports.revenue",
    "sencrm.reports.pipeline",
    "sencrm.reports.loyalty",
    "sencrm.reports.care",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
