"""Data-sharing agreements nearing their end date, on the shared deadline mechanism.

The due time is the start (in the organisation's time zone, as UTC) of the agreement's
`ends_on`, the first day it no longer covers anything. The thresholds are
AGREEMENT_END_LEAD_DAYS days before it (default 90, 30 and 7): the service managers and
the information security officers are e-mailed once at each. An agreement entered with
less time left gets one e-mail saying how long is left, not one per passed lead time.
Changing the end date (a renewal) re-arms the lead times not yet passed under the new one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role, User
from consent.deadlines import start_of_day
from deadlines.registry import Chore, Clock, Message, Threshold, register, register_chore

from .models import AGREEMENT_END_SCHEDULE, DataSharingAgreement

AGREEMENT_END = "sharing.agreement_end"


def lead_days() -> list[int]:
    """The lead times in days, longest first. Raises ValueError for a negative one."""
    days = sorted({int(d) for d in settings.AGREEMENT_END_LEAD_DAYS}, reverse=True)
    if any(d < 0 for d in days):
        raise ValueError(f"AGREEMENT_END_LEAD_DAYS must not be negative, not {days}")
    return days


def thresholds() -> list[Threshold]:
    return [Threshold(f"{d}d", dt.timedelta(days=d), f"Ends within {d} days") for d in lead_days()]


def running(horizon, ids):
    """Agreements with an end date that has not come yet, ending on or before `horizon`'s day."""
    last_day = timezone.localtime(horizon, timezone.get_default_timezone()).date()
    queryset = DataSharingAgreement.objects.filter(
        ends_on__isnull=False, ends_on__gt=timezone.localdate(), ends_on__lte=last_day
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return [(pk, start_of_day(day)) for pk, day in queryset.values_list("pk", "ends_on")]


def agreements_ending_soon(today: dt.date | None = None) -> QuerySet[DataSharingAgreement]:
    """Agreements in force that end within the longest lead time, soonest first (for dashboards)."""
    today = today or timezone.localdate()
    days = lead_days()
    if not days:
        return DataSharingAgreement.objects.none()
    return (
        DataSharingAgreement.objects.filter(
            ends_on__isnull=False, ends_on__gt=today, ends_on__lte=today + dt.timedelta(days=days[0])
        )
        .select_related("partner")
        .order_by("ends_on", "reference")
    )


def can_see_agreements_ending(user) -> bool:
    return user.is_authenticated and user.role in (Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER)


def recipients() -> list[str]:
    return sorted(
        set(
            User.objects.filter(is_active=True, role__in=[Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER])
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def message(alert, covered, now):
    agreement = DataSharingAgreement.objects.select_related("partner").filter(pk=alert.object_id).first()
    if agreement is None:
        return None
    left = (agreement.ends_on - timezone.localdate(now)).days
    last_day = agreement.ends_on - dt.timedelta(days=1)
    subject = (
        f"[{settings.ORGANISATION_NAME}] Data-sharing agreement {agreement.reference} with "
        f"{agreement.partner.name} ends in {left} day{'s' if left != 1 else ''}"
    )
    body = (
        f"The data-sharing agreement {agreement.reference} with {agreement.partner.name} covers sharing "
        f"until the end of {last_day:%A %-d %B %Y} ({left} day{'s' if left != 1 else ''} from today).\n\n"
        "After that, referrals to this partner are treated as having no agreement in force. Renew it "
        "(record the new end date) or plan for sharing without it.\n\n"
        f"You are told {', '.join(f'{d} days' for d in lead_days())} before the end date, once each.\n\n"
        f"— {settings.ORGANISATION_NAME} casework\n"
    )
    return Message(subject=subject, body=body, recipients=recipients())


def register_clocks() -> None:
    register(
        Clock(
            name=AGREEMENT_END,
            running=running,
            thresholds=thresholds,
            message=message,
            model=DataSharingAgreement,
            schedule=AGREEMENT_END_SCHEDULE,
            due_at=start_of_day,
        )
    )


TRANSMISSIONS = "sharing.transmissions"


def register_chores() -> None:
    """Transmissions left queued are handed to the worker again by each sweep; ones left
    "sending" by a dead worker become "unknown" (services.transmissions_requeue)."""
    from .services import transmissions_requeue

    register_chore(Chore(name=TRANSMISSIONS, run=lambda now: transmissions_requeue(now=now)))
