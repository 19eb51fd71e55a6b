"""Test helpers: a breach's alerts on the deadline mechanism, in the hours the tests speak."""

from deadlines.models import Alert, OutboxEmail
from deadlines.services import outbox_send

CLOCK = "breaches.ico_deadline"


def hours(alert: Alert) -> int:
    return int(alert.lead.total_seconds() // 3600)


def all_alerts(breach):
    """Every alert of the breach, under whatever deadline it was raised."""
    return Alert.objects.filter(clock=CLOCK, object_id=breach.pk).order_by("fire_at", "id")


def current_alerts(breach):
    """The alerts of the breach's current deadline."""
    breach.refresh_from_db(fields=["deadline_at"])
    return all_alerts(breach).filter(due_at=breach.deadline_at)


def alerts_of(breach) -> dict[int, object]:
    """{hours before the deadline: raised_at} for the breach's current deadline."""
    return {hours(alert): alert.raised_at for alert in current_alerts(breach)}


def emails_of(breach):
    """The outbox rows of the breach's alerts, oldest first."""
    return OutboxEmail.objects.filter(alert__clock=CLOCK, alert__object_id=breach.pk).order_by("created_at", "id")


def email_of(breach) -> OutboxEmail:
    (row,) = emails_of(breach)
    return row


def send_all(breach) -> list[str]:
    """Send every e-mail of the breach still to send, as the worker would. Returns their statuses."""
    return [outbox_send(outbox_id=row.pk) for row in emails_of(breach)]
