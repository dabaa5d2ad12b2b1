"""HTML from a document template → PDF with WeasyPrint (Pango/HarfBuzz shaping, the shipped font).

    render_pdf("quote", context) -> bytes      # the administrator's template, or the default
    pdf_response(pdf, filename="BG-2026-00001.pdf") -> HttpResponse

Documents print in Vietnamese whatever the reader's language (numbers 50.000.000 ₫, dates dd/mm/yyyy).
If the administrator's template fails on a real document (it passed the checks on the sample data,
but real data differ), the default template prints instead and the failure is logged: a customer's
PDF is never lost to a template mistake.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from sencrm.documents import fonts
from sencrm.documents.context import build_context
from sencrm.documents.sandbox import TemplateProblem, render_html
from sencrm.documents.selectors import default_source, template_source

logger = logging.getLogger(__name__)
DOCUMENT_LANGUAGE = "vi"


def html_to_pdf(html: str) -> bytes:
    """Lay out and write the PDF: the font by @font-face from its file, every fetch through the closed
    fetcher (no network, no file outside the font folder)."""
    fetcher = fonts.DocumentFetcher()
    font_config = FontConfiguration()
    stylesheet = CSS(string=fonts.font_face_css(), font_config=font_config, url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, base_url=fonts.FONT_DIR.as_uri() + "/")
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=font_config)
    if fetcher.refused:
        logger.warning("document template asked for refused resources: %s", fetcher.refused[:5])
    return pdf


def render_source(source: str, kind: str, context: Mapping[str, Any]) -> bytes:
    """A given template (the preview's unsaved text) over a context; TemplateProblem if it fails."""
    with translation.override(DOCUMENT_LANGUAGE):
        html = render_html(source, build_context(kind, context))
    try:
        return html_to_pdf(html)
    except Exception as exc:  # WeasyPrint's own failures on odd HTML: the administrator sees why
        logger.warning("a document template could not be laid out", exc_info=True)
        raise TemplateProblem(
            _("The PDF could not be laid out: %(error)s") % {"error": str(exc)[:300]}
        ) from None


def render_pdf(kind: str, context: Mapping[str, Any]) -> bytes:
    """The PDF of a document of `kind` (quote, order, contract, invoice, receipt) from its context."""
    source, custom = template_source(kind)
    full = build_context(kind, context)
    with translation.override(DOCUMENT_LANGUAGE):
        try:
            html = render_html(source, full)
        except TemplateProblem as exc:
            if not custom:
                raise
            logger.error("the %s template failed, printing the default instead: %s", kind, exc)
            html, custom = render_html(default_source(kind), full), False
    if custom:
        try:
            return html_to_pdf(html)
        except Exception:  # odd HTML WeasyPrint cannot lay out: the default still prints the document
            logger.exception("the %s template could not be laid out, printing the default instead", kind)
            with translation.override(DOCUMENT_LANGUAGE):
                html = render_html(default_source(kind), full)
    return html_to_pdf(html)


def safe_filename(name: str) -> str:
    """An ASCII file name for the download ("Báo giá BG-2026/01" → "Bao_gia_BG-2026_01.pdf")."""
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    folded = unicodedata.normalize("NFD", stem.replace("đ", "d").replace("Đ", "D"))
    ascii_only = (
        "".join(ch for ch in folded if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    )
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_only).strip("._")[:120]
    return f"{cleaned or 'document'}.pdf"


def pdf_response(pdf: bytes, *, filename: str, inline: bool = True) -> HttpResponse:
    """A PDF answer: shown in the browser (or downloaded with inline=False) under a safe file name;
    the original name, diacritics included, goes in filename* for browsers that read it."""
    response = HttpResponse(pdf, content_type="application/pdf")
    original = unicodedata.normalize(
        "NFC", filename if filename.lower().endswith(".pdf") else f"{filename}.pdf"
    )
    original = re.sub(r'[\x00-\x1f\x7f"\\/]+', "_", original)[:150]
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{safe_filename(filename)}\"; filename*=UTF-8''{quote(original)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
