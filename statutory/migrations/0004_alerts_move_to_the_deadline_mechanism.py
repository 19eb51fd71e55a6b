"""Statutory alerts move to the shared deadline mechanism (deadlines.Alert and its outbox).

Every StatutoryAlert row is carried over, so the first sweep after the upgrade sends
nothing twice: an "emergency logged" alert becomes the "logged" threshold of the
statutory.emergency_request clock (due time: when the request was logged); an "emergency
disclosed" alert becomes the "disclosed" threshold of the statutory.emergency_review clock
(due time: the disclosure plus 24 hours). Its e-mail state becomes an outbox row: sent
(with the old time and recipients), nobody to send to, or pending (the outbox sends it,
or cancels it if the clock has stopped since).
"""

from datetime import timedelta

from django.db import migrations

REVIEW_WITHIN = timedelta(hours=24)


def carry_over(apps, schema_editor):
    StatutoryAlert = apps.get_model("statutory", "StatutoryAlert")
    Alert = apps.get_model("deadlines", "Alert")
    OutboxEmail = apps.get_model("deadlines", "OutboxEmail")
    for old in StatutoryAlert.objects.select_related("statutory_request").order_by("pk").iterator():
        request = old.statutory_request
        if old.kind == "emergency_disclosed":
            if request.decided_at is None:
                continue
            clock, key, label = "statutory.emergency_review", "disclosed", "Emergency disclosure made"
            fire_at, due_at = request.decided_at, request.decided_at + REVIEW_WITHIN
        else:
            clock, key, label = "statutory.emergency_request", "logged", "Emergency request logged"
            fire_at = due_at = request.logged_at
        alert = Alert.objects.create(
            clock=clock,
            object_id=request.pk,
            due_at=due_at,
            threshold=key,
            label=label,
            fire_at=fire_at,
            raised_at=old.raised_at,
            delivery="email",
        )
        if old.emailed_at is None:
            status = "pending"
        else:
            status = "sent" if old.recipients.strip() else "no_recipients"
        OutboxEmail.objects.create(
            alert=alert,
            status=status,
            recipients=old.recipients,
            created_at=old.raised_at,
            claimed_at=old.emailed_at,
            sent_at=old.emailed_at if status == "sent" else None,
            attempts=1 if old.emailed_at else 0,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("statutory", "0003_statutory_disclosure_link"),
        ("deadlines", "0001_one_deadline_mechanism"),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.DeleteModel(name="StatutoryAlert"),
    ]
