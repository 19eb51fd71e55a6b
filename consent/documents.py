"""The plain-language consent summary a client takes away, rendered with WeasyPrint.

It lists only what is in force today: who the client's information may go to, what and
why. Withdrawn and expired consents are listed by recipient only, as no longer in force,
so nothing about them reads as current.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from casework.pdf import pdf_bytes
from clients.categories import REGISTRY, Level

from .coverage import Status, as_moment, status

LEVEL_WORDS = {Level.SUMMARY: "a short summary", Level.DETAIL: "the full details"}


def plain_items(record) -> list[str]:
    """'Housing history: the full details' for each item of the record's selection."""
    return [f"{REGISTRY[key].label}: {LEVEL_WORDS[level]}" for key, level in record.selection_obj.items()]


def summary_context(*, client, consents, bases, on: dt.datetime | None = None) -> dict:
    at = as_moment(on)
    current, ended = [], []
    for consent in consents:
        state = status(consent, at)
        if state is Status.ACTIVE:
            current.append({"record": consent, "items": plain_items(consent)})
        elif state in (Status.WITHDRAWN, Status.EXPIRED):
            ended.append({"record": consent, "state": state})
    other = [{"record": basis, "items": plain_items(basis)} for basis in bases if status(basis, at) is Status.ACTIVE]
    return {
        "client": client,
        "organisation_name": settings.ORGANISATION_NAME,
        "today": timezone.localtime(at).date(),
        "current": current,
        "ended": ended,
        "other": other,
    }


def consent_summary_html(*, client, consents, bases, on: dt.datetime | None = None) -> str:
    """The client's consent summary as HTML (self-contained: nothing is fetched), for `casework.pdf`."""
    return render_to_string(
        "consent/summary_pdf.html", summary_context(client=client, consents=consents, bases=bases, on=on)
    )


def consent_summary_pdf(*, client, consents, bases, on: dt.datetime | None = None) -> bytes:
    """The client's consent summary as a PDF (bytes)."""
    return pdf_bytes(consent_summary_html(client=client, consents=consents, bases=bases, on=on))
