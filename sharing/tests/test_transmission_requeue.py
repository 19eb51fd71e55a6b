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
