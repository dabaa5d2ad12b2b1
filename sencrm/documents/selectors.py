"""Reads: the company profile, and each kind's template (the administrator's, or the default)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from sencrm.documents.choices import DocumentKind
from sencrm.documents.models import CompanyProfile, DocumentTemplate

DEFAULTS_DIR = Path(__file__).resolve().parent / "templates_default"
DEFAULT_FILES = {
    DocumentKind.QUOTE: "quote.html.j2",
    DocumentKind.ORDER: "order.html.j2",
    DocumentKind.CONTRACT: "contract.html.j2",
    DocumentKind.INVOICE: "invoice.html.j2",
    DocumentKind.RECEIPT: "receipt.html.j2",
    DocumentKind.SERVICE_REPORT: "service_report.html.j2",
}


def company_profile() -> CompanyProfile:
    """The stored profile, or a blank unsaved one before an administrator fills it in."""
    return CompanyProfile.objects.filter(pk=CompanyProfile.SINGLETON_PK).first() or CompanyProfile(
        pk=CompanyProfile.SINGLETON_PK
    )


@cache
def default_source(kind: str) -> str:
    return (DEFAULTS_DIR / DEFAULT_FILES[DocumentKind(kind)]).read_text(encoding="utf-8")


def stored_template(kind: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(kind=kind).select_related("updated_by").first()


def template_source(kind: str) -> tuple[str, bool]:
    """(the template to print `kind` with, whether it is the administrator's rather than the default)."""
    stored = stored_template(kind)
    return (stored.body, True) if stored is not None else (default_source(kind), False)


def template_overview() -> list[dict[str, Any]]:
    """Every kind with its stored template, if any (the administration list)."""
    stored = {t.kind: t for t in DocumentTemplate.objects.select_related("updated_by")}
    return [{"kind": kind, "label": kind.label, "template": stored.get(kind)} for kind in DocumentKind]
