"""PDF documents rendered with WeasyPrint, and a download response that renders after the view.

A gated view runs inside the gate's transaction (`access.gate.client_view`). On SQLite, the
embedded default, every transaction is IMMEDIATE: it holds the database's one write lock
from its first statement, so laying out a PDF of many pages there makes every other writer
(a caseworker saving a note, the worker claiming a transmission) wait for it. The view
builds the document's HTML (the reads) inside the transaction and returns a `PdfResponse`;
the PDF is laid out when the response is first read, after the view and its transaction
have ended (Django's middleware reads it for Content-Length, or the server sends it).
"""

from __future__ import annotations

from django.http import HttpResponse
from weasyprint import HTML, URLFetcher


def pdf_bytes(html: str, *, allowed_protocols: tuple[str, ...] = ()) -> bytes:
    """`html` laid out as a PDF (bytes). Fetches nothing unless a protocol is allowed (e.g. "data")."""
    return HTML(string=html, base_url=None, url_fetcher=URLFetcher(allowed_protocols=allowed_protocols)).write_pdf()


class PdfResponse(HttpResponse):
    """An `application/pdf` response whose PDF is laid out from `html` on first read of its
    content (or when iterated), not when it is made. Set headers as on any response."""

    def __init__(self, html: str, *, allowed_protocols: tuple[str, ...] = (), **kwargs):
        self._html: str | None = None
        super().__init__(content_type="application/pdf", **kwargs)
        self._html, self._allowed_protocols = html, allowed_protocols

    def _render(self) -> None:
        if self._html is not None:
            html, self._html = self._html, None
            HttpResponse.content.fset(self, pdf_bytes(html, allowed_protocols=self._allowed_protocols))

    @property
    def rendered(self) -> bool:
        return self._html is None

    @property
    def content(self) -> bytes:
        self._render()
        return HttpResponse.content.fget(self)

    @content.setter
    def content(self, value) -> None:
        self._html = None
        HttpResponse.content.fset(self, value)

    def __iter__(self):
        self._render()
        return super().__iter__()

    def getvalue(self) -> bytes:
        self._render()
        return super().getvalue()
