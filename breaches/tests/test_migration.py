"""Migration breaches/0003 carries every BreachAlert row over to the deadline mechanism, losing nothing."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deadlines.models import Alert, OutboxEmail, SweepHeartbeat

BEFORE = [("breaches", "0002_breachreport_disclosures"), ("deadlines", "0001_one_deadline_mechanism")]
AFTER = [("breaches", "0003_alerts_move_to_the_deadline_mechanism")]
UTC = datetime.UTC
AWARE = datetime.datetime(2026, 10, 24, 11, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_existing_alerts_their_email_state_and_the_heartbeat_are_carried_over(caseworker, team_a, schema_restored):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    deadline = AWARE + datetime.timedelta(hours=72)
    breach = old.get_model("breaches", "BreachReport").objects.create(
        team_id=team_a.pk,
        reported_by_id=caseworker.pk,
        reported_at=AWARE,
        became_aware_at=AWARE,
        deadline_at=deadline,
        what_happened="Lost notebook",
    )
    BreachAlert = old.get_model("breaches", "BreachAlert")
    BreachAlert.objects.create(
        breach=breach,
        threshold_hours=72,
        due_at=AWARE,
        raised_at=AWARE,
        emailed_at=AWARE + datetime.timedelta(minutes=1),
        recipients="manager@example.org",
    )
    BreachAlert.objects.create(
        breach=breach, threshold_hours=48, due_at=deadline - datetime.timedelta(hours=48), raised_at=AWARE
    )
    old.get_model("breaches", "SweepHeartbeat").objects.create(pk=1, last_sweep_at=AWARE)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    alerts = list(Alert.objects.order_by("fire_at"))
    assert [(a.clock, a.object_id, a.due_at, a.threshold, a.label, a.raised_at) for a in alerts] == [
        ("breaches.ico_deadline", breach.pk, deadline, "reported", "Reported", AWARE),
        ("breaches.ico_deadline", breach.pk, deadline, "48h", "48 h left", AWARE),
    ]
    sent, pending = (OutboxEmail.objects.get(alert=a) for a in alerts)
    assert (sent.status, sent.sent_at, sent.recipients) == (
        "sent",
        AWARE + datetime.timedelta(minutes=1),
        "manager@example.org",
    )
    assert pending.status == "pending"  # the next sweep sends it (or cancels it if the clock stopped)
    assert SweepHeartbeat.objects.get().last_sweep_at == AWARE
