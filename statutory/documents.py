"""The disclosure-record PDF of a police or statutory disclosure, for the file.

Rendered with WeasyPrint from the disclosure's snapshot — exactly what was disclosed,
and the request and decision as they stood then — never from the live record.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string

from casework.pdf import pdf_bytes
from sharing.models import Disclosure


def statutory_disclosure_html(disclosure: Disclosure) -> str:
    """The disclosure record's HTML (self-contained: nothing is fetched), for `casework.pdf`."""
    snapshot = disclosure.snapshot
    context = {
        "snapshot": snapshot,
        "facts": snapshot.get("statutory", {}),
        "sections": snapshot.get("sections", []),
        "sent_at": dt.datetime.fromisoformat(snapshot["sent_at"]),
        "sha256": disclosure.snapshot_sha256,
    }
    return render_to_string("statutory/disclosure_pdf.html", context)


def statutory_disclosure_pdf(disclosure: Disclosure) -> bytes:
    """The disclosure record as a PDF (bytes)."""
    return pdf_bytes(statutory_disclosure_html(disclosure))
