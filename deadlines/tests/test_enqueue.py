"""Redis down never blocks a request: structural tests, no timings.

The caller only puts ids on an in-process queue; a publisher thread talks to the broker.
We make the broker hang (publish blocks until released) and show the caller returns while
it hangs; we make it fail and show the rows stay pending for the sweep to republish.
"""

import threading

import pytest
from kombu.exceptions import OperationalError

from deadlines import enqueue
from deadlines.models import OutboxEmail
from deadlines.services import deadlines_sweep, outbox_queue


class HangingBroker:
    """publish() blocks until released, as it does while Redis does not answer."""

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.published = []
        self.done = threading.Event()

    def publish(self, outbox_id):
        self.entered.set()
        assert self.release.wait(timeout=30), "never released"
        self.published.append(outbox_id)
        if len(self.published) == 2:
            self.done.set()


@pytest.fixture
def not_eager():
    conf = enqueue._task().app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = False
    yield
    conf.task_always_eager = previous


def test_queueing_returns_while_the_broker_hangs(monkeypatch, not_eager):
    broker = HangingBroker()
    monkeypatch.setattr(enqueue, "publish", broker.publish)

    enqueue.send_soon([101, 102])  # returns: the caller never waits for the broker

    assert broker.entered.wait(timeout=30)  # the publisher thread is inside publish()...
    assert broker.published == []  # ...and still blocked there, after send_soon returned
    broker.release.set()  # Redis answers again
    assert broker.done.wait(timeout=30)
    assert broker.published == [101, 102]


def test_what_could_not_be_queued_stays_pending_and_the_sweep_republishes_it(
    db, monkeypatch, not_eager, django_capture_on_commit_callbacks
):
    failed = threading.Event()

    def broker_down(outbox_id):
        failed.set()
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(enqueue, "publish", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox_queue(subject="Hello", body="Body", recipients=["iso@example.org"])
    assert failed.wait(timeout=30)
    assert OutboxEmail.objects.get(pk=row.pk).status == "pending"

    published = []
    monkeypatch.setattr(enqueue, "publish", published.append)  # Redis is back
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()

    assert published == [row.pk]


def test_the_sweep_stops_publishing_at_the_first_broker_failure(db, monkeypatch):
    calls = []

    def broker_down(outbox_id):
        calls.append(outbox_id)
        raise OperationalError("down")

    monkeypatch.setattr(enqueue, "publish", broker_down)

    assert enqueue.publish_now([1, 2, 3]) == 0
    assert calls == [1]  # one connection timeout per sweep, not one per e-mail
