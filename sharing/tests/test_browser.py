"""Browser: a referral to a substance-use service with the domestic-abuse summary only, then to
a domestic-abuse service with the detail; the two PDFs differ as they should."""

import io
import re

import pytest
from pypdf import PdfReader

from sharing.models import Disclosure

from .conftest import DA_DETAIL, DA_SELECTION, DA_SUMMARY, SU_DETAIL, SU_SELECTION
from .factories import PurposeTemplateFactory

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _worker_sends_at_once(monkeypatch):
    """The worker's send runs as soon as the send commits, as a running worker would."""
    from sharing import tasks

    monkeypatch.setattr(tasks.transmit, "delay", lambda transmission_id: tasks.transmit.apply((transmission_id,)))


def pdf_text(page) -> str:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the referral (PDF)").click()
    with open(download_info.value.path(), "rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def make_referral(page, axe, client, *, partner: str, purpose: str, reasons: dict[str, str]):
    page.goto(f"/sharing/client/{client.pk}/")
    page.get_by_role("heading", name="Sharing history").wait_for()
    axe(page)
    page.get_by_role("link", name="Make a referral").click()
    page.get_by_role("heading", name="Make a referral").wait_for()
    axe(page)
    page.get_by_label("Organisation to refer to").select_option(label=partner)
    page.get_by_label(purpose).check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name=f"Referral to {partner} Draft").wait_for()
    page.get_by_role("heading", name="Covered: this can be sent").wait_for()
    axe(page)
    for label, reason in reasons.items():
        page.get_by_label(label).fill(reason)
    page.get_by_role("button", name="Send the referral").click()

    page.get_by_text(f"Referral to {partner} recorded and queued for e-mail").wait_for()
    page.get_by_role("heading", name=f"Referral to {partner} Sent").wait_for()
    axe(page)


def test_a_caseworker_refers_with_the_summary_to_one_service_and_the_detail_to_another(
    page, axe, browser_login, caseworker, jordan, su_service, su_purpose, su_consent, da_service, da_purpose, da_consent
):
    PurposeTemplateFactory(purpose=su_purpose, selection=SU_SELECTION)
    PurposeTemplateFactory(purpose=da_purpose, selection=DA_SELECTION)
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()

    make_referral(
        page,
        axe,
        jordan,
        partner="Northside Drug and Alcohol Service",
        purpose="Referral to a substance-use service",
        reasons={
            "Why substance use is necessary": "They need the pattern of use to plan treatment.",
            "Why domestic abuse is necessary": "They must offer single-gender groups and keep her address safe.",
        },
    )
    # The template chose the domestic-abuse summary; the page shows only what was sent.
    assert page.get_by_text(DA_SUMMARY).is_visible()
    assert page.get_by_text(DA_DETAIL).count() == 0
    substance_use_pdf = pdf_text(page)

    make_referral(
        page,
        axe,
        jordan,
        partner="Safe Haven Domestic Abuse Service",
        purpose="Referral to a domestic-abuse service",
        reasons={"Why domestic abuse is necessary": "They assess the risk from the account of the abuse."},
    )
    domestic_abuse_pdf = pdf_text(page)

    assert DA_SUMMARY in substance_use_pdf
    assert DA_DETAIL not in substance_use_pdf
    assert SU_DETAIL in substance_use_pdf
    assert DA_SUMMARY in domestic_abuse_pdf
    assert DA_DETAIL in domestic_abuse_pdf
    assert SU_DETAIL not in domestic_abuse_pdf
    references = list(Disclosure.objects.order_by("disclosed_at").values_list("reference", flat=True))
    assert re.search(f"Reference: {references[0]}", substance_use_pdf)
    assert re.search(f"Reference: {references[1]}", domestic_abuse_pdf)

    page.goto(f"/sharing/client/{jordan.pk}/")
    log = page.get_by_role("table")
    assert log.get_by_role("link", name=references[0]).is_visible()
    assert log.get_by_role("link", name=references[1]).is_visible()
    axe(page)
