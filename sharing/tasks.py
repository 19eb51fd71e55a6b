"""Background work for sharing: transmitting referrals and notices to partners' registered addresses.

The task takes an id, re-fetches, and is safe to run twice: `services.transmission_send`
re-checks the basis with its rows locked and claims the transmission with a conditional
update that commits before sending. It is enqueued on commit by the services that queue.
"""

from celery import shared_task

from . import services


@shared_task(bind=True, name="sharing.tasks.transmit", acks_late=True, soft_time_limit=100, time_limit=120)
def transmit(self, transmission_id: int) -> str:
    try:
        return services.transmission_send(transmission_id=transmission_id)
    except services.TransmissionFailed as exc:
        if exc.retry_at is None:  # out of attempts: it waits for "Send again"
            return "failed"
        # Each retry claims again, and so re-checks the basis first. The service counts the
        # attempts (a requeue or "Send again" adds to them), so Celery does not cap retries.
        raise self.retry(exc=exc, eta=exc.retry_at, max_retries=None) from exc
