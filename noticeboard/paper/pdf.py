"""HTML to PDF with WeasyPrint; the only files it may read are the board's own static files."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_PREFIX = "/static/"


class BoardFilesOnly(URLFetcher):  # type: ignore[misc]
    """Serve `/static/...` of the board from disk and refuse every other address, so that
    rendering a document never reaches the network, whatever a notice's text contains."""

    def __init__(self, base_url: str, static_dir: Path) -> None:
        super().__init__(allowed_protocols=())
        self.base_url = base_url.rstrip("/")
        self.static_dir = static_dir.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.local_file(url)
        if path is None:
            raise ValueError(f"not one of the board's own files: {url[:100]}")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})

    def local_file(self, url: str) -> Path | None:
        if not url.startswith(self.base_url + STATIC_PREFIX):
            return None
        relative = unquote(urlsplit(url).path)[len(STATIC_PREFIX) :]
        path = (self.static_dir / relative).resolve()
        if not path.is_relative_to(self.static_dir) or not path.is_file():
            return None
        return path


def html_to_pdf(html: str, base_url: str, static_dir: Path) -> tuple[bytes, int]:
    """Render one document; answers the PDF and its number of pages (CPU-bound: run it in a
    worker thread from async code)."""
    document = HTML(
        string=html,
        base_url=base_url.rstrip("/") + "/",
        url_fetcher=BoardFilesOnly(base_url, static_dir),
        media_type="print",
    ).render()
    pdf: bytes = document.write_pdf()
    return pdf, len(document.pages)
