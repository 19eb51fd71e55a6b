"""Sealing alongside other sealers and alongside inserts still in flight (PostgreSQL)."""

import itertools
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from access.audit import seal_audit, verify_audit
from access.models import AccessEvent, AuditSeal

from .test_audit import make_events

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def seal_file(settings, tmp_path):
    settings.AUDIT_SEAL_FILE = tmp_path / "audit-seals.log"
    settings.AUDIT_SEAL_SAFETY_SECONDS = 60
    return settings.AUDIT_SEAL_FILE


def in_threads(count, work):
    """Run `work` in `count` threads at once, each with its own database connection."""
    barrier, errors = threading.Barrier(count), []

    def run():
        try:
            barrier.wait(timeout=10)
            work()
        except Exception as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_concurrent_sealers_never_seal_the_same_rows(seal_file):
    make_events(3000)

    def seal_repeatedly():
        for _ in range(10):
            seal_audit(batch_size=100)

    in_threads(4, seal_repeatedly)
    seal_audit(batch_size=100)  # whatever the threads left

    seals = list(AuditSeal.objects.order_by("after_id"))
    assert seals[0].after_id == 0
    assert all(later.after_id == earlier.last_id for earlier, later in itertools.pairwise(seals))
    assert all(later.previous_hash == earlier.seal_hash for earlier, later in itertools.pairwise(seals))
    assert sum(seal.row_count for seal in seals) == 3000
    assert seals[-1].last_id == AccessEvent.objects.order_by("-id").values_list("id", flat=True).first()
    assert len(seal_file.read_text().splitlines()) == len(seals)
    assert verify_audit(seal_file=seal_file).intact


def test_inserts_carry_on_while_sealing(seal_file):
    make_events(2000)

    def insert():
        for _ in range(20):
            make_events(10, at=timezone.now())

    def seal():
        for _ in range(10):
            seal_audit(batch_size=200)

    threads = [threading.Thread(target=lambda w=w: (w(), connection.close())) for w in (insert, seal)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert AccessEvent.objects.count() == 2200
    assert sum(AuditSeal.objects.values_list("row_count", flat=True)) == 2000
    assert verify_audit(seal_file=seal_file).intact


def test_a_row_still_being_written_holds_sealing_back(time_machine):
    """A lower id can become visible after a higher one; sealing must not pass it."""
    now = timezone.now()
    time_machine.move_to(now - timedelta(minutes=10))
    (settled,) = make_events(1, at=timezone.now())
    time_machine.move_to(now)
    written, release = threading.Event(), threading.Event()
    in_flight = []

    def slow_writer():
        try:
            with transaction.atomic():
                in_flight.extend(make_events(1, at=timezone.now()))
                written.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert written.wait(timeout=10)
    (later,) = make_events(1, at=timezone.now())
    assert later.pk > in_flight[0].pk

    # Well past the safety window for `later`, but the transaction holding a lower id is
    # still open: only the row before it is sealed.
    time_machine.move_to(now + timedelta(minutes=5))
    (seal,) = seal_audit()
    assert (seal.after_id, seal.last_id) == (0, settled.pk)

    release.set()
    writer.join(timeout=10)
    (seal,) = seal_audit()
    assert (seal.last_id, seal.row_count) == (later.pk, 2)
    assert verify_audit().intact
