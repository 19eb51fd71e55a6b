"""Browser: a caseworker makes a domestic-abuse referral with a request, safe-contact
instructions and two chosen case notes, previews it and sends it; the partner's e-mail
carries exactly the preview. Then the client withdraws, and the caseworker sends the
"stop using it" notice in one click."""

import io
import re

import pytest
from django.core import mail
from pypdf import PdfReader

from clients.tests.factories import CaseNoteFactory
from consent.models import ConsentRecord
from consent.services import consent_withdraw
from sharing.models import RecipientNotice

from .conftest import DA_DETAIL, DA_SELECTION, SU_DETAIL
from .factories import PurposeTemplateFactory

pytestmark = pytest.mark.browser

REQUEST = "Please assess Jordan for a refuge place this week: her former partner was released on Monday."
SAFE_TIME = "Only call 10am to 2pm on weekdays; never text."
CHOSEN_1 = "Jordan said he found her new address through a friend; she moved to her sister's."
CHOSEN_2 = "Safety plan agreed: code word with the hostel staff, bag packed at her sister's."
NOT_CHOSEN = "Talked about her court date and her solicitor, Ms Patel."


@pytest.fixture(autouse=True)
def _worker_sends_at_once(monkeypatch):
    """The worker's send runs as soon as the request commits, as a running worker would."""
    from sharing import tasks

    monkeypatch.setattr(tasks.transmit, "delay", lambda transmission_id: tasks.transmit.apply((transmission_id,)))


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = words(" ".join(page.extract_text() for page in reader.pages))
    # Each page's number and footer, which a page break puts in the middle of the text.
    return re.sub(r" ?Page \d+ of \d+ Basis: .+? · Reference: \S+ · Sent \d{1,2} \w+ \d{4} by Casework", "", text)


def test_a_caseworker_previews_and_sends_a_dv_referral_then_sends_the_stop_notice_in_one_click(
    page, axe, browser_login, caseworker, jordan, da_service, da_purpose, da_consent
):
    PurposeTemplateFactory(purpose=da_purpose, selection=DA_SELECTION)
    CaseNoteFactory(client=jordan, category="domestic_abuse", text=CHOSEN_1, author=caseworker)
    CaseNoteFactory(client=jordan, category="support_needs", text=CHOSEN_2, author=caseworker)
    CaseNoteFactory(client=jordan, category="domestic_abuse", text=NOT_CHOSEN, author=caseworker)
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.goto(f"/sharing/client/{jordan.pk}/")
    page.get_by_role("link", name="Make a referral").click()
    page.get_by_label("Organisation to refer to").select_option(label="Safe Haven Domestic Abuse Service")
    page.get_by_label("Referral to a domestic-abuse service").check()
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Referral to Safe Haven Domestic Abuse Service Draft").wait_for()
    axe(page)
    page.get_by_label("What are you asking them to do, and why now?").fill(REQUEST)
    page.get_by_label("Your phone number").fill("0161 496 0000")
    page.get_by_label("Is it safe to phone the client?").select_option(label="Yes")
    page.get_by_label("Is it safe to leave a voicemail?").select_option(label="No")
    page.get_by_label("Is it safe to send letters?").select_option(label="No")
    page.get_by_label("Safe time or number").fill(SAFE_TIME)
    page.get_by_label("Why domestic abuse is necessary").fill("They assess the risk from the account of the abuse.")
    page.get_by_label(re.compile(re.escape(CHOSEN_1[:40]))).check()
    page.get_by_label(re.compile(re.escape(CHOSEN_2[:40]))).check()
    page.get_by_role("button", name="Preview what they will receive").click()

    page.get_by_role("heading", name="Preview: what Safe Haven Domestic Abuse Service will receive").wait_for()
    axe(page)
    preview = words(page.locator("#referral-document").inner_text())
    for text in (REQUEST, SAFE_TIME, CHOSEN_1, CHOSEN_2, DA_DETAIL, "0161 496 0000"):
        assert words(text) in preview
    assert NOT_CHOSEN not in preview
    page.get_by_role("button", name="Send the referral").click()

    page.get_by_text("Referral to Safe Haven Domestic Abuse Service recorded and queued for e-mail").wait_for()
    page.get_by_role("heading", name="Referral to Safe Haven Domestic Abuse Service Sent").wait_for()
    axe(page)
    [message] = [m for m in mail.outbox if m.to == [da_service.secure_email]]
    [(_name, content, _type)] = message.attachments
    sent = pdf_text(content)
    assert preview in sent
    for withheld in (NOT_CHOSEN, SU_DETAIL):
        assert words(withheld) not in sent

    consent_withdraw(actor=caseworker, consent=da_consent, how=ConsentRecord.WithdrawalMethod.IN_PERSON)
    page.goto("/")
    page.get_by_role("link", name=re.compile("Tell Safe Haven Domestic Abuse Service to stop")).click()
    page.get_by_role("heading", name="Tell Safe Haven Domestic Abuse Service to stop using the information").wait_for()
    axe(page)
    page.get_by_role("button", name=f"E-mail the notice to {da_service.secure_email}").click()

    page.get_by_text("the task is marked done when it has gone").wait_for()
    axe(page)
    notice = RecipientNotice.objects.get()
    assert notice.is_done
    assert notice.done_how == RecipientNotice.How.EMAIL
    stop = [m for m in mail.outbox if m.to == [da_service.secure_email] and m.subject == notice.subject]
    assert len(stop) == 1
    assert stop[0].attachments == []


def test_a_preview_that_cannot_be_sent_says_why_in_the_shared_error_summary(
    page, axe, browser_login, caseworker, jordan, da_service, da_purpose
):
    from clients.categories import Selection

    from .factories import ReferralFactory

    referral = ReferralFactory(
        client=jordan,
        partner=da_service,
        purpose=da_purpose,
        selection=Selection(DA_SELECTION).to_json(),
        created_by=caseworker,
    )  # no consent covers it
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.goto(f"/sharing/client/{jordan.pk}/referrals/{referral.pk}/preview/")

    summary = page.locator("[data-error-summary]")
    summary.get_by_role("heading", name="This cannot be sent yet").wait_for()
    assert summary.get_attribute("role") == "alert"
    assert summary.locator("li").count() >= 1
    assert page.get_by_role("button", name="Send the referral").count() == 0
    axe(page)
