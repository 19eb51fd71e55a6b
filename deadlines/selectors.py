"""Reads of the deadline mechanism: current alerts for pages, the outbox, the heartbeat."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from .models import Alert, OutboxEmail, SweepHeartbeat


def current_alerts(clock: str, due_by_object: dict[int, datetime]) -> dict[int, list[Alert]]:
    """The alerts of each object for its CURRENT due time only, earliest threshold first.

    `due_by_object` maps object id → its due time now (UTC). Alerts of an earlier due time
    are history and are not returned, so a page never shows "Overdue" raised under a
    deadline that has since moved. One query, with each alert's e-mail.
    """
    if not due_by_object:
        return {}
    result: dict[int, list[Alert]] = defaultdict(list)
    alerts = (
        Alert.objects.filter(clock=clock, object_id__in=list(due_by_object))
        .select_related("email")
        .order_by("fire_at", "id")
    )
    for alert in alerts:
        if due_by_object.get(alert.object_id) == alert.due_at:
            result[alert.object_id].append(alert)
    return result


def emailed_at(alert: Alert) -> datetime | None:
    """When the e-mail that told people of this alert was sent (its own, or the one that covered it)."""
    row = getattr(alert, "email", None)
    return row.sent_at if row is not None else None


def sending_stale_after() -> timedelta:
    """How long an e-mail may stay "sending" before the sweep calls its fate unknown."""
    return timedelta(minutes=settings.OUTBOX_SENDING_STALE_MINUTES)


def outbox_to_send(limit: int = 500) -> list[int]:
    """Ids of e-mails waiting to be sent, and refused ones with attempts left, oldest first."""
    return list(
        OutboxEmail.objects.filter(
            Q(status=OutboxEmail.Status.PENDING)
            | Q(status=OutboxEmail.Status.FAILED, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS)
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_needing_attention(limit: int = 50) -> list[OutboxEmail]:
    """E-mails a person must look at: fate unknown (never re-sent automatically), or refused for good."""
    return list(
        OutboxEmail.objects.filter(
            Q(status=OutboxEmail.Status.UNKNOWN)
            | Q(status=OutboxEmail.Status.FAILED, attempts__gte=settings.OUTBOX_MAX_ATTEMPTS)
        )
        .select_related("alert")
        .order_by("-claimed_at", "-id")[:limit]
    )


def stale_after() -> timedelta:
    return timedelta(minutes=settings.DEADLINE_SWEEP_STALE_MINUTES)


@dataclass(frozen=True)
class HeartbeatState:
    last_sweep_at: datetime | None
    stale: bool


def heartbeat_state(now: datetime) -> HeartbeatState:
    """When the sweep last ran, and whether that is longer ago than DEADLINE_SWEEP_STALE_MINUTES."""
    last = SweepHeartbeat.objects.filter(pk=1).values_list("last_sweep_at", flat=True).first()
    return HeartbeatState(last_sweep_at=last, stale=last is None or last < now - stale_after())
