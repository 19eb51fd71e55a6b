"""When the deadline sweep has stopped, the first manager's page that notices e-mails the ISO,
once per episode, through the outbox, and sends it from the web process: the worker may be
what has stopped."""

import datetime

import time_machine
from django.core import mail

from breaches.services import heartbeat_check_stale
from deadlines import enqueue
from deadlines.models import OutboxEmail, SweepHeartbeat

NOW = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=datetime.UTC)


def test_a_stopped_sweep_emails_the_iso_once_without_a_worker(iso, monkeypatch, django_capture_on_commit_callbacks):
    handed_to_worker = []
    monkeypatch.setattr(enqueue, "send_soon", handed_to_worker.extend)  # the worker never runs
    SweepHeartbeat.objects.create(pk=1, last_sweep_at=NOW - datetime.timedelta(hours=2))

    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert heartbeat_check_stale().stale
        with django_capture_on_commit_callbacks(execute=True):
            heartbeat_check_stale()  # the same episode: nothing more

    [message] = mail.outbox
    assert message.to == [iso.email]
    [row] = OutboxEmail.objects.all()
    assert row.status == OutboxEmail.Status.SENT
    # Had the worker been alive too, its copy of the task would find the row claimed.
    assert handed_to_worker == [row.pk]
