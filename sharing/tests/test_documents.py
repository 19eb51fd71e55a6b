"""The referral PDF carries exactly the selected information: text extracted with pypdf."""

import io
import re

import pytest
from pypdf import PdfReader

from clients import services as client_services
from clients.categories import Selection
from sharing import services
from sharing.documents import referral_pdf

from .conftest import (
    DA_DETAIL,
    DA_SELECTION,
    DA_SUMMARY,
    HOUSING_SUMMARY,
    SU_DETAIL,
    SU_SELECTION,
    SU_SUMMARY,
    SUPPORT_DETAIL,
    SUPPORT_SUMMARY,
)
from .factories import ReferralFactory

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups; keep her address safe."}
DA_REASONS = {"domestic_abuse": "The service assesses risk from the account of the abuse."}


def text_of(pdf: bytes) -> str:
    """The PDF's text with whitespace folded, so wrapped lines still match."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def send(client, partner, purpose, selection, reasons, actor):
    referral = ReferralFactory(
        client=client,
        partner=partner,
        purpose=purpose,
        selection=Selection(selection).to_json(),
        reasons=reasons,
        created_by=actor,
    )
    return services.referral_send(actor=actor, referral=referral).disclosure


@pytest.fixture
def su_disclosure(jordan, su_service, su_purpose, su_consent, caseworker):
    return send(jordan, su_service, su_purpose, SU_SELECTION, SU_REASONS, caseworker)


@pytest.fixture
def da_disclosure(jordan, da_service, da_purpose, da_consent, caseworker):
    return send(jordan, da_service, da_purpose, DA_SELECTION, DA_REASONS, caseworker)


def test_a_substance_use_referral_carries_the_domestic_abuse_summary_but_not_the_account(su_disclosure):
    text = text_of(referral_pdf(su_disclosure))

    assert "Referral to Northside Drug and Alcohol Service" in text
    assert DA_SUMMARY in text
    assert DA_DETAIL not in text
    assert "Account of the abuse" not in text
    assert SU_SUMMARY in text
    assert SU_DETAIL in text


def test_a_domestic_abuse_referral_carries_the_account_but_not_substance_use(da_disclosure):
    text = text_of(referral_pdf(da_disclosure))

    assert "Referral to Safe Haven Domestic Abuse Service" in text
    assert DA_SUMMARY in text
    assert DA_DETAIL in text
    assert SUPPORT_SUMMARY in text
    assert SUPPORT_DETAIL in text
    assert SU_SUMMARY not in text
    assert SU_DETAIL not in text
    assert "Substance use" not in text


def test_withheld_categories_are_absent_from_both(su_disclosure, da_disclosure):
    for disclosure in (su_disclosure, da_disclosure):
        text = text_of(referral_pdf(disclosure))
        assert HOUSING_SUMMARY not in text
        assert "Housing history" not in text
        assert "Flat 2, 10 Mill Lane" not in text  # contact at summary level: how to reach them only
        assert "Text" in text


def test_the_footer_names_the_basis_reference_and_date(su_disclosure):
    text = text_of(referral_pdf(su_disclosure))

    assert f"Basis: {su_disclosure.basis_label}" in text
    assert f"Reference: {su_disclosure.reference}" in text
    assert f"Sent {su_disclosure.disclosed_at:%-d %B %Y}" in text


def test_the_pdf_says_what_was_sent_even_after_the_record_changes(su_disclosure, jordan, caseworker):
    entry = jordan.entries.get(category="domestic_abuse")
    client_services.entry_update(actor=caseworker, entry=entry, summary="Rewritten later.", detail="Rewritten.")
    client_services.client_update(actor=caseworker, client=jordan, first_name="Jo")

    text = text_of(referral_pdf(su_disclosure))

    assert DA_SUMMARY in text
    assert "Rewritten" not in text
    assert "Jordan Reed" in text
