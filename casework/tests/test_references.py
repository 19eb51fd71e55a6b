"""One reference format per kind of object, on screens, in PDFs and in downloaded file names.

The walks below fail when a template shows an object by its database id instead of its
reference, when a download is named some other way than `<reference>-<document>`, or when
a kind in the registry makes references its pattern does not accept.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from casework import references

ROOT = Path(settings.BASE_DIR)
APPS = ("accounts", "clients", "consent", "sharing", "statutory", "rights", "breaches", "access", "imports", "reports")


def _make(kind: str, fx) -> str:
    """The reference the product gives a new object of `kind`, made the way the product makes it."""
    now = timezone.now()
    if kind == "client":
        from consent.tests.factories import client_on_caseload

        return client_on_caseload(caseworker=fx.caseworker, team=fx.team_a).reference
    if kind == "disclosure":
        from sharing.tests.factories import sent_referral

        return sent_referral(client=fx.own_client, actor=fx.caseworker).disclosure.reference
    if kind == "referral":
        from sharing.tests.factories import ReferralFactory

        return ReferralFactory(client=fx.own_client, created_by=fx.caseworker).reference
    if kind == "statutory_request":
        from statutory.tests.factories import court_order_request

        return court_order_request(client=fx.own_client, actor=fx.caseworker).reference
    if kind == "subject_access_request":
        from rights.services import sar_log

        return sar_log(
            actor=fx.manager,
            client=fx.own_client,
            requester="client",
            verification="known_in_person",
            asked_for="Everything you hold about me.",
            received_on=timezone.localdate(),
        ).reference
    if kind == "erasure_request":
        from rights.models import ErasureRequest

        return ErasureRequest.objects.create(
            client=fx.own_client,
            received_on=timezone.localdate(),
            asked_by="The client",
            asked_text="Erase my records.",
            logged_by=fx.manager,
            logged_at=now,
        ).reference
    if kind == "rectification_request":
        from rights.rectification import rectification_request_log

        return rectification_request_log(
            actor=fx.manager,
            client=fx.own_client,
            received_on=timezone.localdate(),
            asked_by="The client",
            what_is_wrong="My date of birth is wrong.",
        ).reference
    if kind == "retention_batch":
        from rights.models import RetentionBatch

        return RetentionBatch(pk=3).reference
    if kind == "breach":
        from breaches.tests.factories import BreachReportFactory

        return BreachReportFactory().reference
    if kind == "client_import":
        from imports.models import ClientImport

        return ClientImport(pk=7).reference
    raise AssertionError(f"No maker for the reference kind {kind!r}: add one here.")


@pytest.mark.parametrize("kind", sorted(references.KINDS))
def test_every_kind_makes_references_in_its_one_format(kind, request, db):
    class Fixtures:
        def __getattr__(self, name):
            return request.getfixturevalue(name)

    reference = _make(kind, Fixtures())
    assert references.KINDS[kind].matches(reference), f"{kind} reference {reference!r} is not in its format"
    assert references.kind_of(reference) is references.KINDS[kind]


def test_numbered_and_dated_references_read_as_documented():
    assert references.numbered("breach", 12) == "BR-00012"
    assert references.numbered("erasure_request", None) == "ER-new"
    made = references.dated("statutory_request", dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC))
    assert re.fullmatch(r"SR-20261130-[0-9A-F]{4}", made)
    assert references.kind_of("CL-7KQ2MX").key == "client"
    assert references.kind_of("DSA-2026-04") is None


def test_a_download_is_named_reference_then_document():
    assert references.download_name("BR-00012", "ico-report", "pdf") == "BR-00012-ico-report.pdf"
    # Nothing that could break the header or a path survives.
    assert references.download_name('CL-7"/../X', "access log", ".csv") == "CL-7X-accesslog.csv"


def _templates() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "templates").rglob("*.txt"))


def test_the_walk_sees_every_template_folder():
    folders = {path.relative_to(ROOT / "templates").parts[0] for path in _templates()}
    assert {"breaches", "statutory", "rights", "sharing", "clients", "imports"} <= folders


# `{{ something.pk }}` or `.id` inside an attribute (id=, aria-*, href, value…) is fine; as text it
# would show an object by its database id instead of its reference.
_ID_IN_TEXT = re.compile(r"\{\{\s*[\w.]+\.(pk|id)\s*(\|[^}]*)?\}\}")
_IN_ATTRIBUTE = re.compile(r"""[\w:-]+=["'][^"'<>]*$""")


@pytest.mark.parametrize("path", _templates(), ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_no_template_shows_an_object_by_its_database_id(path):
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for match in _ID_IN_TEXT.finditer(line):
            before = line[: match.start()]
            in_attribute = before.rfind("<") > before.rfind(">") and _IN_ATTRIBUTE.search(before)
            assert in_attribute, f"{path.name}:{number} shows {match.group(0)} as text: show the object's reference"


def _sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


# Where a download is named without a reference, and why.
NAMED_OTHERWISE = {
    "clients/exports.py": "the spreadsheet writer: its callers name the file",
    "consent/evidence.py": "an uploaded document keeps the name it was uploaded with",
    "reports/views.py": "report figures and the records of processing are about no single object",
}
ABOUT_NO_ONE_OBJECT = ('filename="breach-register"',)


@pytest.mark.parametrize("path", _sources(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_download_about_one_object_is_named_by_its_reference(path):
    if str(path.relative_to(ROOT)) in NAMED_OTHERWISE:
        return
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if "filename=" not in line and "Content-Disposition" not in line:
            continue
        if any(allowed in line for allowed in ABOUT_NO_ONE_OBJECT):
            continue
        # The name is made by casework.references on this line or the next (a wrapped call).
        assert "references." in line + (lines[number] if number < len(lines) else ""), (
            f"{path.relative_to(ROOT)}:{number} names a download without casework.references: {line.strip()}"
        )
