"""The daily e-mail of the audit seals to the information security officers."""

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from access.audit import seal_audit
from access.models import AuditSeal, SealDigest
from access.tasks import email_seal_digest
from accounts.models import Role
from accounts.tests.factories import UserFactory

from .test_audit import make_events


@pytest.fixture(autouse=True)
def seal_file(settings, tmp_path):
    settings.AUDIT_SEAL_FILE = tmp_path / "audit-seals.log"
    return settings.AUDIT_SEAL_FILE


@pytest.fixture
def digest(outbox_sent):
    """Run the daily task; its e-mails go through the outbox and are sent once it commits."""

    def _digest(**kwargs):
        with outbox_sent():
            return email_seal_digest(**kwargs)

    return _digest


@pytest.fixture
def day_of_seals(db, time_machine):
    """Two seals made on 10 March 2026 and one the day before."""
    time_machine.move_to(datetime(2026, 3, 9, 23, 0, tzinfo=UTC), tick=False)
    make_events(3)
    seal_audit()
    time_machine.move_to(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False)
    make_events(4)
    seal_audit(batch_size=2)
    time_machine.move_to(datetime(2026, 3, 11, 6, 0, tzinfo=UTC), tick=False)
    return list(AuditSeal.objects.filter(sealed_at__date=date(2026, 3, 10)).order_by("after_id"))


def test_the_digest_goes_to_the_information_security_officer(digest, day_of_seals, iso, caseworker, manager):
    UserFactory(username="former", role=Role.INFORMATION_SECURITY_OFFICER, is_active=False)
    UserFactory(username="no-mail", role=Role.INFORMATION_SECURITY_OFFICER, email="")

    assert digest() == ["2026-03-10"]

    (message,) = mail.outbox
    assert message.to == [iso.email]
    assert message.subject == "Audit seals for 10 March 2026: 2 sealed"
    for seal in day_of_seals:
        assert f"ids {seal.after_id + 1}–{seal.last_id}  2 rows  {seal.seal_hash}" in message.body
    assert f"Chain head now: ids up to {day_of_seals[-1].last_id}, seal hash {day_of_seals[-1].seal_hash}" in (
        message.body
    )
    earlier = AuditSeal.objects.get(sealed_at__date=date(2026, 3, 9))
    assert earlier.seal_hash not in message.body


def test_the_digest_is_sent_once_per_day(digest, day_of_seals, iso):
    digest()
    assert digest() == []
    assert digest(day="2026-03-10") == []
    assert len(mail.outbox) == 1
    digest = SealDigest.objects.get()
    assert (digest.day, digest.recipients, digest.seal_count) == (date(2026, 3, 10), iso.email, 2)


def test_missed_days_are_caught_up(digest, day_of_seals, iso, time_machine):
    digest()
    time_machine.move_to(datetime(2026, 3, 14, 6, 0, tzinfo=UTC), tick=False)
    assert digest() == ["2026-03-11", "2026-03-12", "2026-03-13"]
    assert [m.subject for m in mail.outbox[1:]] == [
        "Audit seals for 11 March 2026: 0 sealed",
        "Audit seals for 12 March 2026: 0 sealed",
        "Audit seals for 13 March 2026: 0 sealed",
    ]
    assert "No seals were made that day." in mail.outbox[1].body


def test_a_day_without_an_officer_to_tell_is_not_marked_sent(digest, day_of_seals, caseworker):
    assert digest() == []
    assert not mail.outbox
    assert not SealDigest.objects.exists()


def test_a_digest_can_be_sent_for_a_given_day(digest, day_of_seals, iso):
    assert digest(day="2026-03-09") == ["2026-03-09"]
    assert mail.outbox[0].subject == "Audit seals for 9 March 2026: 1 sealed"
