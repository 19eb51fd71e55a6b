"""Transmissions whose task was lost are sent again by the deadline sweep, re-checked first;
ones whose outcome is unknown are never sent again, and the ISO sees them.

The sweep is the real one (deadlines.services.deadlines_sweep, with sharing's chore
registered by sharing.apps) against the test database; the clock is moved with time-machine.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clients.categories import Selection
from consent.tests.factories import ConsentRecordFactory
from deadlines.services import deadlines_sweep
from sharing import services, tasks
from sharing.models import Transmission

from .conftest import SU_SELECTION
from .factories import ReferralFactory

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups."}
T0 = timezone.now().replace(microsecond=0) + dt.timedelta(days=7)  # after the consents start


@pytest.fixture
def worker(monkeypatch):
    """The worker runs each published send task at once; returns the ids it was handed."""
    handed = []

    def delay(transmission_id):
        handed.append(transmission_id)
        tasks.transmit.apply((transmission_id,))

    monkeypatch.setattr(tasks.transmit, "delay", delay)
    return handed


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    def _sweep():
        with django_capture_on_commit_callbacks(execute=True):
            return deadlines_sweep()

    return _sweep


def queued_referral(*, client, partner, purpose, actor, expires_on=None):
    """A referral sent at T0 whose e-mail task was lost (Redis down): its transmission stays queued."""
    ConsentRecordFactory(
        client=client,
        partners=[partner],
        purposes=[purpose],
        selection=SU_SELECTION,
        recorded_by=actor,
        expires_on=expires_on,
    )
    referral = ReferralFactory(
        client=client,
        partner=partner,
        purpose=purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=actor,
    )
    with time_machine.travel(T0, tick=False):
        sent = services.referral_send(actor=actor, referral=referral)  # on-commit publish never runs
    return sent.transmissions.get()


def partner_mail(partner):
    return [message for message in mail.outbox if partner.secure_email in message.to]


def test_a_transmission_left_queued_is_sent_by_the_sweep_once(
    jordan, su_service, su_purpose, caseworker, worker, sweep, settings
):
    settings.TRANSMISSION_REQUEUE_MINUTES = 10
    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)

    with time_machine.travel(T0 + dt.timedelta(minutes=9), tick=False):
        sweep()
    assert worker == []  # not yet: its task may still be on its way

    with time_machine.travel(T0 + dt.timedelta(minutes=11), tick=False):
        summary = sweep()
        sweep()  # a repeated sweep finds it sent

    assert summary["chores"]["sharing.transmissions"] == 1
    assert worker == [transmission.pk]
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.SENT
    assert len(partner_mail(su_service)) == 1


def test_a_requeued_transmission_is_re_checked_and_stops_when_its_basis_has_ended(
    jordan, su_service, su_purpose, caseworker, worker, sweep
):
    transmission = queued_referral(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        actor=caseworker,
        expires_on=(T0 + dt.timedelta(days=1)).date(),
    )

    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        sweep()

    assert worker == [transmission.pk]
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.CANCELLED
    assert "expired on" in transmission.cancel_reason
    assert partner_mail(su_service) == []


def test_a_transmission_left_sending_becomes_unknown_is_never_resent_and_the_iso_sees_it(
    jordan, su_service, su_purpose, caseworker, iso, worker, sweep, settings, login
):
    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)
    claimed = T0 + dt.timedelta(minutes=1)
    Transmission.objects.filter(pk=transmission.pk).update(status="sending", claimed_at=claimed, attempts=1)

    with time_machine.travel(claimed + dt.timedelta(seconds=settings.TRANSMISSION_CLAIM_TIMEOUT_SECONDS - 1)):
        sweep()
    assert Transmission.objects.get(pk=transmission.pk).status == Transmission.Status.SENDING

    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        sweep()
        sweep()

    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.UNKNOWN
    assert worker == []
    assert partner_mail(su_service) == []
    page = login(iso).get(reverse("home")).content.decode()
    assert "Transmissions to partners with an unknown outcome" in page
    assert transmission.disclosure.reference in page
    assert (
        "Transmissions to partners with an unknown outcome"
        not in login(caseworker).get(reverse("home")).content.decode()
    )


def test_the_iso_list_leaves_out_a_send_still_in_progress(jordan, su_service, su_purpose, caseworker):
    from sharing.selectors import transmissions_needing_attention

    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)
    Transmission.objects.filter(pk=transmission.pk).update(status="sending", claimed_at=timezone.now(), attempts=1)

    assert transmissions_needing_attention() == []


# --- A failed send whose retry was lost ----------------------------------------------------------


def fail_once(transmission, settings):
    """The worker's send fails (nothing listens) and its Celery retry message is lost."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    with pytest.raises(services.TransmissionFailed) as failed:
        services.transmission_send(transmission_id=transmission.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return failed.value


def test_a_failed_send_records_when_its_retry_is_due(jordan, su_service, su_purpose, caseworker, settings):
    settings.TRANSMISSION_RETRY_SECONDS = 60
    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)

    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        failed = fail_once(transmission, settings)

    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.FAILED
    assert transmission.retry_due_at == T0 + dt.timedelta(minutes=2)
    assert failed.retry_at == transmission.retry_due_at


def test_a_failed_send_whose_retry_was_lost_is_sent_by_the_sweep_once(
    jordan, su_service, su_purpose, caseworker, worker, sweep, settings
):
    settings.TRANSMISSION_REQUEUE_MINUTES = 10
    settings.TRANSMISSION_RETRY_SECONDS = 60
    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        fail_once(transmission, settings)  # retry due at T0 + 2 min

    with time_machine.travel(T0 + dt.timedelta(minutes=11), tick=False):
        sweep()
    assert worker == []  # its retry may still be on its way

    with time_machine.travel(T0 + dt.timedelta(minutes=13), tick=False):
        summary = sweep()
        sweep()

    assert summary["chores"]["sharing.transmissions"] == 1
    assert worker == [transmission.pk]
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.SENT
    assert transmission.attempts == 2
    assert transmission.retry_due_at is None
    assert len(partner_mail(su_service)) == 1


def test_a_failed_send_out_of_attempts_waits_for_send_again(
    jordan, su_service, su_purpose, caseworker, worker, sweep, settings
):
    settings.TRANSMISSION_MAX_ATTEMPTS = 1
    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        failed = fail_once(transmission, settings)
    assert failed.retry_at is None

    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        sweep()

    assert worker == []
    assert Transmission.objects.get(pk=transmission.pk).status == Transmission.Status.FAILED
    assert partner_mail(su_service) == []


def test_a_requeued_failed_send_is_re_checked_and_stops_when_its_basis_has_ended(
    jordan, su_service, su_purpose, caseworker, worker, sweep, settings
):
    transmission = queued_referral(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        actor=caseworker,
        expires_on=(T0 + dt.timedelta(days=1)).date(),
    )
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        fail_once(transmission, settings)

    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        sweep()

    assert worker == [transmission.pk]
    transmission.refresh_from_db()
    assert transmission.status == Transmission.Status.CANCELLED
    assert "expired on" in transmission.cancel_reason
    assert partner_mail(su_service) == []


# --- The PDF is rendered outside the claim's transaction ---------------------------------------


def test_the_referral_pdf_is_rendered_after_the_claim_commits(jordan, su_service, su_purpose, caseworker, monkeypatch):
    """On SQLite a write transaction holds the database's one write lock: rendering the PDF
    inside the claim would stall every other writer for the render's length."""
    from django.db import connection

    from sharing import documents

    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)
    render = documents.referral_pdf
    outside = len(connection.atomic_blocks)  # the test's own transaction, around everything
    seen = []

    def watched(disclosure, **kwargs):
        status = Transmission.objects.values_list("status", flat=True).get(pk=transmission.pk)
        seen.append((len(connection.atomic_blocks) > outside, status))
        return render(disclosure, **kwargs)

    monkeypatch.setattr(documents, "referral_pdf", watched)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.SENT

    assert seen == [(False, Transmission.Status.SENDING)]  # claimed and committed, then rendered
    assert len(partner_mail(su_service)) == 1


def test_the_worker_retries_until_the_attempts_are_used_then_waits_for_send_again(
    jordan, su_service, su_purpose, caseworker, settings
):
    settings.TRANSMISSION_MAX_ATTEMPTS = 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    transmission = queued_referral(client=jordan, partner=su_service, purpose=su_purpose, actor=caseworker)

    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        result = tasks.transmit.apply((transmission.pk,))

    assert result.get() == Transmission.Status.FAILED
    transmission.refresh_from_db()
    assert (transmission.status, transmission.attempts, transmission.retry_due_at) == ("failed", 3, None)
