"""The outbox: the claim commits before sending, so a crash can lose an e-mail's outcome but never send it twice.

What is promised (README, "What exactly once means for each e-mail"): each outbox row is
handed to the mail server at most once by the system. A row whose sender died after
claiming it is "unknown" after OUTBOX_SENDING_STALE_MINUTES, is shown to the ISO and is
never re-sent automatically. A refusal by the mail server is "failed" and retried.
"""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import connection

from deadlines import enqueue, selectors
from deadlines.models import OutboxEmail
from deadlines.services import deadlines_sweep, outbox_send
from deadlines.tests.backends import WorkerKilled

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def published(monkeypatch):
    ids = []
    monkeypatch.setattr(enqueue, "publish", ids.append)
    return ids


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep and what it does after commit (republishing)."""

    def _sweep():
        with django_capture_on_commit_callbacks(execute=True):
            deadlines_sweep()

    return _sweep


def queued(**fields):
    return OutboxEmail.objects.create(
        subject="Test", body="Body", recipients="iso@example.org", created_at=NOW, **fields
    )


def test_a_worker_killed_after_the_server_accepted_never_sends_twice(db, settings, published, mailoutbox, sweep):
    settings.EMAIL_BACKEND = "deadlines.tests.backends.AcceptThenDieBackend"
    row = queued()
    with time_machine.travel(NOW, tick=False) as traveller:
        with pytest.raises(WorkerKilled):
            outbox_send(outbox_id=row.pk)
        row.refresh_from_db()
        assert (row.status, len(mail.outbox)) == ("sending", 1)  # accepted, but the worker died first

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert outbox_send(outbox_id=row.pk) == ""  # the redelivered task finds it claimed
        sweep()  # within the stale time: still "sending", not republished
        assert row.pk not in published

        traveller.move_to(NOW + datetime.timedelta(minutes=settings.OUTBOX_SENDING_STALE_MINUTES, seconds=1))
        sweep()
        sweep()

    row.refresh_from_db()
    assert row.status == "unknown"
    assert row.pk not in published
    assert len(mail.outbox) == 1
    assert selectors.outbox_needing_attention() == [row]


def test_a_refusal_is_retried_by_the_sweep_and_a_dropped_connection_is_not(db, settings, published, mailoutbox, sweep):
    refused, dropped = queued(), queued()
    settings.EMAIL_BACKEND = "deadlines.tests.backends.RefusingBackend"
    assert outbox_send(outbox_id=refused.pk) == "failed"
    settings.EMAIL_BACKEND = "deadlines.tests.backends.DisconnectMidSendBackend"
    assert outbox_send(outbox_id=dropped.pk) == "unknown"

    sweep()

    assert published == [refused.pk]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_send(outbox_id=refused.pk) == "sent"
    assert outbox_send(outbox_id=dropped.pk) == ""
    assert len(mailoutbox) == 1
    assert selectors.outbox_needing_attention() == [OutboxEmail.objects.get(pk=dropped.pk)]


def test_a_refusal_is_retried_only_up_to_the_limit_then_shown_to_the_iso(db, settings, published, sweep):
    settings.EMAIL_BACKEND = "deadlines.tests.backends.RefusingBackend"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    row = queued()

    results = [outbox_send(outbox_id=row.pk) for _ in range(5)]

    assert results == ["failed", "failed", "failed", "", ""]
    sweep()
    assert row.pk not in published
    assert [r.pk for r in selectors.outbox_needing_attention()] == [row.pk]


def test_the_message_id_is_fixed_when_claimed_and_kept_on_retry(db, settings, mailoutbox):
    settings.EMAIL_BACKEND = "deadlines.tests.backends.RefusingBackend"
    row = queued()
    outbox_send(outbox_id=row.pk)
    first = OutboxEmail.objects.get(pk=row.pk).message_id

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox_send(outbox_id=row.pk)

    assert first.startswith(f"<outbox-{row.pk}.")
    assert mailoutbox[0].extra_headers["Message-ID"] == first


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process shares the test database")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_killed_between_acceptance_and_commit_sends_once(tmp_path, settings):
    row = OutboxEmail.objects.create(
        subject="Test", body="Body", recipients="iso@example.org", created_at=datetime.datetime.now(UTC)
    )
    accepted = tmp_path / "accepted"
    accepted.mkdir()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_BACKEND": "deadlines.tests.backends.AcceptThenSigkillBackend",
        "ACCEPTED_MAIL_DIR": str(accepted),
        "DJANGO_SETTINGS_MODULE": "casework.settings",
    }
    code = f"import django; django.setup(); from deadlines.services import outbox_send; outbox_send(outbox_id={row.pk})"

    worker = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=120)

    assert worker.returncode == -9, worker.stderr.decode()[-2000:]  # killed by SIGKILL
    assert len(list(accepted.iterdir())) == 1
    row.refresh_from_db()
    assert row.status == "sending"
    # Redelivery (acks_late) and every later sweep: nothing more is sent.
    settings.EMAIL_BACKEND = "deadlines.tests.backends.AcceptThenSigkillBackend"  # would kill us if called
    assert outbox_send(outbox_id=row.pk) == ""
    later = datetime.datetime.now(UTC) + datetime.timedelta(minutes=settings.OUTBOX_SENDING_STALE_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        deadlines_sweep()
    row.refresh_from_db()
    assert row.status == "unknown"
    assert len(list(accepted.iterdir())) == 1
