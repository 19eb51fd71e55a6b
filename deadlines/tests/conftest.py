import datetime

import pytest

from deadlines import registry
from deadlines.registry import Clock, Message, Threshold


class FakeClock:
    """A clock over in-memory objects: {object id: due time (UTC)}, for testing the mechanism alone."""

    name = "tests.fake"

    def __init__(self):
        self.due: dict[int, datetime.datetime] = {}
        self.leads = [("started", 72), ("48h", 48), ("24h", 24), ("overdue", 0)]

    def running(self, horizon, ids):
        return [(pk, due) for pk, due in self.due.items() if due <= horizon and (ids is None or pk in ids)]

    def thresholds(self):
        return [Threshold(key, datetime.timedelta(hours=hours), key) for key, hours in self.leads]

    def message(self, alert, covered, now):
        told = ", ".join(a.threshold for a in covered)
        return Message(
            subject=f"Object {alert.object_id}: {alert.threshold}" + (f" (also {told})" if told else ""),
            body="Where the clock stands.",
            recipients=["iso@example.org"],
        )


@pytest.fixture
def fake_clock():
    """A registered fake clock (the only one while the test runs)."""
    fake = FakeClock()
    saved = dict(registry._clocks)
    registry._clocks.clear()
    registry.register(Clock(name=fake.name, running=fake.running, thresholds=fake.thresholds, message=fake.message))
    yield fake
    registry._clocks.clear()
    registry._clocks.update(saved)


@pytest.fixture
def eager_celery():
    from deadlines.tasks import sweep_deadlines

    conf = sweep_deadlines.app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = previous
