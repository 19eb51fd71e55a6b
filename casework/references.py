"""One reference format per kind of object, and one way to name a downloaded file after it.

Every object people quote to each other — on the phone, in an e-mail to the ICO, on a
printed PDF — has one reference, made here and shown the same way on screens, in PDFs and
in the names of downloaded files:

    Client                  CL-7KQ2MX         six characters, no 0/O/1/I/L to misread
    Disclosure              D-20261130-4F1A9C date it left, random suffix
    Referral (draft)        REF-000123        until sent; a sent referral is quoted by its disclosure
    Police/statutory request SR-20261130-1A2B date received, random suffix
    Subject access request  SAR-20261130-9C3D date logged, random suffix
    Erasure request         ER-000045
    Rectification request   RR-000012
    Retention batch         RB-000003
    Personal data breach    BR-00012
    Client import           IMP-000007

Data-sharing agreements carry the partners' own reference (typed in admin), and clients
brought across by an import or the demo keep the reference they came with.

A downloaded file is named `<reference>-<what it is>.<extension>` (`BR-00012-ico-report.pdf`,
`CL-7KQ2MX-access-log.csv`), so files about one object sort together in a folder.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class ReferenceKind:
    """A kind of object with a reference: its name, prefix, and how its references look."""

    key: str
    label: str
    prefix: str
    pattern: str  # a regular expression for the whole reference

    def matches(self, reference: str) -> bool:
        return re.fullmatch(self.pattern, reference or "") is not None


KINDS: dict[str, ReferenceKind] = {
    kind.key: kind
    for kind in (
        ReferenceKind("client", "Client", "CL", r"CL-[2-9A-HJKMNP-Z]{6}"),
        ReferenceKind("disclosure", "Disclosure", "D", r"D-\d{8}-[0-9A-F]{6}"),
        ReferenceKind("referral", "Referral", "REF", r"REF-\d{6,}"),
        ReferenceKind("statutory_request", "Police or statutory request", "SR", r"SR-\d{8}-[0-9A-F]{4}"),
        ReferenceKind("subject_access_request", "Subject access request", "SAR", r"SAR-\d{8}-[0-9A-F]{4}"),
        ReferenceKind("erasure_request", "Erasure request", "ER", r"ER-\d{6,}"),
        ReferenceKind("rectification_request", "Rectification request", "RR", r"RR-\d{6,}"),
        ReferenceKind("retention_batch", "Retention batch", "RB", r"RB-\d{6,}"),
        ReferenceKind("breach", "Personal data breach", "BR", r"BR-\d{5,}"),
        ReferenceKind("client_import", "Client import", "IMP", r"IMP-\d{6,}"),
    )
}

# Digits of a reference numbered from the row's id; the hex digits of a dated one.
_NUMBERED_WIDTH = {
    "referral": 6,
    "erasure_request": 6,
    "rectification_request": 6,
    "retention_batch": 6,
    "breach": 5,
    "client_import": 6,
}
_DATED_TOKEN_BYTES = {"disclosure": 3, "statutory_request": 2, "subject_access_request": 2}
CLIENT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def numbered(kind: str, pk: int | None) -> str:
    """The reference of a row numbered by its id, e.g. numbered("breach", 12) == "BR-00012".

    An unsaved row (pk None) reads "<prefix>-new". Raises KeyError for a kind not numbered by id.
    """
    width = _NUMBERED_WIDTH[kind]
    prefix = KINDS[kind].prefix
    return f"{prefix}-{pk:0{width}d}" if pk else f"{prefix}-new"


def dated(kind: str, at: dt.datetime) -> str:
    """A new reference for a kind dated by when it happened (`at`, aware; the local date is used).

    e.g. dated("statutory_request", now) == "SR-20261130-1A2B". The suffix is random: the
    caller's unique constraint refuses the rare collision. Raises KeyError for a kind not dated.
    """
    token = secrets.token_hex(_DATED_TOKEN_BYTES[kind]).upper()
    return f"{KINDS[kind].prefix}-{timezone.localtime(at):%Y%m%d}-{token}"


def new_client_reference() -> str:
    """A new client reference ("CL-" and six characters without look-alikes). Uniqueness is the caller's."""
    return "CL-" + "".join(secrets.choice(CLIENT_ALPHABET) for _ in range(6))


def kind_of(reference: str) -> ReferenceKind | None:
    """The kind a reference belongs to, or None when it follows none of the formats."""
    return next((kind for kind in KINDS.values() if kind.matches(reference)), None)


def download_stem(reference: str, document: str) -> str:
    """A download's file name without its extension: "<reference>-<document>".

    `document` is what the file is, in lower-case words joined by hyphens ("ico-report").
    Characters other than letters, digits and hyphens are dropped, so the name is safe in a
    Content-Disposition header and on every file system.
    """
    parts = [re.sub(r"[^A-Za-z0-9-]", "", part) for part in (reference, document)]
    return "-".join(part for part in parts if part)


def download_name(reference: str, document: str, extension: str) -> str:
    """The file name of a download about one object: "<reference>-<document>.<extension>"."""
    return f"{download_stem(reference, document)}.{re.sub(r'[^A-Za-z0-9]', '', extension)}"


def attachment_header(filename: str) -> str:
    """The Content-Disposition value that downloads `filename` (made by `download_name`)."""
    return f'attachment; filename="{filename}"'
