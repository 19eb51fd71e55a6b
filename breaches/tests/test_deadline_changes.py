"""The breach clock on the deadline mechanism: corrected deadlines, late reports, changed thresholds.

Issue 11, items 11, 12 and 15: thresholds fire once per deadline, a corrected deadline
re-arms those not yet passed under it, a late report raises one e-mail (not a burst),
and a changed BREACH_ALERT_HOURS neither repeats nor loses an alert.
"""

import datetime

import time_machine
from django.urls import reverse

from breaches import services
from breaches.tests.alerts import alerts_of, all_alerts, emails_of
from deadlines.services import deadlines_sweep

UTC = datetime.UTC
H = datetime.timedelta(hours=1)
NOW = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def report(actor, became_aware_at):
    return services.breach_report(
        actor=actor, what_happened="Notebook lost on the bus.", became_aware_at=became_aware_at, categories=["identity"]
    )


def correct_awareness(breach, actor, became_aware_at):
    return services.breach_triage(
        actor=actor,
        breach=breach,
        what_happened=breach.what_happened,
        how_discovered="",
        became_aware_at=became_aware_at,
        occurred_at=None,
        occurred_note="",
        categories=breach.categories,
        people_affected_approx=None,
        records_affected_approx=None,
        people_categories=[],
        cyber_incident=False,
        cyber_details="",
        containment="",
        client_references="",
        team=breach.team,
    )


def subjects(mailoutbox):
    return [m.subject.split("] ", 1)[1] for m in mailoutbox]


def sweep(captured):
    with captured(execute=True):
        deadlines_sweep()


def test_a_corrected_awareness_time_rearms_the_thresholds_not_yet_passed(
    caseworker, manager, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    captured = django_capture_on_commit_callbacks
    with time_machine.travel(NOW, tick=False) as traveller:
        # Typed with the wrong year: the clock is long past its deadline.
        with captured(execute=True):
            breach = report(caseworker, NOW - datetime.timedelta(days=365))
        assert sorted(alerts_of(breach)) == [0, 4, 12, 24, 48, 72]
        assert subjects(mailoutbox) == [
            f"New personal data breach reported: {breach.reference} (past its ICO deadline)"
        ]

        # The manager corrects it to an hour ago: 71 hours left.
        with captured(execute=True):
            correct_awareness(breach, manager, NOW - H)
        sweep(captured)
        # The "reported" e-mail already went out after this clock started: not repeated.
        assert alerts_of(breach) == {72: NOW}
        assert len(mailoutbox) == 1

        traveller.move_to(NOW + 48 * H)  # 23 h left: the 48 h and 24 h thresholds have passed
        sweep(captured)
        traveller.move_to(NOW + 68 * H)  # 3 h left
        sweep(captured)
        traveller.move_to(NOW + 72 * H)  # past the corrected deadline
        sweep(captured)
        sweep(captured)

    assert subjects(mailoutbox)[1:] == [
        f"Breach {breach.reference}: 24 hours to the ICO deadline",
        f"Breach {breach.reference}: 4 hours to the ICO deadline",
        f"Breach {breach.reference} is past its ICO deadline",
    ]
    assert sorted(alerts_of(breach)) == [0, 4, 12, 24, 48, 72]
    # Both deadlines' alerts are kept: the wrong one's as history.
    assert all_alerts(breach).count() == 12
    assert emails_of(breach).filter(status="sent").count() == 4


def test_a_deadline_corrected_earlier_raises_what_has_now_passed_at_once(
    caseworker, manager, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            breach = report(caseworker, NOW - H)
        with django_capture_on_commit_callbacks(execute=True):
            correct_awareness(breach, manager, NOW - 30 * H)  # 42 hours left, not 71

    assert subjects(mailoutbox) == [
        f"New personal data breach reported: {breach.reference}",
        f"Breach {breach.reference}: 48 hours to the ICO deadline",
    ]


def test_the_queue_shows_only_the_current_deadlines_alerts(caseworker, manager, login, fresh_heartbeat):
    with time_machine.travel(NOW, tick=False):
        breach = report(caseworker, NOW - datetime.timedelta(days=365))
        correct_awareness(breach, manager, NOW - H)
        deadlines_sweep()

        page = login(manager).get(reverse("breaches:queue")).content.decode()
        detail = login(manager).get(reverse("breaches:detail", args=[breach.pk])).content.decode()

    assert "71 h 0 min left" in page
    assert "Overdue" not in page
    assert ">Reported</span>" in page
    assert "Already told before the deadline was corrected" in detail


def test_a_late_report_raises_one_email_saying_where_the_clock_stands(
    caseworker, manager, iso, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            breach = report(caseworker, NOW - 70 * H)  # 2 hours left when reported
        for _ in range(3):
            sweep(django_capture_on_commit_callbacks)

    (mail,) = mailoutbox
    assert mail.subject.endswith(f"New personal data breach reported: {breach.reference} (2 h 0 min left)")
    assert "2 h 0 min left until the 72-hour deadline" in mail.body
    delivery = {a.label: a.delivery for a in all_alerts(breach)}
    assert delivery == {
        "Reported": "covered",
        "48 h left": "covered",
        "24 h left": "covered",
        "12 h left": "covered",
        "4 h left": "email",
    }


def test_changing_the_alert_hours_neither_repeats_nor_loses_a_threshold(
    caseworker, manager, settings, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    with time_machine.travel(NOW, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            breach = report(caseworker, NOW)
        traveller.move_to(NOW + 25 * H)
        sweep(django_capture_on_commit_callbacks)  # 48 h left: raised
        # An admin drops 48 and 12 and adds 36.
        settings.BREACH_ALERT_HOURS = [36, 24, 4, 0]
        sweep(django_capture_on_commit_callbacks)
        traveller.move_to(NOW + 37 * H)
        sweep(django_capture_on_commit_callbacks)
        sweep(django_capture_on_commit_callbacks)

    assert subjects(mailoutbox) == [
        f"New personal data breach reported: {breach.reference}",
        f"Breach {breach.reference}: 48 hours to the ICO deadline",
        f"Breach {breach.reference}: 36 hours to the ICO deadline",
    ]
    assert sorted(alerts_of(breach)) == [36, 48, 72]


def test_reporting_a_breach_does_not_wait_for_a_broker_that_hangs(
    login, caseworker, monkeypatch, django_capture_on_commit_callbacks
):
    """Issue 11 item 14, structurally: the request returns while publishing is still blocked."""
    import threading

    from deadlines import enqueue

    entered, release = threading.Event(), threading.Event()

    def hanging_publish(outbox_id):
        entered.set()
        release.wait(timeout=30)

    conf = enqueue._task().app.conf
    eager, conf.task_always_eager = conf.task_always_eager, False
    monkeypatch.setattr(enqueue, "publish", hanging_publish)
    client = login(caseworker)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("breaches:report"),
                {
                    "what_happened": "Left my notebook on the 42 bus.",
                    "became_aware_at": "2026-11-10T11:00",
                    "categories": ["identity"],
                },
            )
        assert response.status_code == 302
        assert entered.wait(timeout=30)  # the publisher is stuck on the broker...
        assert not release.is_set()  # ...and the response was already made
    finally:
        release.set()
        conf.task_always_eager = eager
