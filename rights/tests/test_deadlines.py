"""The subject access clock on the shared deadline mechanism: thresholds as the register counts days."""

import datetime as dt
import zoneinfo

import time_machine
from django.core import mail

from deadlines import registry
from deadlines.models import Alert, OutboxEmail
from deadlines.services import deadlines_sweep, outbox_send
from rights import services
from rights.deadlines import CLOCK, due_at, thresholds
from rights.models import SubjectAccessRequest
from rights.selectors import sar_register

LONDON = zoneinfo.ZoneInfo("Europe/London")
RECEIVED = dt.date(2026, 3, 10)  # due Friday 10 April 2026 (BST)


def at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def alert_keys(sar) -> list[str]:
    sar.refresh_from_db(fields=["due_on"])
    return list(
        Alert.objects.filter(clock=CLOCK, object_id=sar.pk, due_at=due_at(sar.due_on))
        .order_by("fire_at")
        .values_list("threshold", flat=True)
    )


def log(manager, client, received_on=RECEIVED):
    return services.sar_log(
        actor=manager,
        client=client,
        requester=SubjectAccessRequest.Requester.CLIENT,
        verification=SubjectAccessRequest.Verification.KNOWN_IN_PERSON,
        asked_for="Everything you hold about me.",
        received_on=received_on,
    )


def test_the_clock_is_registered_with_days_left_thresholds_and_overdue():
    clock = registry.get(CLOCK)

    assert [t.key for t in clock.thresholds()] == ["7d", "1d", "overdue"]
    assert [t.label for t in thresholds()] == ["7 days left", "1 day left", "Overdue"]


def test_the_due_time_is_the_end_of_the_last_day_in_london():
    # 10 April 2026 is in British Summer Time: the day ends at 23:00 UTC.
    assert due_at(dt.date(2026, 4, 10)) == dt.datetime(2026, 4, 10, 23, 0, tzinfo=dt.UTC)
    assert due_at(dt.date(2026, 1, 10)) == dt.datetime(2026, 1, 11, 0, 0, tzinfo=dt.UTC)


def test_each_threshold_fires_once_when_the_register_first_shows_it(manager, own_client):
    with time_machine.travel(at(RECEIVED, 10), tick=False) as traveller:
        sar = log(manager, own_client)
        assert sar.due_on == dt.date(2026, 4, 10)
        seen = {}
        for moment in (
            at(dt.date(2026, 4, 2), 23, 59),
            at(dt.date(2026, 4, 3), 0, 1),
            at(dt.date(2026, 4, 3), 12),
            at(dt.date(2026, 4, 8), 23, 59),
            at(dt.date(2026, 4, 9), 0, 1),
            at(dt.date(2026, 4, 10), 23, 59),
            at(dt.date(2026, 4, 11), 0, 1),
            at(dt.date(2026, 4, 12), 9),
        ):
            traveller.move_to(moment)
            deadlines_sweep()
            (row,) = sar_register(manager)
            for key in alert_keys(sar):
                seen.setdefault(key, (moment, row.time_left))

    assert seen == {
        "7d": (at(dt.date(2026, 4, 3), 0, 1), "7 days left"),
        "1d": (at(dt.date(2026, 4, 9), 0, 1), "1 day left"),
        "overdue": (at(dt.date(2026, 4, 11), 0, 1), "1 day overdue"),
    }
    assert Alert.objects.filter(clock=CLOCK, object_id=sar.pk).count() == 3


def test_the_alert_goes_to_the_teams_managers_and_the_iso_by_reference_only(manager, other_manager, iso, own_client):
    with time_machine.travel(at(dt.date(2026, 4, 3), 9), tick=False):
        sar = log(manager, own_client)  # logged late: 7 days left already
        deadlines_sweep()
        (row,) = OutboxEmail.objects.filter(alert__clock=CLOCK, alert__object_id=sar.pk)
        outbox_send(outbox_id=row.pk)

    (email,) = mail.outbox
    assert sar.reference in email.subject
    assert "7 days left" in email.subject
    assert set(email.to) == {manager.email, iso.email}
    assert own_client.last_name not in email.subject + email.body
    assert own_client.reference in email.body


def test_a_request_logged_late_raises_one_alert_at_once(manager, own_client):
    with time_machine.travel(at(dt.date(2026, 4, 12), 9), tick=False):
        sar = log(manager, own_client)  # due 10 April: already overdue

        assert alert_keys(sar) == ["7d", "1d", "overdue"]
        assert Alert.objects.get(clock=CLOCK, object_id=sar.pk, threshold="overdue").delivery == "email"
        assert set(
            Alert.objects.filter(clock=CLOCK, object_id=sar.pk)
            .exclude(threshold="overdue")
            .values_list("delivery", flat=True)
        ) == {"covered"}


def test_an_answered_request_stops_alerting(manager, own_client):
    with time_machine.travel(at(RECEIVED, 10), tick=False) as traveller:
        sar = log(manager, own_client)
        traveller.move_to(at(dt.date(2026, 4, 1), 10))
        services.sar_complete(actor=manager, sar=sar, completed_on=dt.date(2026, 4, 1))
        for day in (dt.date(2026, 4, 3), dt.date(2026, 4, 9), dt.date(2026, 4, 20)):
            traveller.move_to(at(day, 1))
            deadlines_sweep()

    assert not Alert.objects.filter(clock=CLOCK, object_id=sar.pk).exists()


def test_extending_a_request_re_times_its_alerts_at_once(manager, own_client):
    with time_machine.travel(at(RECEIVED, 10), tick=False) as traveller:
        sar = log(manager, own_client)
        traveller.move_to(at(dt.date(2026, 4, 9), 9))
        deadlines_sweep()
        assert alert_keys(sar) == ["7d", "1d"]
        (pending,) = OutboxEmail.objects.filter(alert__clock=CLOCK, alert__object_id=sar.pk, alert__threshold="1d")

        services.sar_extend(
            actor=manager, sar=sar, months=1, reason="Twelve years of records.", told_on=dt.date(2026, 3, 20)
        )

        assert alert_keys(sar) == []  # due 10 May now: nothing has fallen due under it
        # The "1 day left" e-mail of the old due date is no longer true: it is not sent.
        assert outbox_send(outbox_id=pending.pk) == OutboxEmail.Status.CANCELLED
        traveller.move_to(at(dt.date(2026, 5, 3), 0, 1))
        deadlines_sweep()
        assert alert_keys(sar) == ["7d"]
