"""Background work for statutory requests: the e-mail to the client's team managers and the ISO.

The task takes an alert id, re-fetches, and is safe to run twice (emailed_at is claimed
with a conditional update). It is enqueued on commit by `services_statutory`; it is
imported by `sharing.tasks`, so the worker registers it.
"""

from celery import shared_task

from . import services_statutory


@shared_task(name="sharing.tasks.send_statutory_alert", acks_late=True, soft_time_limit=45, time_limit=60)
def send_statutory_alert(alert_id: int) -> bool:
    return services_statutory.statutory_alert_send(alert_id=alert_id)
