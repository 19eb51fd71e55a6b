"""Security notices go through the outbox (accounts.notices): queued with the change, sent at
most once after it commits, never when it rolls back, and an unknown outcome is shown to the ISO."""

import pytest
from django.core import mail
from django.db import transaction

from accounts import notices, services
from accounts.tests.factories import UserFactory
from deadlines.models import OutboxEmail
from deadlines.services import deadlines_sweep


def test_a_two_factor_reset_emails_the_person_once_through_the_outbox(admin_user, caseworker, outbox_sent):
    with outbox_sent():
        services.two_factor_reset(actor=admin_user, user=caseworker)

    [message] = mail.outbox
    assert message.to == [caseworker.email]
    assert "was reset by an admin" in message.body
    [row] = OutboxEmail.objects.all()
    assert (row.status, row.recipients, row.subject) == (OutboxEmail.Status.SENT, caseworker.email, message.subject)
    # A later sweep finds nothing to send again.
    with outbox_sent():
        deadlines_sweep()
    assert len(mail.outbox) == 1


def test_a_change_that_rolls_back_emails_nobody(admin_user, caseworker, outbox_sent):
    def reset_then_fail():
        with transaction.atomic():
            services.two_factor_reset(actor=admin_user, user=caseworker)
            raise RuntimeError("the change failed")

    with outbox_sent(), pytest.raises(RuntimeError):
        reset_then_fail()

    assert mail.outbox == []
    assert not OutboxEmail.objects.exists()


def test_a_person_without_an_address_gets_no_outbox_row(admin_user, outbox_sent):
    person = UserFactory(username="nomail", email="")
    with outbox_sent():
        services.two_factor_reset(actor=admin_user, user=person)
    assert not OutboxEmail.objects.exists()


def test_accounts_refuses_to_drop_an_email_when_no_outbox_is_registered(monkeypatch):
    monkeypatch.setattr(notices, "_queue", None)
    with pytest.raises(RuntimeError, match="No outbox"):
        notices.notice_queue(subject="s", body="b", recipients=["a@example.org"])
