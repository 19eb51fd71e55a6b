"""The 72-hour ICO clock, registered on the shared deadline mechanism (deadlines/).

The clock runs while a breach is reported, triaged or assessed (nobody has notified the
ICO nor decided it is not reportable). Its due time is BreachReport.deadline_at (UTC).
Thresholds: "reported" when the clock starts, then BREACH_ALERT_HOURS before the
deadline, "overdue" at it. Who is told: the breach team's service managers and every
information security officer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from deadlines.registry import Clock, Message, Threshold, register

from . import selectors
from .clock import CLOCK_STARTED_HOURS, alert_thresholds, describe_time_left, threshold_label
from .models import ALERT_SCHEDULE, ALERTING_STATUSES, BreachReport
from .selectors import CLOCK

__all__ = ["CLOCK", "register_clock", "threshold_key"]


def threshold_key(hours: int) -> str:
    """The alert key of a threshold `hours` before the deadline ("reported", "48h", …, "overdue")."""
    if hours == CLOCK_STARTED_HOURS:
        return "reported"
    if hours == 0:
        return "overdue"
    return f"{hours}h"


def thresholds() -> list[Threshold]:
    return [Threshold(threshold_key(h), timedelta(hours=h), threshold_label(h)) for h in alert_thresholds()]


def running(horizon: datetime, ids: list[int] | None) -> list[tuple[int, datetime]]:
    """Breaches whose clock runs, deadline at or before `horizon`: a range scan of the partial index."""
    queryset = BreachReport.objects.filter(status__in=ALERTING_STATUSES, deadline_at__lte=horizon)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return list(queryset.values_list("pk", "deadline_at"))


def message(alert, covered, now: datetime) -> Message | None:
    breach = BreachReport.objects.select_related("team").filter(pk=alert.object_id).first()
    if breach is None:
        return None
    keys = {alert.threshold} | {a.threshold for a in covered}
    context = {
        "alert": alert,
        "breach": breach,
        "new": "reported" in keys,
        "overdue": alert.threshold == "overdue",
        "hours": int(alert.lead.total_seconds() // 3600),
        "late": bool(covered),
        "time_left": describe_time_left(breach.deadline_at, now),
        "url": settings.SITE_URL.rstrip("/") + reverse("breaches:detail", args=[breach.pk]),
        "organisation_name": settings.ORGANISATION_NAME,
    }
    return Message(
        subject=render_to_string("breaches/email/alert_subject.txt", context).strip(),
        body=render_to_string("breaches/email/alert_body.txt", context),
        recipients=selectors.alert_recipients(breach),
    )


def register_clock() -> Clock:
    return register(
        Clock(
            name=CLOCK,
            running=running,
            thresholds=thresholds,
            message=message,
            model=BreachReport,
            schedule=ALERT_SCHEDULE,
            due_at=lambda deadline_at: deadline_at,
        )
    )
