"""The deadline sweep's work is what fell due since the last sweep, not everything already alerted.

Every registered clock keeps a cursor per object (deadlines.registry.Schedule): a steady
sweep reads no row whose thresholds are all recorded, and runs the same queries however
many such rows there are. These tests span every app's clocks, so they live here.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from breaches.tests.factories import BreachReportFactory
from consent.tests.factories import ConsentRecordFactory, LawfulBasisRecordFactory
from deadlines import enqueue, registry
from deadlines.models import Alert
from deadlines.services import deadlines_sweep
from rights.models import RectificationRequest
from rights.tests.factories import SubjectAccessRequestFactory
from sharing.tests.factories import DataSharingAgreementFactory
from statutory.tests.factories import StatutoryRequestFactory, emergency_disclosed_request

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def no_publishing(monkeypatch):
    monkeypatch.setattr(enqueue, "publish", lambda outbox_id: None)


def overdue_objects(*, client, caseworker, team, count: int) -> None:
    """`count` objects on every clock, each with a threshold already due."""
    today = timezone.localdate()
    for _ in range(count):
        BreachReportFactory(
            team=team, reported_by=caseworker, became_aware_at=timezone.now() - 80 * dt.timedelta(hours=1)
        )
        ConsentRecordFactory(client=client, review_due=today - 10 * DAY, expires_on=today + 10 * DAY)
        LawfulBasisRecordFactory(client=client, ends_on=today + 10 * DAY)
        DataSharingAgreementFactory(ends_on=today + 5 * DAY)
        SubjectAccessRequestFactory(
            client=client, logged_by=caseworker, received_on=today - 40 * DAY, due_on=today - 5 * DAY
        )
        StatutoryRequestFactory(client=client, received_by=caseworker)
        emergency_disclosed_request(client=client, caseworker=caseworker)
        RectificationRequest.objects.create(
            client=client,
            received_on=today - 40 * DAY,
            asked_by="The client",
            what_is_wrong="The date of birth is wrong.",
            due_on=today - 5 * DAY,
            logged_by=caseworker,
            logged_at=timezone.now(),
        )


def steady_sweep() -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        summary = deadlines_sweep()
    return len(captured), summary


def test_every_registered_clock_reads_through_its_schedule_and_partial_indexes():
    clocks = registry.clocks()
    assert len(clocks) >= 9
    for clock in clocks:
        assert clock.schedule is not None, clock.name
        assert clock.model is not None, clock.name
        assert clock.due_at is not None, clock.name
        declared = {index.name: index for index in clock.model._meta.indexes}
        for index in clock.schedule.indexes():
            assert index.name in declared, f"{clock.name}: {index.name} is not in {clock.model.__name__}.Meta.indexes"
            assert declared[index.name].condition == index.condition
        # The cursor is the sweep's bookkeeping: it never reaches the record's history.
        history_fields = {field.name for field in clock.model.history.model._meta.fields}
        assert not set(clock.schedule.columns()) & history_fields, clock.name


def test_a_steady_sweep_reads_nothing_already_alerted_and_its_queries_do_not_grow(
    own_client, caseworker, team_a, django_assert_max_num_queries
):
    overdue_objects(client=own_client, caseworker=caseworker, team=team_a, count=2)
    first = deadlines_sweep()  # catches up: every object is read once
    assert first["read"] == {clock.name: 2 for clock in registry.clocks()}
    assert {clock.name for clock in registry.clocks()} == set(Alert.objects.values_list("clock", flat=True))
    queries, summary = steady_sweep()
    assert summary["read"] == {clock.name: 0 for clock in registry.clocks()}

    overdue_objects(client=own_client, caseworker=caseworker, team=team_a, count=10)
    caught_up = deadlines_sweep()
    assert caught_up["read"] == {clock.name: 10 for clock in registry.clocks()}
    alerts = Alert.objects.count()

    with django_assert_max_num_queries(queries):
        again = deadlines_sweep()
    more_queries, summary = steady_sweep()
    assert more_queries == queries
    assert again["read"] == summary["read"] == {clock.name: 0 for clock in registry.clocks()}
    assert Alert.objects.count() == alerts


def test_an_alerted_object_is_read_again_only_when_its_next_threshold_comes():
    import time_machine

    # An agreement ending in 40 days: its 90-day threshold is due now, the 30-day one in 10 days.
    now = timezone.now()
    agreement = DataSharingAgreementFactory(ends_on=timezone.localdate() + 40 * DAY)
    deadlines_sweep()
    with time_machine.travel(now + 5 * DAY, tick=False):
        assert deadlines_sweep()["read"]["sharing.agreement_end"] == 0
    with time_machine.travel(now + 11 * DAY, tick=False):
        summary = deadlines_sweep()
    assert summary["read"]["sharing.agreement_end"] == 1
    assert sorted(Alert.objects.filter(object_id=agreement.pk).values_list("threshold", flat=True)) == ["30d", "90d"]


def test_a_consent_review_stopped_by_expiry_is_rearmed_when_the_expiry_date_moves(own_client):
    today = timezone.localdate()
    consent = ConsentRecordFactory(client=own_client, review_due=today + 5 * DAY, expires_on=today)
    deadlines_sweep()
    assert not Alert.objects.filter(clock="consent.review").exists()  # expired: the review clock has stopped

    consent.expires_on = today + 60 * DAY  # (not a service: the cursor notices any write)
    consent.save(update_fields=["expires_on"])
    deadlines_sweep()

    assert Alert.objects.filter(clock="consent.review", object_id=consent.pk).count() == 1


def test_a_changed_threshold_setting_rereads_every_object_once(own_client, settings):
    today = timezone.localdate()
    consent = ConsentRecordFactory(client=own_client, review_due=today + 40 * DAY)
    deadlines_sweep()
    assert not Alert.objects.filter(clock="consent.review").exists()

    settings.CONSENT_REVIEW_WINDOW_DAYS = 60
    deadlines_sweep()

    assert Alert.objects.get(clock="consent.review", object_id=consent.pk).threshold == "60d"
    assert deadlines_sweep()["read"]["consent.review"] == 0


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_on_real_clocks_raise_each_threshold_once_and_email_each_breach_once(team_a, caseworker):
    import threading

    from deadlines.models import OutboxEmail

    breaches = [
        BreachReportFactory(
            team=team_a, reported_by=caseworker, became_aware_at=timezone.now() - 80 * dt.timedelta(hours=1)
        )
        for _ in range(10)
    ]
    errors = []

    def sweep_round():
        barrier = threading.Barrier(4)

        def sweep():
            try:
                barrier.wait(timeout=30)
                deadlines_sweep()
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    sweep_round()  # the first sweeps: full passes
    breaches[0].deadline_at += dt.timedelta(hours=30)  # moved: read again by the next sweeps
    breaches[0].save(update_fields=["deadline_at"])
    sweep_round()  # steady sweeps: the rows are shared out (SKIP LOCKED)

    assert errors == []
    for breach in breaches[1:]:
        assert OutboxEmail.objects.filter(alert__clock="breaches.ico_deadline", alert__object_id=breach.pk).count() == 1
    rows = list(Alert.objects.filter(clock="breaches.ico_deadline").values_list("object_id", "due_at", "threshold"))
    assert len(rows) == len(set(rows))
    moved = Alert.objects.filter(object_id=breaches[0].pk, due_at=breaches[0].deadline_at)
    # Its passed thresholds were told under the old deadline: carried over once, not e-mailed again.
    assert moved.exists()
    assert set(moved.values_list("delivery", flat=True)) == {"carried"}
    assert deadlines_sweep()["read"]["breaches.ico_deadline"] == 0
