"""Every transmission re-checks its basis at the moment data leaves (DESIGN.md, "Leaving the
organisation"): the e-mail queued with the send, the worker's claim and its retries, a resend,
a staff download after the fact, and a meeting record. Nothing leaves once the basis is gone,
and the refusal is audited as a denied SHARE naming the withdrawn basis."""

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from access.models import AccessEvent
from clients.categories import Selection
from consent.models import ConsentRecord
from consent.services import consent_withdraw
from consent.tests.factories import ConsentRecordFactory, MeetingGroupFactory
from deadlines.models import OutboxEmail
from sharing import services
from sharing.models import RecipientNotice, SharingPolicy, Transmission

from .conftest import SU_SELECTION
from .factories import ReferralFactory, purpose

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups."}


@pytest.fixture
def su_referral(jordan, su_service, su_purpose, caseworker):
    return ReferralFactory(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=caseworker,
    )


@pytest.fixture
def sent(su_referral, su_consent, caseworker):
    return services.referral_send(actor=caseworker, referral=su_referral)


def partner_mail(partner):
    return [message for message in mail.outbox if partner.secure_email in message.to]


def denied_shares():
    return list(
        AccessEvent.objects.filter(action=AccessEvent.Action.SHARE, outcome=AccessEvent.Outcome.DENIED).order_by("id")
    )


def withdraw(consent, actor):
    consent_withdraw(actor=actor, consent=consent, how=ConsentRecord.WithdrawalMethod.PHONE)


# --- Sent means sent --------------------------------------------------------------------------


def test_sending_a_referral_queues_its_email_in_the_same_transaction(
    su_referral, su_consent, su_service, caseworker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        referral = services.referral_send(actor=caseworker, referral=su_referral)

    transmission = referral.transmissions.get()
    assert transmission.status == Transmission.Status.QUEUED
    assert transmission.to_address == su_service.secure_email
    assert transmission.consent == su_consent
    assert transmission.requested_by == caseworker
    assert len(callbacks) == 1  # the worker is asked only once the send has committed
    assert mail.outbox == []


def test_the_worker_emails_the_pdf_to_the_registered_address_once_and_audits_the_basis(sent, su_service, su_consent):
    transmission = sent.transmissions.get()

    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.SENT
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.SENT

    [message] = mail.outbox
    assert message.to == [su_service.secure_email]
    assert message.cc == message.bcc == []
    [(filename, content, _mimetype)] = message.attachments
    assert filename == f"referral-{sent.disclosure.reference}.pdf"
    assert content.startswith(b"%PDF")
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.SENT
    assert transmission.attempts == 1
    assert transmission.sent_at is not None
    claim = AccessEvent.objects.get(object_type="sharing.Transmission", outcome=AccessEvent.Outcome.ALLOWED)
    assert claim.action == AccessEvent.Action.SHARE
    assert claim.basis == sent.disclosure.basis_label
    assert claim.basis.startswith("Consent to Northside")


def test_the_address_is_the_one_registered_when_the_worker_claims_it(sent, su_service):
    su_service.secure_email = "new-referrals@northside.example.org"
    su_service.save()

    services.transmission_send(transmission_id=sent.transmissions.get().pk)

    assert mail.outbox[0].to == ["new-referrals@northside.example.org"]
    assert sent.transmissions.get().to_address == "new-referrals@northside.example.org"


def test_an_organisation_that_hands_referrals_over_another_way_records_without_transmitting(
    su_referral, su_consent, jordan, caseworker, login
):
    policy = SharingPolicy.current()
    policy.referral_delivery = SharingPolicy.Delivery.OTHER
    policy.save()

    referral = services.referral_send(actor=caseworker, referral=su_referral)

    assert not referral.transmissions.exists()
    browser = login(caseworker)
    page = browser.get(reverse("sharing:referral", args=[jordan.pk, referral.pk])).content.decode()
    assert "Recorded, not yet transmitted" in page
    dashboard = browser.get(reverse("home")).content.decode()
    assert "Referrals not yet transmitted" in dashboard
    assert referral.disclosure.reference in dashboard


def test_the_referral_page_shows_the_delivery_outcome(sent, jordan, caseworker, login):
    browser = login(caseworker)
    url = reverse("sharing:referral", args=[jordan.pk, sent.pk])
    assert "queued for e-mail" in browser.get(url).content.decode()

    services.transmission_send(transmission_id=sent.transmissions.get().pk)

    page = browser.get(url).content.decode()
    assert "Transmitted: e-mailed to" in page
    assert '<span class="tag tag-ok">Sent</span>' in page


# --- Withdrawn, then transmitted: nothing leaves --------------------------------------------------


def test_a_withdrawal_cancels_the_queued_email_and_tells_the_requester(
    sent, su_consent, su_service, caseworker, manager, outbox_sent, login
):
    transmission = sent.transmissions.get()
    with outbox_sent():
        withdraw(su_consent, manager)

    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.CANCELLED
    assert "was withdrawn on" in transmission.cancel_reason
    [denied] = denied_shares()
    assert denied.object_type == "sharing.Transmission"
    assert denied.basis == sent.disclosure.basis_label
    assert "was withdrawn on" in denied.detail
    # The worker, when it comes, sends nothing.
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.CANCELLED
    assert partner_mail(su_service) == []
    # The requester is told by e-mail and on the dashboard.
    [told] = [m for m in mail.outbox if m.to == [caseworker.email]]
    assert sent.disclosure.reference in told.subject
    assert "was withdrawn on" in told.body
    # ...through the outbox: claimed before it was sent, once.
    [row] = OutboxEmail.objects.filter(recipients=caseworker.email)
    assert (row.status, row.subject) == (OutboxEmail.Status.SENT, told.subject)
    dashboard = login(caseworker).get(reverse("home")).content.decode()
    assert "Not sent" in dashboard
    assert sent.disclosure.reference in dashboard


def test_emailing_after_a_withdrawal_is_refused_and_audited_as_a_denied_share(
    sent, su_consent, su_service, caseworker, manager
):
    services.transmission_send(transmission_id=sent.transmissions.get().pk)
    mail.outbox.clear()
    withdraw(su_consent, manager)

    with pytest.raises(services.TransmissionRefused, match="was withdrawn on"):
        services.referral_transmit(actor=caseworker, referral=sent)

    assert partner_mail(su_service) == []
    [denied] = denied_shares()
    assert denied.actor == caseworker
    assert denied.basis == sent.disclosure.basis_label
    assert "was withdrawn on" in denied.detail
    assert sent.transmissions.count() == 1


def test_the_resend_button_after_a_withdrawal_sends_nothing(
    sent, su_consent, su_service, jordan, caseworker, manager, login, django_capture_on_commit_callbacks
):
    withdraw(su_consent, manager)
    browser = login(caseworker)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("sharing:referral_email", args=[jordan.pk, sent.pk]), follow=True)

    assert "Not sent, and nothing left the organisation" in response.content.decode()
    assert partner_mail(su_service) == []
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.SHARE, basis="").exists()


def test_an_expired_consent_stops_the_worker_without_any_withdrawal(
    jordan, su_service, su_purpose, caseworker, su_referral
):
    consent = ConsentRecordFactory(
        client=jordan,
        partners=[su_service],
        purposes=[su_purpose],
        selection=SU_SELECTION,
        recorded_by=caseworker,
        expires_on=timezone.localdate() + dt.timedelta(days=2),
    )
    referral = services.referral_send(actor=caseworker, referral=su_referral)
    transmission = referral.transmissions.get()

    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):
        assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.CANCELLED

    assert partner_mail(su_service) == []
    transmission.refresh_from_db()
    assert f"expired on {consent.expires_on.day}" in transmission.cancel_reason
    [denied] = denied_shares()
    assert "expired on" in denied.detail


def test_a_failed_send_is_recorded_with_its_reason_and_the_retry_checks_again(
    sent, su_consent, su_service, manager, settings
):
    transmission = sent.transmissions.get()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: the send fails

    with pytest.raises(services.TransmissionFailed):
        services.transmission_send(transmission_id=transmission.pk)

    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.FAILED
    assert transmission.attempts == 1
    assert "Connection" in transmission.failure_reason or "refused" in transmission.failure_reason
    # Withdrawn before the retry: the retry finds it cancelled and sends nothing.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    withdraw(su_consent, manager)
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.CANCELLED
    assert partner_mail(su_service) == []


def test_a_retry_after_a_failure_sends_once(sent, su_service, settings):
    transmission = sent.transmissions.get()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    with pytest.raises(services.TransmissionFailed):
        services.transmission_send(transmission_id=transmission.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.SENT

    transmission.refresh_from_db()
    assert transmission.attempts == 2
    assert transmission.failure_reason == ""
    assert len(partner_mail(su_service)) == 1


def test_a_claim_left_by_a_dead_worker_becomes_unknown_and_is_never_sent_again(sent, su_service, settings):
    transmission = sent.transmissions.get()
    long_ago = timezone.now() - dt.timedelta(seconds=settings.TRANSMISSION_CLAIM_TIMEOUT_SECONDS + 1)
    Transmission.objects.filter(pk=transmission.pk).update(status="sending", claimed_at=long_ago, attempts=1)

    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.UNKNOWN

    assert partner_mail(su_service) == []


def test_a_claim_still_in_progress_is_left_alone(sent, su_service):
    transmission = sent.transmissions.get()
    Transmission.objects.filter(pk=transmission.pk).update(status="sending", claimed_at=timezone.now(), attempts=1)

    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.SENDING
    assert partner_mail(su_service) == []


def test_a_pdf_downloaded_after_the_withdrawal_is_for_the_file_not_for_sending(
    sent, su_consent, jordan, caseworker, manager, login
):
    browser = login(caseworker)
    url = reverse("sharing:referral_pdf", args=[jordan.pk, sent.pk])
    before = pdf_text(browser.get(url).content)
    withdraw(su_consent, manager)

    response = browser.get(url)

    after = pdf_text(response.content)
    assert "not for sending" not in before.lower()
    assert "For the file, not for sending." in after
    assert "was withdrawn on" in after
    assert "for-the-file" in response["Content-Disposition"]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_a_meeting_record_after_a_withdrawal_is_refused_and_names_the_withdrawal(
    jordan, su_service, da_service, caseworker, manager
):
    group = MeetingGroupFactory(name="Rough Sleeper Action Group", members=[su_service, da_service])
    meeting = purpose("multi-agency-risk-meeting")
    consent = ConsentRecordFactory(
        client=jordan,
        meeting_group=group,
        purposes=[meeting],
        selection={"identity": "summary"},
        recorded_by=caseworker,
    )
    withdraw(consent, manager)

    with pytest.raises(services.ShareRefused):
        services.meeting_disclosure_record(
            actor=caseworker,
            client=jordan,
            group=group,
            meeting_on=timezone.localdate(),
            present=[su_service],
            purpose=meeting,
            selection=Selection({"identity": "summary"}),
            reasons={},
        )

    [denied] = denied_shares()
    assert "was withdrawn on" in denied.detail
    assert denied.basis.startswith("Consent to Rough Sleeper Action Group")


def test_a_transmission_sent_before_the_withdrawal_leaves_a_task_to_tell_the_recipient(
    sent, su_consent, su_service, manager
):
    services.transmission_send(transmission_id=sent.transmissions.get().pk)

    withdraw(su_consent, manager)

    assert sent.transmissions.get().status == Transmission.Status.SENT
    assert RecipientNotice.objects.get().disclosure == sent.disclosure


def test_the_sharing_history_says_a_referral_is_not_yet_transmitted_until_it_is(sent, jordan, caseworker, login):
    browser = login(caseworker)
    history = reverse("sharing:history", args=[jordan.pk])
    assert "Recorded, not yet transmitted" in browser.get(history).content.decode()

    services.transmission_send(transmission_id=sent.transmissions.get().pk)

    assert "Recorded, not yet transmitted" not in browser.get(history).content.decode()


def test_a_connection_broken_mid_send_is_unknown_and_never_sent_again(sent, su_service, settings):
    transmission = sent.transmissions.get()
    settings.EMAIL_BACKEND = "deadlines.tests.backends.DisconnectMidSendBackend"

    # The server may already have taken it: no retry is raised, the outcome is unknown.
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.UNKNOWN

    transmission.refresh_from_db()
    assert "SMTPServerDisconnected" in transmission.failure_reason
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.UNKNOWN
    assert partner_mail(su_service) == []
