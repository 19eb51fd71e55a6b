"""The records of processing (UK GDPR Art 30): what they hold, who sees them, and their PDF and CSV."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from consent.models import LawfulBasis, SpecialCondition
from consent.tests.factories import LawfulBasisRecordFactory, MeetingGroupFactory, PartnerFactory, PurposeFactory
from reports import processing
from sharing.tests.factories import DataSharingAgreementFactory

PAGE = reverse("reports:processing")


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def section(record: processing.ProcessingRecord, key: str) -> processing.Section:
    return next(item for item in record.sections if item.key == key)


@pytest.mark.parametrize("who", ["caseworker", "manager"])
def test_caseworkers_and_managers_are_refused(who, request, login):
    user = request.getfixturevalue(who)
    assert login(user).get(PAGE).status_code == 403
    assert login(user).get(reverse("reports:processing_download", args=["csv"])).status_code == 403


@pytest.mark.parametrize("who", ["iso", "admin_user"])
def test_the_iso_and_admins_see_the_record_linked_from_their_navigation(who, request, login):
    response = login(request.getfixturevalue(who)).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{PAGE}"' in html
    for item in processing.processing_record().sections:
        assert item.title in html


def test_an_unknown_format_is_not_found(login, iso):
    assert login(iso).get(reverse("reports:processing_download", args=["xml"])).status_code == 404


def test_a_partner_agreement_and_basis_added_appear_in_the_record(own_client, caseworker):
    partner = PartnerFactory(name="Northern Recovery Service")
    DataSharingAgreementFactory(partner=partner, reference="DSA-2026-77", purposes=[PurposeFactory()])
    MeetingGroupFactory(name="High Risk Panel", members=[partner])
    LawfulBasisRecordFactory(
        client=own_client,
        basis=LawfulBasis.VITAL_INTERESTS,
        special_condition=SpecialCondition.SAFEGUARDING,
        recorded_by=caseworker,
        partners=[partner],
    )
    record = processing.processing_record()

    recipients = section(record, "recipients").rows
    assert (
        "Partner organisation",
        "Northern Recovery Service",
        "Housing provider",
        "Agreements: DSA-2026-77",
    ) in recipients
    assert any(row[1] == "High Risk Panel" and "Northern Recovery Service" in row[3] for row in recipients)
    agreement = next(row for row in section(record, "agreements").rows if row[0] == "DSA-2026-77")
    assert "Northern Recovery Service" in agreement[1]
    assert agreement[4] == "In force"
    assert "Substance use (detail)" in agreement[6]
    bases = section(record, "bases").rows
    assert any(row[0] == "Vital interests" and "Safeguarding" in row[1] and row[2] == "1 recorded" for row in bases)
    assert any(row[0] == "Referral to housing" for row in section(record, "purposes").rows)


def test_special_category_data_is_marked(db):
    rows = {row[0]: row[1] for row in section(processing.processing_record(), "categories").rows}
    assert rows["Mental health"] == "Special category (Art 9)"
    assert rows["Housing history"] == "Personal data"


def test_without_a_retention_schedule_the_page_says_so(login, iso, monkeypatch):
    monkeypatch.setattr(processing, "retention_rule_model", lambda: None)
    assert section(processing.processing_record(), "retention").rows == ()
    assert "No retention schedule configured" in login(iso).get(PAGE).content.decode()


def test_the_retention_schedule_rows_are_listed(db, monkeypatch):
    class Rule:
        period_months = 72
        note = "Six years after the case closed"

        def get_kind_display(self):
            return "Closed cases"

        def get_starts_from_display(self):
            return "Case closed"

    class Rules:
        class objects:  # stands in for the model's manager
            @staticmethod
            def all():
                return [Rule()]

    monkeypatch.setattr(processing, "retention_rule_model", lambda: Rules)
    assert section(processing.processing_record(), "retention").rows == (
        ("Closed cases", "72 months", "Case closed", "Six years after the case closed"),
    )


def test_a_retention_rule_added_in_admin_appears_in_the_record(db):
    from rights.models import RetentionRule

    RetentionRule.objects.update_or_create(
        kind=RetentionRule.Kind.BREACH_REPORTS,
        defaults={"period_months": 72, "starts_from": RetentionRule.StartsFrom.BREACH_DECIDED, "note": "ICO advice"},
    )
    rows = section(processing.processing_record(), "retention").rows
    assert (
        "Personal data breach reports",
        "6 years",
        "The date the breach was decided (ICO notified or not reportable)",
        "ICO advice",
    ) in rows


def test_the_security_measures_come_from_the_settings(db, settings):
    settings.AXES_FAILURE_LIMIT = 7
    settings.SESSION_IDLE_TIMEOUT = dt.timedelta(minutes=25)
    rows = dict(section(processing.processing_record(), "security").rows)
    assert "after 7 failed attempts" in rows["Lockout"]
    assert "25 minutes idle" in rows["Sessions"]
    assert "Information security officer" in rows["Two-factor authentication"]


def test_international_transfers_are_none_unless_configured(db, settings):
    assert section(processing.processing_record(), "transfers").rows == ()
    settings.INTERNATIONAL_TRANSFERS = ["Backups in Ireland: UK adequacy regulations"]
    assert section(processing.processing_record(), "transfers").rows == (
        ("Backups in Ireland", "UK adequacy regulations"),
    )


def test_the_query_count_does_not_grow_with_the_data(own_client, caseworker):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            processing.processing_record()
        return len(queries)

    PartnerFactory(name="Partner 0")
    DataSharingAgreementFactory(partner=PartnerFactory(name="Partner 00"))
    MeetingGroupFactory(name="Meeting 0", members=[PartnerFactory(name="Partner 000")])
    small = count()
    for n in range(1, 6):
        partner = PartnerFactory(name=f"Partner {n}")
        DataSharingAgreementFactory(partner=partner)
        MeetingGroupFactory(name=f"Meeting {n}", members=[partner])
        LawfulBasisRecordFactory(client=own_client, recorded_by=caseworker, partners=[partner])
    assert count() == small


@time_machine.travel("2026-11-30 14:05Z")
def test_the_csv_is_dated_and_safe_from_formulas(login, iso):
    PartnerFactory(name='=HYPERLINK("http://evil.example")')
    response = login(iso).get(reverse("reports:processing_download", args=["csv"]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'filename="records-of-processing-20261130-1405.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Records of processing (UK GDPR Article 30)", "Casework"]
    assert rows[0][3] == "30 November 2026 14:05 GMT"
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example")' in cells
    assert not any(cell.startswith("=") for cell in cells)
    assert {row[0] for row in rows[1:]} >= {item.title for item in processing.processing_record().sections}


def test_the_pdf_holds_every_section_and_the_generation_date(login, iso):
    DataSharingAgreementFactory(reference="DSA-PDF-1")
    response = login(iso).get(reverse("reports:processing_download", args=["pdf"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for title in (
        "Controller",
        "Purposes of processing",
        "Categories of data subjects",
        "Categories of personal data",
        "Recipients",
        "Data-sharing agreements",
        "Lawful bases and conditions",
        "Retention periods",
        "International transfers",
        "Technical and organisational security measures",
    ):
        assert title in text
    assert "DSA-PDF-1" in text
    assert "Generated from the casework system on" in text


# --- Recipients by organisation; one reading for an empty value -------------------------------


def test_statutory_recipients_are_the_organisation_not_the_officer(own_client, caseworker, manager, team_client):
    from statutory.tests.factories import decided_request

    decided_request(client=own_client, logged_by=caseworker, decided_by=manager)
    decided_request(client=team_client, logged_by=caseworker, decided_by=manager)

    statutory = [
        row for row in section(processing.processing_record(), "recipients").rows if row[0] == "Statutory body"
    ]

    assert len(statutory) == 1
    [(_, name, kind, disclosures)] = statutory
    assert name == "Greater Manchester Police"
    assert kind == "Police force"
    assert disclosures.startswith("2 disclosure(s)")
    assert "Patel" not in " ".join(statutory[0])


def _record_with_gaps(own_client, caseworker):
    PurposeFactory(key="no-description", name="Purpose without a description", description="")
    PartnerFactory(name="Partner without an agreement")
    MeetingGroupFactory(name="Meeting without members", members=[])
    LawfulBasisRecordFactory(client=own_client, basis=LawfulBasis.PUBLIC_TASK, recorded_by=caseworker)
    DataSharingAgreementFactory(partner=PartnerFactory(name="Agreement without purposes"), purposes=[])


def _cells_say_none_one_way(cells):
    cells = list(cells)
    assert cells
    assert all(cell.strip() for cell in cells), "a blank cell"
    spelled_otherwise = {cell for cell in cells if cell.strip(" .").lower() in {"none", "-", "—", "n/a"}}
    assert spelled_otherwise <= {processing.NONE}
    assert not any("no member organisations" in cell.lower() for cell in cells)


def test_every_empty_value_reads_the_same_in_the_record(own_client, caseworker):
    _record_with_gaps(own_client, caseworker)
    record = processing.processing_record()

    _cells_say_none_one_way(cell for item in record.sections for row in item.rows for cell in row)
    assert any(
        "Meeting without members" in row[1] and row[3] == f"Members: {processing.NONE}"
        for row in section(record, "recipients").rows
    )
    assert any(row[1] == processing.NONE for row in section(record, "purposes").rows)
    assert any(row[1] == processing.NONE for row in section(record, "bases").rows)


def test_every_empty_value_reads_the_same_on_the_page_in_the_csv_and_in_the_pdf(own_client, caseworker, login, iso):
    from html.parser import HTMLParser

    from django.template.loader import render_to_string

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells, self._open = [], None

        def handle_starttag(self, tag, attrs):
            if tag in ("td", "th") and self._in_body:
                self._open = ""
            self._in_body = tag == "tbody" or getattr(self, "_in_body", False)

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self._open is not None:
                self.cells.append(self._open)
                self._open = None
            if tag == "tbody":
                self._in_body = False

        def handle_data(self, data):
            if self._open is not None:
                self._open += data

    def table_cells(html):
        parser = Cells()
        parser._in_body = False
        parser.feed(html)
        return parser.cells

    _record_with_gaps(own_client, caseworker)
    test_client = login(iso)

    page = test_client.get(PAGE).content.decode()
    _cells_say_none_one_way(table_cells(page))
    pdf_html = render_to_string("reports/processing_pdf.html", {"record": processing.processing_record()})
    _cells_say_none_one_way(table_cells(pdf_html))
    rows = list(
        csv.reader(io.StringIO(test_client.get(reverse("reports:processing_download", args=["csv"])).content.decode()))
    )
    _cells_say_none_one_way(cell for row in rows[1:] for cell in row)
    text = pdf_text(test_client.get(reverse("reports:processing_download", args=["pdf"])).content)
    assert f"Members: {processing.NONE}" in text
