"""Background work for statutory requests: the e-mail to the client's team managers and the ISO.

The task takes an alert id, re-fetches, and is safe to run twice (emailed_at is claimed
with a conditional update). It is enqueued on commit by `services`.
"""

from celery import shared_task

from . import services


@shared_task(name="statutory.tasks.send_statutory_alert", acks_late=True, soft_time_limit=45, time_limit=60)
def send_statutory_alert(alert_id: int) -> bool:
    return services.statutory_alert_send(alert_id=alert_id)


# The name this task had while statutory requests lived in `sharing`: messages queued
# before an upgrade still carry it, so it stays registered (the claim keeps it to one e-mail).
@shared_task(name="sharing.tasks.send_statutory_alert", acks_late=True, soft_time_limit=45, time_limit=60)
def send_statutory_alert_old_name(alert_id: int) -> bool:
    return services.statutory_alert_send(alert_id=alert_id)
