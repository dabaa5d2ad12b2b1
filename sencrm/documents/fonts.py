"""The font the documents print with, and the only files and URLs WeasyPrint may read.

Be Vietnam Pro (SIL Open Font License 1.1) covers every Vietnamese letter with its stacked tone marks
and the đồng sign ₫. It ships as TTF in the `fontpkg-be-vietnam-pro` package, pinned in uv.lock and
installed by the set-up: nothing is downloaded when a PDF is made.

A template is code an administrator writes, so what it may load is closed: `data:` URLs (the logo is
passed that way) and files inside the font folder. http(s), ftp and any other local file are refused,
whether named in an <img>, a stylesheet, an @import or an @font-face.
"""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import fontpkg_be_vietnam_pro
from weasyprint.urls import URLFetcher, URLFetcherResponse

FAMILY = "Be Vietnam Pro"
FONT_DIR = (Path(fontpkg_be_vietnam_pro.ROOT) / "files").resolve()
# weight: (normal, italic) files
FACES = {
    400: ("BeVietnamPro-Regular.ttf", "BeVietnamPro-Italic.ttf"),
    700: ("BeVietnamPro-Bold.ttf", "BeVietnamPro-BoldItalic.ttf"),
}
ALLOWED_ROOTS = (FONT_DIR,)


class FetchRefused(ValueError):
    """A template asked for a resource outside what documents may read."""


@cache
def font_face_css() -> str:
    """@font-face rules for the regular and bold faces (and their italics), by file:// URL."""
    rules = []
    for weight, files in FACES.items():
        for style, name in zip(("normal", "italic"), files, strict=True):
            url = (FONT_DIR / name).as_uri()
            rules.append(
                f'@font-face {{ font-family: "{FAMILY}"; font-weight: {weight}; font-style: {style}; '
                f'src: url("{url}") format("truetype"); }}'
            )
    return "\n".join(rules)


def allowed_file(url: str) -> Path:
    """The local path a file:// URL names, if it lies inside an allowed folder; FetchRefused if not."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"file URL with a host: {url[:200]}")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not any(path.is_relative_to(root) for root in ALLOWED_ROOTS) or not path.is_file():
        raise FetchRefused(f"file outside the document folders: {url[:200]}")
    return path


class DocumentFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
    """WeasyPrint's fetcher, closed: data: URLs and files in the allowed folders, nothing else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.partition(":")[0].lower()
        try:
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = allowed_file(url)
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
                )
            raise FetchRefused(f"not allowed in documents: {url[:200]}")
        except FetchRefused:
            self.refused.append(url[:200])
            raise
