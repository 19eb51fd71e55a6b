"""A withdrawal racing a referral, with real concurrent transactions on PostgreSQL.

Each side runs in its own thread with its own database connection. One side holds its
transaction open at the critical point; the test waits until the other side is blocked
on the row lock (pg_stat_activity says so), then lets the first commit. Whichever
commits first wins; there is never a disclosure after a committed withdrawal.
"""

import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections, transaction

from access.models import AccessEvent
from clients.categories import Selection
from consent.models import ConsentRecord
from consent.services import consent_withdraw
from sharing import services
from sharing.models import Disclosure, RecipientNotice, Referral, Transmission

from .conftest import SU_SELECTION
from .factories import ReferralFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SU_REASONS = {"substance_use": "To plan treatment.", "domestic_abuse": "Single-gender groups."}


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")


@pytest.fixture
def referral(jordan, su_service, su_purpose, caseworker):
    return ReferralFactory(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=caseworker,
    )


class Side(threading.Thread):
    """Runs `work` in a transaction on its own connection; with `hold`, keeps the transaction
    open after the work until `release` is set."""

    def __init__(self, work, *, hold=False):
        super().__init__(daemon=True)
        self.work, self.hold = work, hold
        self.done_work, self.release = threading.Event(), threading.Event()
        self.result, self.error = None, None

    def run(self):
        try:
            with transaction.atomic():
                try:
                    self.result = self.work()
                except Exception as error:  # examined by the test
                    self.error = error
                self.done_work.set()
                if self.hold:
                    assert self.release.wait(20), "the test never released this side"
        finally:
            self.done_work.set()
            connections.close_all()


def wait_until_blocked_on_a_lock(timeout=10.0):
    """Until another connection is waiting for a row lock (PostgreSQL's own view of it)."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the other transaction never waited for the lock")


def test_a_withdrawal_that_commits_first_blocks_the_referral(referral, su_consent, caseworker, manager):
    withdrawal = Side(
        lambda: consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE),
        hold=True,
    )
    withdrawal.start()
    assert withdrawal.done_work.wait(10)
    assert withdrawal.error is None  # the consent row is locked and withdrawn, not yet committed

    sending = Side(lambda: services.referral_send(actor=caseworker, referral=referral))
    sending.start()
    wait_until_blocked_on_a_lock()  # the send waits on the consent row lock
    withdrawal.release.set()
    withdrawal.join(20)
    sending.join(20)

    assert isinstance(sending.error, services.ShareRefused)
    assert "was withdrawn on" in sending.error.decision.refusals[0]
    assert not Disclosure.objects.exists()
    assert Referral.objects.get(pk=referral.pk).is_draft
    assert ConsentRecord.objects.get(pk=su_consent.pk).withdrawn_at is not None


def test_a_referral_that_commits_first_completes_and_the_withdrawal_then_tells_the_recipient(
    referral, su_consent, caseworker, manager
):
    sending = Side(lambda: services.referral_send(actor=caseworker, referral=referral), hold=True)
    sending.start()
    assert sending.done_work.wait(10)
    assert sending.error is None  # sent, holding the consent row lock, not yet committed

    withdrawal = Side(
        lambda: consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    )
    withdrawal.start()
    wait_until_blocked_on_a_lock()  # the withdrawal waits for the share to commit
    sending.release.set()
    sending.join(20)
    withdrawal.join(20)

    assert withdrawal.error is None
    disclosure = Disclosure.objects.get()
    assert Referral.objects.get(pk=referral.pk).disclosure == disclosure
    # The withdrawal saw the committed disclosure and made the tell-the-recipient task.
    notice = RecipientNotice.objects.get()
    assert notice.disclosure == disclosure
    # The e-mail queued with the send had not gone: the withdrawal cancelled it.
    assert Transmission.objects.get().status == Transmission.Status.CANCELLED


def test_many_sends_racing_one_withdrawal_never_disclose_after_it_commits(
    jordan, su_service, su_purpose, su_consent, caseworker, manager
):
    referrals = [
        ReferralFactory(
            client=jordan,
            partner=su_service,
            purpose=su_purpose,
            selection=Selection(SU_SELECTION).to_json(),
            reasons=SU_REASONS,
            created_by=caseworker,
        )
        for _ in range(6)
    ]
    barrier = threading.Barrier(len(referrals) + 1)

    def send(referral):
        barrier.wait(10)
        return services.referral_send(actor=caseworker, referral=referral)

    def withdraw():
        barrier.wait(10)
        return consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)

    sides = [Side(lambda r=r: send(r)) for r in referrals]
    withdrawal = Side(withdraw)
    for side in [*sides, withdrawal]:
        side.start()
    withdrawal.join(30)
    for side in sides:
        side.join(30)

    assert withdrawal.error is None
    sent = [side for side in sides if side.error is None]
    refused = [side for side in sides if side.error is not None]
    assert all(isinstance(side.error, services.ShareRefused) for side in refused)
    assert Disclosure.objects.count() == len(sent)
    # Every share that completed did so before the withdrawal committed: the withdrawal's
    # callback, which ran after its lock was granted, found each of them.
    assert RecipientNotice.objects.count() == len(sent)


# --- Transmission: the worker's claim and the e-mail request, racing a withdrawal ------------------


@pytest.fixture
def sent(referral, su_consent, caseworker):
    return services.referral_send(actor=caseworker, referral=referral)


def partner_mail(partner):
    return [message for message in mail.outbox if partner.secure_email in message.to]


def test_a_withdrawal_that_commits_first_stops_the_workers_send(sent, su_consent, su_service, manager):
    transmission = sent.transmissions.get()
    withdrawal = Side(
        lambda: consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE),
        hold=True,
    )
    withdrawal.start()
    assert withdrawal.done_work.wait(10)
    assert withdrawal.error is None

    worker = Worker(lambda: services.transmission_send(transmission_id=transmission.pk))
    worker.start()
    wait_until_blocked_on_a_lock()  # the claim waits on the consent row lock
    withdrawal.release.set()
    withdrawal.join(20)
    worker.join(20)

    assert worker.error is None
    assert worker.result == Transmission.Status.CANCELLED
    assert partner_mail(su_service) == []
    transmission.refresh_from_db()
    assert "was withdrawn on" in transmission.cancel_reason
    denied = AccessEvent.objects.get(action=AccessEvent.Action.SHARE, outcome=AccessEvent.Outcome.DENIED)
    assert "was withdrawn on" in denied.detail


def test_a_claim_that_commits_first_is_sent_and_the_withdrawal_then_tells_the_recipient(
    sent, su_consent, su_service, manager, monkeypatch
):
    transmission = sent.transmissions.get()
    claimed, release = threading.Event(), threading.Event()
    audit = services._transmission_audit

    def audit_then_hold(*args, **kwargs):  # inside the claim's transaction, before it commits
        row = audit(*args, **kwargs)
        claimed.set()
        assert release.wait(20)
        return row

    monkeypatch.setattr(services, "_transmission_audit", audit_then_hold)
    worker = Worker(lambda: services.transmission_send(transmission_id=transmission.pk))
    worker.start()
    assert claimed.wait(10)

    withdrawal = Side(
        lambda: consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    )
    withdrawal.start()
    wait_until_blocked_on_a_lock()  # the withdrawal waits for the claim to commit
    release.set()
    worker.join(20)
    withdrawal.join(20)

    assert worker.error is None
    assert withdrawal.error is None
    assert worker.result == Transmission.Status.SENT
    assert len(partner_mail(su_service)) == 1
    assert Transmission.objects.get().status == Transmission.Status.SENT
    assert RecipientNotice.objects.get().disclosure == sent.disclosure


def test_a_withdrawal_that_commits_first_refuses_the_email_request(sent, su_consent, su_service, caseworker, manager):
    Transmission.objects.all().delete()  # only the request under test
    withdrawal = Side(
        lambda: consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE),
        hold=True,
    )
    withdrawal.start()
    assert withdrawal.done_work.wait(10)

    request = Side(lambda: services.referral_transmit(actor=caseworker, referral=sent))
    request.start()
    wait_until_blocked_on_a_lock()
    withdrawal.release.set()
    withdrawal.join(20)
    request.join(20)

    assert isinstance(request.error, services.TransmissionRefused)
    assert "was withdrawn on" in request.error.reason
    assert not Transmission.objects.exists()
    assert partner_mail(su_service) == []


def test_an_email_request_that_commits_first_is_cancelled_by_the_withdrawal_before_the_worker_sends(
    sent, su_consent, su_service, caseworker, manager
):
    Transmission.objects.all().delete()
    request = Side(lambda: services.referral_transmit(actor=caseworker, referral=sent), hold=True)
    request.start()
    assert request.done_work.wait(10)
    assert request.error is None

    withdrawal = Side(
        lambda: consent_withdraw(actor=manager, consent=su_consent, how=ConsentRecord.WithdrawalMethod.PHONE)
    )
    withdrawal.start()
    wait_until_blocked_on_a_lock()
    request.release.set()
    request.join(20)
    withdrawal.join(20)

    assert withdrawal.error is None
    transmission = Transmission.objects.get()
    assert transmission.status == Transmission.Status.CANCELLED
    assert services.transmission_send(transmission_id=transmission.pk) == Transmission.Status.CANCELLED
    assert partner_mail(su_service) == []


class Worker(threading.Thread):
    """Runs `work` on its own connection outside any transaction, as a Celery worker does."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None

    def run(self):
        try:
            self.result = self.work()
        except Exception as error:  # examined by the test
            self.error = error
        finally:
            connections.close_all()


def test_an_objection_that_commits_first_stops_the_workers_send(jordan, su_service, su_purpose, caseworker, manager):
    from consent.models import BasisEndReason, LawfulBasis, SpecialCondition
    from consent.services import lawful_basis_end
    from consent.tests.factories import LawfulBasisRecordFactory

    basis = LawfulBasisRecordFactory(
        client=jordan,
        basis=LawfulBasis.PUBLIC_TASK,
        partners=[su_service],
        purposes=[su_purpose],
        selection=SU_SELECTION,
        special_condition=SpecialCondition.HEALTH_SOCIAL_CARE,
        recorded_by=caseworker,
    )
    referral = ReferralFactory(
        client=jordan,
        partner=su_service,
        purpose=su_purpose,
        selection=Selection(SU_SELECTION).to_json(),
        reasons=SU_REASONS,
        created_by=caseworker,
    )
    transmission = services.referral_send(actor=caseworker, referral=referral).transmissions.get()
    ending = Side(
        lambda: lawful_basis_end(actor=manager, record=basis, why=BasisEndReason.OBJECTION, note="Objected."),
        hold=True,
    )
    ending.start()
    assert ending.done_work.wait(10)
    assert ending.error is None

    worker = Worker(lambda: services.transmission_send(transmission_id=transmission.pk))
    worker.start()
    wait_until_blocked_on_a_lock()  # the claim waits on the basis row lock
    ending.release.set()
    ending.join(20)
    worker.join(20)

    assert worker.result == Transmission.Status.CANCELLED
    assert partner_mail(su_service) == []
