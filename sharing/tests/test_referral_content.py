"""Referrals a partner can act on: the request, the referrer's contact details, safe-contact
instructions, chosen case notes; a preview with exactly the PDF's text; discarding a draft;
and the stop notice sent in one click."""

import html
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from access.models import AccessEvent
from clients.categories import Selection
from clients.tests.factories import CaseNoteFactory
from consent.models import ConsentRecord
from consent.services import consent_withdraw
from sharing import services, tasks
from sharing.documents import referral_pdf
from sharing.models import RecipientNotice, Referral, Transmission

from .conftest import DA_DETAIL, DA_SELECTION, SU_DETAIL
from .factories import ReferralFactory

REQUEST = "Please offer Jordan an assessment for your refuge this week: her former partner was released on Monday."
SAFE_TIME = "Only call 10am to 2pm on weekdays; never text."
CHOSEN_1 = "Jordan said he found her new address through a friend; she moved to her sister's."
CHOSEN_2 = "Safety plan agreed: code word with the hostel staff, bag packed at her sister's."
NOT_CHOSEN = "Talked about her court date and her solicitor, Ms Patel."
OTHER_CATEGORY = "Cut down to one can a day this week."


@pytest.fixture
def notes(jordan, caseworker):
    return {
        "chosen_1": CaseNoteFactory(client=jordan, category="domestic_abuse", text=CHOSEN_1, author=caseworker),
        "chosen_2": CaseNoteFactory(client=jordan, category="support_needs", text=CHOSEN_2, author=caseworker),
        "not_chosen": CaseNoteFactory(client=jordan, category="domestic_abuse", text=NOT_CHOSEN, author=caseworker),
        # Substance use is not in the selection: a note of it cannot go even if ticked.
        "other": CaseNoteFactory(client=jordan, category="substance_use", text=OTHER_CATEGORY, author=caseworker),
    }


@pytest.fixture
def da_referral(jordan, da_service, da_purpose, caseworker):
    return ReferralFactory(
        client=jordan,
        partner=da_service,
        purpose=da_purpose,
        selection=Selection(DA_SELECTION).to_json(),
        reasons={"domestic_abuse": "They assess the risk from the account of the abuse."},
        created_by=caseworker,
    )


def words(text: str) -> str:
    return " ".join(text.split())


def page_text(fragment: str) -> str:
    return words(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def document_of(page: str) -> str:
    """The text of the shared referral document on a page (the same template as the PDF's)."""
    start = page.index('<div id="referral-document"')
    end = page.index("</section>", start)
    return page_text(page[start:end])


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return words(" ".join(page.extract_text() for page in reader.pages))


def without_page_furniture(text: str) -> str:
    """The PDF's text without each page's number and footer (which a page break puts mid-text)."""
    return re.sub(r" ?Page \d+ of \d+ Basis: .+? · Reference: \S+ · Sent \d{1,2} \w+ \d{4} by Casework", "", text)


def fill(referral, notes, actor):
    return services.referral_update(
        actor=actor,
        referral=referral,
        selection=referral.selection_obj,
        reasons=referral.reasons,
        details={
            "request": REQUEST,
            "referrer_phone": "0161 496 0000",
            "safe_to_phone": "yes",
            "voicemail_ok": "no",
            "letters_ok": "no",
            "safe_contact_notes": SAFE_TIME,
        },
        notes=[notes["chosen_1"].pk, notes["chosen_2"].pk, notes["other"].pk],
    )


def test_the_preview_and_the_pdf_hold_exactly_the_same_text(da_referral, da_consent, notes, jordan, caseworker, login):
    fill(da_referral, notes, caseworker)
    browser = login(caseworker)

    preview = document_of(
        browser.get(reverse("sharing:referral_preview", args=[jordan.pk, da_referral.pk])).content.decode()
    )
    referral = services.referral_send(actor=caseworker, referral=da_referral)
    pdf = pdf_text(referral_pdf(referral.disclosure))

    assert preview in without_page_furniture(pdf)
    for text in (
        REQUEST,
        SAFE_TIME,
        CHOSEN_1,
        CHOSEN_2,
        DA_DETAIL,
        "Casey Worker",
        "0161 496 0000",
        "casey@example.org",
    ):
        assert words(text) in preview
    assert "Outreach North" in preview  # the referrer's team
    assert "Safe to leave a voicemail No" in preview
    for withheld in (NOT_CHOSEN, OTHER_CATEGORY, SU_DETAIL):
        assert withheld not in preview
        assert words(withheld) not in pdf
    assert referral.disclosure.snapshot["request"] == REQUEST


def test_the_disclosure_log_entry_shows_the_referral_as_sent_not_an_older_layout(
    da_referral, da_consent, notes, jordan, caseworker, login
):
    fill(da_referral, notes, caseworker)
    referral = services.referral_send(actor=caseworker, referral=da_referral)

    page = (
        login(caseworker).get(reverse("sharing:disclosure", args=[jordan.pk, referral.disclosure.pk])).content.decode()
    )

    start = page.index('<div id="referral-document"')
    document = page_text(page[start : page.index("Back to the sharing history", start)])
    assert document in without_page_furniture(pdf_text(referral_pdf(referral.disclosure)))
    for text in (REQUEST, SAFE_TIME, CHOSEN_1, CHOSEN_2, DA_DETAIL, "0161 496 0000"):
        assert words(text) in document
    for withheld in (NOT_CHOSEN, OTHER_CATEGORY, SU_DETAIL):
        assert words(withheld) not in page_text(page)


def test_notes_are_kept_only_in_categories_chosen_at_detail_level(da_referral, notes, caseworker):
    fill(da_referral, notes, caseworker)
    assert sorted(da_referral.notes) == sorted([notes["chosen_1"].pk, notes["chosen_2"].pk])

    narrowed = Selection({"identity": "summary", "domestic_abuse": "summary"})
    services.referral_update(actor=caseworker, referral=da_referral, selection=narrowed, reasons=da_referral.reasons)

    assert Referral.objects.get(pk=da_referral.pk).notes == []


def test_the_draft_form_saves_the_request_safe_contact_and_notes_and_goes_to_the_preview(
    da_referral, da_consent, notes, jordan, caseworker, login
):
    from .test_views import form_data

    data = form_data(DA_SELECTION, {"domestic_abuse": "They assess the risk."})
    data.update(
        action="preview",
        request=REQUEST,
        referrer_phone="0161 496 0000",
        safe_to_phone="no",
        voicemail_ok="no",
        letters_ok="unknown",
        safe_contact_notes=SAFE_TIME,
        notes=[notes["chosen_1"].pk],
    )

    response = login(caseworker).post(reverse("sharing:referral", args=[jordan.pk, da_referral.pk]), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("sharing:referral_preview", args=[jordan.pk, da_referral.pk])
    da_referral.refresh_from_db()
    assert da_referral.request == REQUEST
    assert da_referral.letters_ok == "unknown"
    assert da_referral.notes == [notes["chosen_1"].pk]


def test_a_chosen_category_that_holds_nothing_is_flagged_and_can_be_dropped(da_referral, jordan, caseworker, login):
    da_referral.selection = Selection({**DA_SELECTION, "finances": "summary"}).to_json()
    da_referral.save()
    browser = login(caseworker)
    url = reverse("sharing:referral_preview", args=[jordan.pk, da_referral.pk])

    page = browser.get(url).content.decode()
    assert "Chosen, but nothing recorded" in page
    assert 'value="finances"' in page

    response = browser.post(url, {"drop": "finances"})

    assert response.status_code == 302
    da_referral.refresh_from_db()
    assert "finances" not in da_referral.selection_obj
    assert "Chosen, but nothing recorded" not in browser.get(url).content.decode()


def test_a_discarded_draft_leaves_the_sharing_history_and_is_audited(da_referral, jordan, caseworker, login):
    browser = login(caseworker)
    history = reverse("sharing:history", args=[jordan.pk])
    assert da_referral.reference in browser.get(history).content.decode()

    response = browser.post(reverse("sharing:referral_discard", args=[jordan.pk, da_referral.pk]))

    assert response.status_code == 302
    da_referral.refresh_from_db()
    assert da_referral.status == Referral.Status.DISCARDED
    assert da_referral.discarded_by == caseworker
    page = browser.get(history).content.decode()
    assert "Draft referrals" not in page
    assert f"{da_referral.reference}:" not in page
    assert AccessEvent.objects.filter(
        purpose="discard referral", action=AccessEvent.Action.EDIT, object_id=str(da_referral.pk)
    ).exists()
    assert browser.get(reverse("sharing:referral", args=[jordan.pk, da_referral.pk])).status_code == 404


def test_a_sent_referral_cannot_be_discarded(da_referral, da_consent, caseworker):
    services.referral_send(actor=caseworker, referral=da_referral)

    with pytest.raises(Exception, match="Only a draft"):
        services.referral_discard(actor=caseworker, referral=da_referral)


def test_the_stop_notice_goes_in_one_click_to_the_registered_address_and_closes_the_task(
    da_referral,
    da_consent,
    da_service,
    jordan,
    caseworker,
    manager,
    login,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(tasks.transmit, "delay", lambda transmission_id: tasks.transmit.apply((transmission_id,)))
    referral = services.referral_send(actor=caseworker, referral=da_referral)
    services.transmission_send(transmission_id=referral.transmissions.get().pk)
    consent_withdraw(actor=manager, consent=da_consent, how=ConsentRecord.WithdrawalMethod.IN_PERSON)
    notice = RecipientNotice.objects.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = login(caseworker).post(reverse("sharing:notice_send", args=[jordan.pk, notice.pk]))

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [da_service.secure_email]
    assert message.subject == notice.subject
    assert message.attachments == []
    notice.refresh_from_db()
    assert notice.is_done
    assert notice.done_how == RecipientNotice.How.EMAIL
    assert notice.transmissions.get().status == Transmission.Status.SENT
