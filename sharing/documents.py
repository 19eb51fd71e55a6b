"""The referral PDF, rendered with WeasyPrint from the disclosure's snapshot.

It is built from `Disclosure.snapshot` — exactly what was sent — never from the live
record, so a later edit of the client's information does not change what the PDF says
was disclosed. The footer names the basis, the reference and the date.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string

from casework.pdf import pdf_bytes

from .models import Disclosure


def referral_context(disclosure: Disclosure, *, not_for_sending: str = "") -> dict:
    snapshot = disclosure.snapshot
    return {
        "not_for_sending": not_for_sending,
        "snapshot": snapshot,
        "sections": snapshot.get("sections", []),
        "sent_at": dt.datetime.fromisoformat(snapshot["sent_at"]),
        "sha256": disclosure.snapshot_sha256,
    }


def referral_html(disclosure: Disclosure, *, not_for_sending: str = "") -> str:
    """The referral PDF's HTML (self-contained: nothing is fetched), for `casework.pdf`."""
    return render_to_string("sharing/referral_pdf.html", referral_context(disclosure, not_for_sending=not_for_sending))


def referral_pdf(disclosure: Disclosure, *, not_for_sending: str = "") -> bytes:
    """The referral PDF (bytes). With `not_for_sending` (why the basis no longer holds), a copy
    for the file: every page says it is not for sending, and why."""
    return pdf_bytes(referral_html(disclosure, not_for_sending=not_for_sending))
