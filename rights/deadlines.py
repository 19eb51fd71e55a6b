"""The subject access clock (UK GDPR Art 12(3)), on the shared deadline mechanism (deadlines/).

The clock runs while a request is open. Its due time is the end of `due_on` (one calendar
month from receipt, plus any extension) in the organisation's time zone: the first instant
of the next day, as UTC, so a request answered any time on its last day is on time. The
thresholds follow the register's "days left": SAR_ALERT_DAYS_LEFT (default 7 and 1) fire
at the start of the day the register first shows that many days left, and "overdue" at the
due time, when it first shows "1 day overdue". (Each lead is a fixed number of 24-hour
days, so across a clock change a threshold fires an hour either side of midnight.)

Who is told: the service managers of the client's team and every information security
officer; the e-mail names the request and the client by reference only. Answering the
request stops the clock (and cancels an e-mail not yet sent); extending it moves the due
time, and `rights.services.sar_extend` re-arms the thresholds at once (deadline_check).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from consent.deadlines import start_of_day
from deadlines.registry import Clock, Message, Threshold, register

from .calendar import days_left
from .models import SAR_SCHEDULE, SubjectAccessRequest

CLOCK = "rights.subject_access"
OVERDUE = "overdue"


def due_at(due_on: dt.date) -> dt.datetime:
    """The due time of a request due on `due_on` (a local date): the end of that day, as an aware UTC datetime."""
    return start_of_day(due_on + dt.timedelta(days=1))


def alert_days_left() -> list[int]:
    """The "days left" thresholds (settings.SAR_ALERT_DAYS_LEFT), most first. Raises ValueError for a negative one."""
    days = sorted({int(d) for d in settings.SAR_ALERT_DAYS_LEFT}, reverse=True)
    if any(d < 0 for d in days):
        raise ValueError(f"SAR_ALERT_DAYS_LEFT must not be negative, not {days}")
    return days


def thresholds() -> list[Threshold]:
    # N days left starts at the beginning of due_on - N: N + 1 days before the end of due_on.
    return [
        *(
            Threshold(f"{d}d", dt.timedelta(days=d + 1), f"{d} day{'s' if d != 1 else ''} left" if d else "Due today")
            for d in alert_days_left()
        ),
        Threshold(OVERDUE, dt.timedelta(0), "Overdue"),
    ]


def running(horizon: dt.datetime, ids: list[int] | None) -> list[tuple[int, dt.datetime]]:
    """Open requests whose due time (end of due_on) is at or before `horizon`: one query on the open-due index."""
    last_due_on = timezone.localtime(horizon, timezone.get_default_timezone()).date() - dt.timedelta(days=1)
    queryset = SubjectAccessRequest.objects.filter(status=SubjectAccessRequest.Status.OPEN, due_on__lte=last_due_on)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return [(pk, due_at(day)) for pk, day in queryset.values_list("pk", "due_on")]


def recipients(sar: SubjectAccessRequest) -> list[str]:
    """E-mail addresses of the client's team's service managers and every information security officer."""
    rule = Q(role=Role.INFORMATION_SECURITY_OFFICER) | Q(
        role=Role.SERVICE_MANAGER, memberships__team_id=sar.client.team_id
    )
    return sorted(set(User.objects.filter(rule, is_active=True).exclude(email="").values_list("email", flat=True)))


def message(alert, covered, now: dt.datetime) -> Message | None:
    sar = SubjectAccessRequest.objects.select_related("client").filter(pk=alert.object_id).first()
    if sar is None:
        return None
    left = days_left(sar.due_on, timezone.localdate(now))
    if left < 0:
        where = f"is {-left} day{'s' if left != -1 else ''} overdue"
    elif left == 0:
        where = "is due today"
    else:
        where = f"has {left} day{'s' if left != 1 else ''} left"
    url = settings.SITE_URL.rstrip("/") + reverse("rights:sar", args=[sar.client_id, sar.pk])
    subject = f"[{settings.ORGANISATION_NAME}] Subject access request {sar.reference} {where}"
    body = (
        f"The subject access request {sar.reference} about client {sar.client.reference} {where}: "
        f"the response is due by the end of {sar.due_on:%A %-d %B %Y}"
        + (
            f" (extended by {sar.extension_months} month{'s' if sar.extension_months != 1 else ''})"
            if sar.extension_months
            else ""
        )
        + ".\n\n"
        "UK GDPR Article 12(3): one calendar month from receipt, or up to two further months for a "
        "complex request when the requester was told why within the first month.\n\n"
        f"Open the request: {url}\n\n"
        f"You are told {', '.join(f'{d} days left' for d in alert_days_left())} and when it is overdue, "
        "once each, because you handle this client's rights requests.\n\n"
        f"— {settings.ORGANISATION_NAME} casework\n"
    )
    return Message(subject=subject, body=body, recipients=recipients(sar))


def register_clock() -> Clock:
    return register(
        Clock(
            name=CLOCK,
            running=running,
            thresholds=thresholds,
            message=message,
            model=SubjectAccessRequest,
            schedule=SAR_SCHEDULE,
            due_at=due_at,
        )
    )
