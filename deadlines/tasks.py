"""The deadline sweep (run by beat, casework/celery.py) and the outbox sender.

Both take ids or nothing, re-read the database, and are safe to run twice or at once.
"""

from celery import shared_task

from . import services


@shared_task(name="deadlines.tasks.sweep_deadlines", acks_late=True, soft_time_limit=100, time_limit=120)
def sweep_deadlines():
    return services.deadlines_sweep()


# acks_late and a redelivery after a crash are harmless: the claim committed before the
# send, so a redelivered task finds the row no longer pending and sends nothing.
@shared_task(name="deadlines.tasks.send_outbox_email", acks_late=True, soft_time_limit=45, time_limit=60)
def send_outbox_email(outbox_id: int):
    return services.outbox_send(outbox_id=outbox_id)
