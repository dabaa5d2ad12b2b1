"""HTML from a document template → PDF with WeasyPrint (Pango/HarfBuzz shaping, the shipped font).

    render_pdf("quote", context) -> bytes      # the administrator's template, or the default
    pdf_response(pdf, filename="BG-2026-00001.pdf") -> HttpResponse

Documents print in Vietnamese whatever the reader's language (numbers 50.000.000 ₫, dates dd/mm/yyyy).
If the administrator's template fails on a real document (it passed the checks on the sample data,
but real data differ), the default template prints instead and the failure is logged: a customer's
PDF is never lost to a template mistake.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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

# What makes a 200-line document print in about two thirds of the time (docs/benchmarks.md,
# "Commerce"), the PDF unchanged byte for byte: the cycle collector leaves out the objects that existed
# before the render (_fewer_collections); the default templates' documents share one font
# configuration per thread (the fonts are loaded, and Pango's and HarfBuzz's caches filled, once per
# thread instead of once per document); the HTML parser's regular expressions are cached
# (_repair_tinyhtml5_cache).
_local = threading.local()
_gc_lock = threading.Lock()
_gc_renders = 0


def _font_setup() -> tuple[FontConfiguration, CSS]:
    """A font configuration with Be Vietnam Pro loaded from its files (through the closed fetcher)."""
    font_config = FontConfiguration()
    stylesheet = CSS(
        string=fonts.font_face_css(), font_config=font_config, url_fetcher=fonts.DocumentFetcher()
    )
    return font_config, stylesheet


def _fonts(shared: bool) -> tuple[FontConfiguration, CSS]:
    """This thread's shared font configuration, or a new one.

    A document's own @font-face rules are added to the configuration it is laid out with, so only the
    default templates (which declare none) share one; an administrator's template gets its own, and
    cannot change the fonts of the documents printed after it. One per thread: Pango's font maps are
    not meant to be used from two threads at once."""
    if not shared:
        return _font_setup()
    setup: tuple[FontConfiguration, CSS] | None = getattr(_local, "fonts", None)
    if setup is None:
        setup = _local.fonts = _font_setup()
    return setup


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Freeze what exists while a document is laid out, and collect what the render left behind.

    The layout allocates millions of objects, many of which live until the PDF is written; the cycle
    collector then reaches its oldest generation again and again, and each time walks the whole
    process (Django, the URL map, WeasyPrint's modules…): about a quarter of a long document's CPU.
    Frozen (gc.freeze), those objects are left out of the walks. At the end one collection, over the
    render's leftovers only (the rest is still frozen, ~2 ms), frees the layout's cycles before the
    objects are unfrozen, so memory stays where it was. Counted, so that with renders in several
    threads the last one to end unfreezes."""
    global _gc_renders
    with _gc_lock:
        if _gc_renders == 0:
            gc.freeze()
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0:
                gc.collect()
                gc.unfreeze()


def _repair_tinyhtml5_cache() -> None:
    """tinyhtml5 (WeasyPrint's HTML parser, 2.1.0) caches the regular expression of each set of stop
    characters, but stores it under the compiled expression instead of the characters
    (`characters = cache[key] = regex` assigns `characters` first), so the cache never hits and every
    text run of the document rebuilds its expression. A cache that fills itself under the right key
    gives the same expressions, once: about 5 % of a long document's time."""
    try:
        from tinyhtml5 import inputstream
    except ImportError:  # pragma: no cover - another parser: nothing to repair
        return
    if type(getattr(inputstream, "characters_until_regex", None)) is not dict:
        return

    class StopCharacters(dict[tuple[Any, bool], re.Pattern[str]]):
        def __missing__(self, key: tuple[Any, bool]) -> re.Pattern[str]:
            characters, opposite = key
            regex = "".join(f"\\x{ord(character):02x}" for character in characters)
            if not opposite:
                regex = f"^{regex}"
            pattern = self[key] = re.compile(f"[{regex}]+")
            return pattern

    inputstream.characters_until_regex = StopCharacters()


_repair_tinyhtml5_cache()


def _write_pdf(html: str, fetcher: fonts.DocumentFetcher, shared_fonts: bool) -> bytes:
    """The layout and the PDF (a function of its own: when it returns, the layout is garbage)."""
    font_config, stylesheet = _fonts(shared_fonts)
    document = HTML(string=html, url_fetcher=fetcher, base_url=fonts.FONT_DIR.as_uri() + "/")
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=font_config)
    return pdf


def html_to_pdf(html: str, *, shared_fonts: bool = False) -> bytes:
    """Lay out and write the PDF: the font by @font-face from its file, every fetch through the closed
    fetcher (no network, no file outside the font folder). `shared_fonts`: the HTML declares no fonts
    of its own (a default template), so it may use the thread's shared font configuration."""
    fetcher = fonts.DocumentFetcher()
    with _fewer_collections():
        pdf = _write_pdf(html, fetcher, shared_fonts)
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
    return html_to_pdf(html, shared_fonts=True)


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
