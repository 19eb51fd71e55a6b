"""Breach alerts move to the shared deadline mechanism (deadlines.Alert and its outbox).

Every BreachAlert row is carried over, none is lost: its threshold becomes the alert key
("reported", "48h", …, "overdue"), the deadline it was computed from is recovered exactly
(the old due_at was that deadline minus the threshold), and its e-mail state becomes an
outbox row — sent (with the old emailed_at and recipients) or pending (the next sweep
sends it, or cancels it if the clock has stopped since). The heartbeat row moves too.
"""

from datetime import timedelta

from django.db import migrations


def _key(hours):
    if hours == 72:
        return "reported"
    if hours == 0:
        return "overdue"
    return f"{hours}h"


def _label(hours):
    if hours == 72:
        return "Reported"
    if hours == 0:
        return "Overdue"
    return f"{hours} h left"


def carry_over(apps, schema_editor):
    BreachAlert = apps.get_model("breaches", "BreachAlert")
    OldHeartbeat = apps.get_model("breaches", "SweepHeartbeat")
    Alert = apps.get_model("deadlines", "Alert")
    OutboxEmail = apps.get_model("deadlines", "OutboxEmail")
    SweepHeartbeat = apps.get_model("deadlines", "SweepHeartbeat")
    for old in BreachAlert.objects.order_by("pk").iterator():
        alert = Alert.objects.create(
            clock="breaches.ico_deadline",
            object_id=old.breach_id,
            due_at=old.due_at + timedelta(hours=old.threshold_hours),
            threshold=_key(old.threshold_hours),
            label=_label(old.threshold_hours),
            fire_at=old.due_at,
            raised_at=old.raised_at,
            delivery="email",
        )
        OutboxEmail.objects.create(
            alert=alert,
            status="sent" if old.emailed_at else "pending",
            recipients=old.recipients,
            created_at=old.raised_at,
            claimed_at=old.emailed_at,
            sent_at=old.emailed_at,
            attempts=1 if old.emailed_at else 0,
        )
    for old in OldHeartbeat.objects.all():
        SweepHeartbeat.objects.update_or_create(
            pk=1, defaults={"last_sweep_at": old.last_sweep_at, "stale_emailed_at": old.stale_emailed_at}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("breaches", "0002_breachreport_disclosures"),
        ("deadlines", "0001_one_deadline_mechanism"),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="SweepHeartbeat",
        ),
        migrations.DeleteModel(
            name="BreachAlert",
        ),
    ]
