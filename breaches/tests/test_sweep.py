import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from breaches import deadlines as breach_clock
from breaches import services
from breaches.tests.alerts import CLOCK, alerts_of, emails_of
from breaches.tests.factories import BreachReportFactory
from deadlines import enqueue
from deadlines.models import Alert, OutboxEmail, SweepHeartbeat
from deadlines.services import deadlines_sweep

UTC = datetime.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
H = datetime.timedelta(hours=1)


def report(actor, became_aware_at, **kwargs):
    return services.breach_report(
        actor=actor, what_happened="Notebook lost on the bus.", became_aware_at=became_aware_at, **kwargs
    )


# --- Time travel across the whole 72 hours, with the clocks going back in the middle ----------


def test_each_threshold_fires_once_at_the_right_moment_across_the_october_clock_change(caseworker):
    # Became aware on Saturday 24 October 2026 at 12:00 BST. The clocks go back at 02:00 BST
    # on Sunday 25 October, so the 72 hours end at 11:00 GMT on Tuesday 27 October.
    aware = datetime.datetime(2026, 10, 24, 12, 0, tzinfo=LONDON)
    due = {
        72: datetime.datetime(2026, 10, 24, 11, 0, tzinfo=UTC),
        48: datetime.datetime(2026, 10, 25, 11, 0, tzinfo=UTC),
        24: datetime.datetime(2026, 10, 26, 11, 0, tzinfo=UTC),
        12: datetime.datetime(2026, 10, 26, 23, 0, tzinfo=UTC),
        4: datetime.datetime(2026, 10, 27, 7, 0, tzinfo=UTC),
        0: datetime.datetime(2026, 10, 27, 11, 0, tzinfo=UTC),
    }
    assert [t.key for t in breach_clock.thresholds()] == ["reported", "48h", "24h", "12h", "4h", "overdue"]
    # A sweep every 15 minutes for 73 hours, plus one a second before each later threshold.
    # (The 72-hour "reported" alert is raised by the report itself.)
    ticks = sorted(
        {aware + datetime.timedelta(minutes=15 * i) for i in range(73 * 4)}
        | {moment - datetime.timedelta(seconds=1) for hours, moment in due.items() if hours < 72}
    )
    first_seen = {}

    with time_machine.travel(aware, tick=False) as traveller:
        breach = report(caseworker, aware)
        assert breach.deadline_at == due[0]
        for tick in ticks:
            traveller.move_to(tick)
            deadlines_sweep()
            for hours in alerts_of(breach):
                first_seen.setdefault(hours, tick)

    assert first_seen == due
    assert alerts_of(breach) == due  # each raised once, when it fell due
    assert timezone.localtime(first_seen[48]).strftime("%a %d %b %H:%M %Z") == "Sun 25 Oct 11:00 GMT"
    assert Alert.objects.count() == 6
    assert OutboxEmail.objects.count() == 6  # each threshold, met by a sweep in time, has its own e-mail


def test_a_late_sweep_raises_everything_due_by_now_once(caseworker):
    aware = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(aware, tick=False) as traveller:
        breach = report(caseworker, aware)
        traveller.move_to(aware + 70 * H)  # the worker was down for almost three days

        deadlines_sweep()
        deadlines_sweep()

    assert sorted(alerts_of(breach)) == [4, 12, 24, 48, 72]
    assert alerts_of(breach)[4] == aware + 70 * H
    # One e-mail says where the clock stands (4 h left); 48, 24 and 12 are recorded as
    # raised, covered by it, without e-mails of their own.
    delivery = dict(Alert.objects.values_list("threshold", "delivery"))
    assert delivery == {"reported": "email", "48h": "covered", "24h": "covered", "12h": "covered", "4h": "email"}
    assert emails_of(breach).count() == 2


def test_a_breach_reported_late_raises_its_passed_thresholds_at_the_next_sweep(caseworker):
    now = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        breach = report(caseworker, now - 30 * H)
        deadlines_sweep()

    assert sorted(alerts_of(breach)) == [48, 72]


def test_notifying_the_ico_stops_the_alerts(caseworker, manager):
    aware = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(aware, tick=False) as traveller:
        breach = report(caseworker, aware)
        traveller.move_to(aware + 25 * H)
        deadlines_sweep()
        services.breach_assess(
            actor=manager,
            breach=breach,
            likely_consequences="Distress",
            likelihood="possible",
            severity="significant",
            risk_reasoning="Names and needs",
        )
        services.breach_decide(
            actor=manager,
            breach=breach,
            notify_ico="notify",
            decision_reasons="Risk",
            subjects_informed="will_tell",
        )
        traveller.move_to(aware + 30 * H)
        deadlines_sweep()  # decided to notify but not yet notified: still alerting
        services.breach_record_notification(actor=manager, breach=breach, kind="initial", notified_at=aware + 30 * H)
        for hours in range(31, 100):
            traveller.move_to(aware + hours * H)
            deadlines_sweep()

    assert sorted(alerts_of(breach)) == [48, 72]


def test_deciding_not_reportable_stops_the_alerts(caseworker, manager):
    aware = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(aware, tick=False) as traveller:
        breach = report(caseworker, aware)
        services.breach_assess(
            actor=manager,
            breach=breach,
            likely_consequences="None",
            likelihood="remote",
            severity="minimal",
            risk_reasoning="Encrypted laptop",
        )
        services.breach_decide(
            actor=manager,
            breach=breach,
            notify_ico="not_reportable",
            decision_reasons="Encrypted",
            subjects_informed="not_told",
            subjects_exception="unintelligible",
        )
        traveller.move_to(aware + 80 * H)
        deadlines_sweep()

    assert list(alerts_of(breach)) == [72]


def test_each_sweep_writes_the_heartbeat(db):
    at = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    for minutes in (0, 5):
        with time_machine.travel(at + datetime.timedelta(minutes=minutes), tick=False):
            deadlines_sweep()

    assert SweepHeartbeat.objects.get().last_sweep_at == at + datetime.timedelta(minutes=5)


def test_the_sweep_runs_the_same_queries_however_many_breaches_are_due(caseworker, team_a):
    def sweep_queries():
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            deadlines_sweep()
        return len(captured)

    deadlines_sweep()  # the first sweep ever also records each clock's thresholds (deadlines.ClockSchedule)
    same = {"team": team_a, "reported_by": caseworker, "became_aware_at": timezone.now() - 80 * H}
    BreachReportFactory(**same)
    one = sweep_queries()
    # (15: SQLite splits an insert of more than 999 parameters into batches; PostgreSQL does not.)
    BreachReportFactory.create_batch(15, **same)

    assert sweep_queries() == one
    assert Alert.objects.count() == 16 * 6
    assert OutboxEmail.objects.count() == 16


# --- E-mail: queued after commit, sent once, retried by the next sweep ------------------------


def test_alerts_are_emailed_once_through_the_task_queue(
    caseworker, manager, iso, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    aware = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(aware, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            report(caseworker, aware)
        traveller.move_to(aware + 25 * H)
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                deadlines_sweep()

    reference = f"BR-{Alert.objects.first().object_id:05d}"
    assert [m.subject.split("] ")[1] for m in mailoutbox] == [
        "New personal data breach reported: " + reference,
        f"Breach {reference}: 48 hours to the ICO deadline",
    ]
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_a_broker_outage_does_not_break_reporting_and_the_next_sweep_sends_the_email(
    caseworker, manager, eager_celery, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(enqueue, "publish", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            breach = report(caseworker, timezone.now())
    assert emails_of(breach).get().status == "pending"
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep()

    assert len(mailoutbox) == 1
    assert emails_of(breach).get().status == "sent"


# --- Exactly once under concurrency (PostgreSQL) -----------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_raise_one_alert_per_threshold(monkeypatch, caseworker, team_a):
    monkeypatch.setattr(enqueue, "publish", lambda outbox_id: None)
    breaches = BreachReportFactory.create_batch(
        15, team=team_a, reported_by=caseworker, became_aware_at=timezone.now() - 80 * H
    )
    sweeps, barrier, errors = 8, threading.Barrier(8), []

    def sweep():
        try:
            barrier.wait(timeout=30)
            deadlines_sweep()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    for _round in range(2):
        threads = [threading.Thread(target=sweep) for _ in range(sweeps)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert Alert.objects.count() == len(breaches) * 6
    assert OutboxEmail.objects.count() == len(breaches)  # one e-mail each, saying they are overdue
    for breach in breaches:
        assert sorted(alerts_of(breach)) == [0, 4, 12, 24, 48, 72]
        assert emails_of(breach).count() == 1  # reported 80 h after becoming aware: one e-mail


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_email_an_alert_once(manager, mailoutbox):
    from deadlines.services import outbox_send

    breach = BreachReportFactory(team=manager.teams.get(), became_aware_at=timezone.now() - 50 * H)
    with transaction.atomic():
        from deadlines.services import deadline_check

        deadline_check(clock=CLOCK, object_ids=[breach.pk])
    row = emails_of(breach).get()
    barrier, results = threading.Barrier(6), []

    def send():
        try:
            barrier.wait(timeout=30)
            results.append(outbox_send(outbox_id=row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [""] * 5 + ["sent"]
    assert len(mailoutbox) == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_the_sweep_query_uses_the_partial_deadline_index(db):
    from breaches.models import ALERTING_STATUSES, BreachReport

    BreachReportFactory.create_batch(3)
    query = BreachReport.objects.filter(
        status__in=ALERTING_STATUSES, deadline_at__lte=timezone.now() + 72 * H
    ).values_list("pk", "deadline_at")  # what breaches/deadlines.running asks

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()

    assert "breach_alerting_deadline" in plan
