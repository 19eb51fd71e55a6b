"""The mechanism on its own: once per due time, re-arming, one e-mail for a late object, concurrency."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from deadlines import enqueue, registry
from deadlines.models import Alert, OutboxEmail
from deadlines.services import deadlines_sweep

UTC = datetime.UTC
H = datetime.timedelta(hours=1)
T0 = datetime.datetime(2026, 10, 24, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_publishing(monkeypatch):
    monkeypatch.setattr(enqueue, "publish", lambda outbox_id: None)


def keys(**filters):
    return sorted(Alert.objects.filter(**filters).values_list("due_at", "threshold"))


def test_each_threshold_is_raised_once_per_due_time(db, fake_clock):
    fake_clock.due[1] = T0 + 72 * H
    with time_machine.travel(T0, tick=False) as traveller:
        for hour in range(0, 80):
            traveller.move_to(T0 + hour * H)
            deadlines_sweep()
            deadlines_sweep()

    assert [a.threshold for a in Alert.objects.order_by("fire_at")] == ["started", "48h", "24h", "overdue"]
    assert OutboxEmail.objects.count() == 4


def test_a_changed_due_time_rearms_only_the_thresholds_not_yet_passed_under_it(db, fake_clock):
    fake_clock.due[1] = T0 + 72 * H
    with time_machine.travel(T0 + 30 * H, tick=False) as traveller:
        deadlines_sweep()  # started and 48h (one e-mail)
        fake_clock.due[1] = T0 + 100 * H  # pushed back 28 hours
        deadlines_sweep()
        assert keys(due_at=T0 + 100 * H) == [(T0 + 100 * H, "started")]  # carried over, not re-sent
        traveller.move_to(T0 + 53 * H)  # 47 h left under the new due time
        deadlines_sweep()
        traveller.move_to(T0 + 100 * H)
        deadlines_sweep()

    new = {a.threshold: a.delivery for a in Alert.objects.filter(due_at=T0 + 100 * H)}
    assert new == {"started": "carried", "48h": "email", "24h": "covered", "overdue": "email"}
    assert OutboxEmail.objects.count() == 3  # 48h under the old time; 48h and overdue under the new


def test_a_late_object_gets_one_email_and_its_passed_thresholds_are_recorded(db, fake_clock, mailoutbox):
    from deadlines.services import outbox_send

    fake_clock.due[7] = T0
    with time_machine.travel(T0 + 5 * H, tick=False):
        deadlines_sweep()
        (row,) = OutboxEmail.objects.all()
        outbox_send(outbox_id=row.pk)

    assert [m.subject for m in mailoutbox] == ["Object 7: overdue (also started, 48h, 24h)"]
    assert Alert.objects.filter(delivery="covered", covered_by=row.alert).count() == 3


def test_an_email_for_a_due_time_that_has_moved_is_not_sent(db, fake_clock, mailoutbox):
    from deadlines.services import outbox_send

    fake_clock.due[1] = T0 + 47 * H
    with time_machine.travel(T0, tick=False):
        deadlines_sweep()
        fake_clock.due[1] = T0 + 60 * H  # moved before the worker got to it

        statuses = [outbox_send(outbox_id=row.pk) for row in OutboxEmail.objects.all()]

    assert statuses == ["cancelled"]
    assert mailoutbox == []


class TestOnceEachWhateverTheSchedule(HypothesisTestCase):
    """Any sweep times and due-time changes: never two alerts for one (due time, threshold),
    never an alert before its time, and every threshold due under the final due time is recorded."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=120), st.sampled_from([None, 0, 30, 72, 90]), st.booleans()),
            min_size=1,
            max_size=12,
        )
    )
    def test_property(self, steps):
        from deadlines.tests.conftest import FakeClock

        fake = FakeClock()
        saved = dict(registry._clocks)
        registry._clocks.clear()
        registry.register(
            registry.Clock(name=fake.name, running=fake.running, thresholds=fake.thresholds, message=fake.message)
        )
        original = enqueue.publish
        enqueue.publish = lambda outbox_id: None
        try:
            fake.due[1] = T0 + 72 * H
            hour_now = 0
            for advance, new_due, twice in sorted(steps, key=lambda s: s[0]):
                hour_now = max(hour_now, advance)
                if new_due is not None:
                    fake.due[1] = T0 + new_due * H
                with time_machine.travel(T0 + hour_now * H, tick=False):
                    deadlines_sweep()
                    if twice:
                        deadlines_sweep()
            rows = list(Alert.objects.values_list("due_at", "threshold", "fire_at", "raised_at"))
            assert len(rows) == len({(due, key) for due, key, _, _ in rows})
            assert all(fire_at <= raised_at for _, _, fire_at, raised_at in rows)
            final = fake.due[1]
            recorded = {key for due, key, _, _ in rows if due == final}
            due_by_now = {key for key, hours in fake.leads if final - hours * H <= T0 + hour_now * H}
            assert recorded == due_by_now
            assert OutboxEmail.objects.count() == Alert.objects.filter(delivery="email").count()
        finally:
            enqueue.publish = original
            registry._clocks.clear()
            registry._clocks.update(saved)
            OutboxEmail.objects.all().delete()
            Alert.objects.filter(covered_by__isnull=False).delete()
            Alert.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_raise_each_threshold_once_even_when_due_times_change(fake_clock):
    for pk in range(1, 21):
        fake_clock.due[pk] = T0 + (pk % 5) * H
    errors = []

    def sweep_round():
        barrier = threading.Barrier(6)

        def sweep():
            try:
                barrier.wait(timeout=30)
                deadlines_sweep()
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    with time_machine.travel(T0 - 30 * H, tick=False):
        sweep_round()
        for pk in range(1, 21, 2):  # half of them are corrected: 30 hours later
            fake_clock.due[pk] += 30 * H
        sweep_round()
        sweep_round()

    assert errors == []
    rows = list(Alert.objects.values_list("object_id", "due_at", "threshold"))
    assert len(rows) == len(set(rows))
    for pk in range(1, 21):
        current = {key for obj, due, key in rows if obj == pk and due == fake_clock.due[pk]}
        # Odd: "started" had been told after it fell due under the new time (carried);
        # "48h" has not yet fallen due under it (re-armed).
        assert current == ({"started", "48h"} if pk % 2 == 0 else {"started"})
        if pk % 2:
            assert Alert.objects.get(object_id=pk, due_at=fake_clock.due[pk]).delivery == "carried"
    # One e-mail per (object, due time) at most while nothing new fell due in between.
    assert OutboxEmail.objects.count() == Alert.objects.filter(delivery="email").count()
    assert (
        Alert.objects.filter(delivery="email", due_at__in=[fake_clock.due[pk] for pk in range(1, 21, 2)]).count() == 0
    )
