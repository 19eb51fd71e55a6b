"""Background work for sharing: e-mailing a referral's PDF to the partner's registered address.

The task takes an id, re-fetches, and is safe to run twice (emailed_at is claimed with a
conditional update). It is enqueued on commit by `services.referral_email_request`.
"""

from celery import shared_task

from . import services


@shared_task(name="sharing.tasks.email_referral", acks_late=True, soft_time_limit=100, time_limit=120)
def email_referral(referral_id: int) -> bool:
    return services.referral_email_send(referral_id=referral_id)
