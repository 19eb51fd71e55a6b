"""Statutory requests have no tasks of their own: their e-mails run on the shared deadline
mechanism (statutory/deadlines.py, swept by deadlines.tasks.sweep_deadlines, sent through
the outbox).

The two names below belonged to the e-mail task these alerts had before. Messages queued
before an upgrade may still carry them: they stay registered, and do nothing, since their
alerts were carried into the deadline mechanism (migration 0004) and are sent from there.
"""

from celery import shared_task


@shared_task(name="statutory.tasks.send_statutory_alert", ignore_result=True)
def send_statutory_alert(alert_id: int) -> bool:
    return False


@shared_task(name="sharing.tasks.send_statutory_alert", ignore_result=True)
def send_statutory_alert_old_name(alert_id: int) -> bool:
    return False
