"""Browser: a caseworker logs a police request at the door; the manager decides a partial
disclosure; the disclosure-record PDF holds only the disclosed part."""

import io

import pytest
from pypdf import PdfReader

from consent.tests.factories import PDF_BYTES
from sharing.tests.conftest import HOUSING_SUMMARY, SUPPORT_DETAIL, SUPPORT_SUMMARY
from statutory.models import StatutoryRequest

pytestmark = pytest.mark.browser


def choose(page, name: str, value: str) -> None:
    page.locator(f"input[name={name}][value='{value}']").check()


def test_a_police_request_at_the_door_is_decided_in_part_and_the_pdf_holds_only_that_part(
    page, axe, browser_login, caseworker, manager, jordan
):
    # The caseworker, at the door: an officer with a production order.
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto(f"/sharing/client/{jordan.pk}/statutory/")
    page.get_by_role("heading", name="Police and statutory requests").wait_for()
    axe(page)
    page.get_by_role("link", name="Log a request").click()
    page.get_by_role("heading", name="Log a police or statutory request").wait_for()
    axe(page)

    page.get_by_label("Police force").check()
    page.get_by_label("Force or organisation").fill("Greater Manchester Police")
    page.get_by_label("Name of the person asking").fill("Sam Patel")
    page.get_by_label("Rank or job title").fill("Detective Constable")
    page.get_by_label("Collar or badge number").fill("4471")
    page.get_by_label("Contact details").fill("0161 496 0999")
    page.get_by_label("Warrant card or official identity card seen and checked").check()
    page.get_by_label("In person (at the door or office)").check()
    page.get_by_label("What they asked for, in their words").fill("Her housing history and support plan.")
    page.get_by_label("Warrant or court order").check()
    page.get_by_label("Production order", exact=True).check()
    page.get_by_label("Order reference").fill("PO-2026-118")
    page.get_by_label("Issuing court").fill("Manchester Crown Court")
    page.get_by_label("Date of the order").fill("2026-01-05")
    page.get_by_label("Copy of the warrant or order").set_input_files(
        files=[{"name": "order.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    choose(page, "scope_identity", "summary")
    choose(page, "scope_housing_history", "detail")
    choose(page, "scope_support_needs", "detail")
    # Only the details of the basis claimed are shown.
    assert page.get_by_label("Why it is urgent").is_hidden()
    page.get_by_label("Why they say they need it").fill("An investigation into her landlord.")
    page.get_by_label("Yes: telling the client would prejudice the investigation").check()
    page.get_by_role("button", name="Log the request").click()

    request = StatutoryRequest.objects.get()
    page.get_by_role("heading", name=f"Request {request.reference}").wait_for()
    page.get_by_text("Legal hold since").wait_for()
    assert page.get_by_role("link", name="Decide this request").count() == 0
    axe(page)
    page.get_by_role("button", name="Sign out").click()

    # The manager: the queue, the request, the decision.
    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Statutory requests").click()
    page.get_by_role("heading", name="Police and statutory requests").wait_for()
    axe(page)
    page.get_by_role("link", name=request.reference).click()
    page.get_by_role("link", name="Decide this request").click()
    page.get_by_role("heading", name=f"Decide request {request.reference}").wait_for()
    axe(page)
    page.get_by_label("Disclosed in part").check()
    page.get_by_label("Reasons for the decision").fill("The housing summary answers the question; no more.")
    page.locator("input[name=client_told][value=no]").check()
    page.get_by_label("If not, why not").fill("The officer says it would prejudice the investigation.")
    choose(page, "level_housing_history", "summary")
    choose(page, "level_support_needs", "")
    page.get_by_role("button", name="Record the decision").click()

    page.get_by_text("Decision recorded: disclosed in part.").wait_for()
    axe(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the disclosure record (PDF)").click()
    with open(download_info.value.path(), "rb") as pdf:
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages).split())

    assert HOUSING_SUMMARY in text
    assert "Evicted in February" not in text  # the housing detail was not chosen
    assert SUPPORT_SUMMARY not in text
    assert SUPPORT_DETAIL not in text
    assert "Disclosed in part" in text
    assert "PO-2026-118" in text
