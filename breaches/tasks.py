"""The breach-deadline timer. Beat runs `sweep_breach_deadlines` every 5 minutes (casework/celery.py).

The deadline is data (BreachReport.deadline_at), never a countdown or an ETA task: Redis
redelivers long-ETA tasks, and a countdown dies with the worker. Each sweep looks at the
database and raises whatever is due by now, so a missed run only delays an alert.
"""

from celery import shared_task

from . import services


@shared_task(name="breaches.tasks.sweep_breach_deadlines", acks_late=True, soft_time_limit=100, time_limit=120)
def sweep_breach_deadlines():
    return services.breach_deadlines_sweep()


@shared_task(name="breaches.tasks.send_breach_alert", acks_late=True, soft_time_limit=45, time_limit=60)
def send_breach_alert(alert_id: int):
    return services.breach_alert_send(alert_id=alert_id)
