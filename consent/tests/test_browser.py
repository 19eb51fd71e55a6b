"""Browser: record written consent with its signed form, see it active, withdraw it, and see
the withdrawal on the tab and in the client's summary PDF."""

import io
import re

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from consent.models import ConsentEvidence, ConsentRecord

from .conftest import stored_files

pytestmark = pytest.mark.browser


def summary_text(page) -> str:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the consent summary for the client (PDF)").click()
    with open(download_info.value.path(), "rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_a_caseworker_records_written_consent_then_withdraws_it(
    page, axe, browser_login, caseworker, jordan, riverside, housing, notice, private_root, tmp_path
):
    signed_form = tmp_path / "signed-consent.pdf"
    HTML(string="<h1>Consent to share</h1><p>Signed: Jordan Reed</p>").write_pdf(signed_form)

    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.goto(f"/consent/client/{jordan.pk}/")
    page.get_by_role("heading", name="Consent and other lawful bases").wait_for()
    axe(page)

    page.get_by_role("link", name="Record consent").click()
    page.get_by_role("heading", name="Record consent").wait_for()
    axe(page)
    page.get_by_label("Riverside Housing").check()
    page.get_by_label("Referral to housing").check()
    page.get_by_role("group", name="Housing history").get_by_role("radio", name=re.compile("^Detail")).check()
    page.get_by_role("group", name="Support needs").get_by_role("radio", name=re.compile("^Summary")).check()
    page.get_by_label("Written, with the signed form").check()
    assert not page.get_by_label("Witness", exact=True).is_visible()  # only the fields for written consent are shown
    page.get_by_label("Signed consent form").set_input_files(str(signed_form))
    page.get_by_role("group", name="Did the client have capacity to consent to this?").get_by_label("Yes").check()
    page.get_by_role("button", name="Record consent").click()

    page.get_by_text("Consent recorded: Riverside Housing.").wait_for()
    active = page.locator("section", has=page.get_by_role("heading", name="Active consents"))
    assert active.get_by_role("heading", name="Consent to Riverside Housing Active").is_visible()
    axe(page)
    consent = ConsentRecord.objects.get()
    assert consent.method == "written"
    assert stored_files(private_root) == [ConsentEvidence.objects.get().stored_name]

    before = summary_text(page)
    assert "Riverside Housing" in before.split("How to change your mind")[0]
    assert "Housing history: the full details" in before
    assert "No longer agreed" not in before

    page.get_by_role("link", name="Withdraw consent to Riverside Housing").click()
    page.get_by_role("heading", name="Withdraw consent to Riverside Housing").wait_for()
    axe(page)
    page.get_by_label("By phone").check()
    page.get_by_label("Note").fill("Jordan rang: no longer wants Riverside to have anything.")
    page.get_by_role("button", name="Withdraw consent").click()

    page.get_by_text("Consent to Riverside Housing withdrawn.").wait_for()
    withdrawn = page.locator("section", has=page.get_by_role("heading", name="Withdrawn consents"))
    assert withdrawn.get_by_role("heading", name="Consent to Riverside Housing Withdrawn").is_visible()
    assert page.get_by_text("No active consent.").is_visible()
    axe(page)

    after = summary_text(page)
    agreed, ended = after.split("No longer agreed")
    assert "You have not agreed to us sharing your information with anyone at the moment." in agreed
    assert "Housing history" not in after
    assert "Riverside Housing: withdrawn on" in ended
