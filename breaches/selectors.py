"""Reads of the breach register. Who may see a breach is decided here, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from sharing.models import Disclosure

from .models import (
    ALERTING_STATUSES,
    OPEN_STATUSES,
    BreachAlert,
    BreachNotification,
    BreachReport,
    StaffInvolvement,
    SweepHeartbeat,
)


def can_manage_breaches(user) -> bool:
    """Service managers (their teams' breaches) and information security officers (all)."""
    return user.is_authenticated and user.role in (Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER)


def breaches_managed_by(user) -> QuerySet[BreachReport]:
    """The one rule for lists and detail pages alike: ISO sees every breach, a manager their teams'."""
    if not user.is_authenticated:
        return BreachReport.objects.none()
    if user.role == Role.INFORMATION_SECURITY_OFFICER:
        return BreachReport.objects.all()
    if user.role == Role.SERVICE_MANAGER:
        return BreachReport.objects.filter(team__in=user.memberships.values("team_id"))
    return BreachReport.objects.none()


def breach_for_manager(user, breach_id) -> BreachReport | None:
    """One breach with what its detail page shows, or None if it does not exist or is not theirs."""
    return (
        breaches_managed_by(user)
        .select_related("team", "reported_by", "decided_by", "closed_by")
        .prefetch_related(
            "alerts",
            Prefetch("notifications", queryset=BreachNotification.objects.select_related("recorded_by")),
            Prefetch("staff_involvements", queryset=StaffInvolvement.objects.select_related("user")),
            "affected_clients",
            Prefetch("disclosures", queryset=Disclosure.objects.order_by("disclosed_at", "pk")),
        )
        .filter(pk=breach_id)
        .first()
    )


def breach_for_reporter(user, breach_id) -> BreachReport | None:
    """The reporter's own report (for the confirmation page), or None."""
    return BreachReport.objects.select_related("team").filter(pk=breach_id, reported_by=user).first()


def breach_queue(user) -> QuerySet[BreachReport]:
    """Open breaches this person manages, soonest deadline first, with their alerts."""
    return (
        breaches_managed_by(user)
        .filter(status__in=OPEN_STATUSES)
        .select_related("team")
        .prefetch_related("alerts")
        .order_by("deadline_at", "id")
    )


def breach_register(user) -> QuerySet[BreachReport]:
    """Every breach this person manages, open or closed, for the register and its CSV export."""
    return (
        breaches_managed_by(user)
        .select_related("team", "reported_by", "decided_by", "closed_by")
        .prefetch_related(
            "notifications",
            Prefetch("staff_involvements", queryset=StaffInvolvement.objects.select_related("user")),
        )
        .annotate(clients_linked=Count("affected_clients", distinct=True))
        .order_by("-became_aware_at", "-id")
    )


def due_alerts(now: datetime, thresholds: list[int]) -> QuerySet:
    """(breach id, deadline) of breaches with at least one due threshold that has no alert yet.

    One query: a range scan of the partial index on deadline_at (breaches whose clock is
    running), anti-joined to BreachAlert once per threshold through its unique index.
    """
    if not thresholds:
        return BreachReport.objects.none().values_list("pk", "deadline_at")
    missing = Q()
    for hours in thresholds:
        alerted = BreachAlert.objects.filter(breach=OuterRef("pk"), threshold_hours=hours)
        missing |= Q(Q(deadline_at__lte=now + timedelta(hours=hours)), ~Exists(alerted))
    return (
        BreachReport.objects.filter(
            status__in=ALERTING_STATUSES, deadline_at__lte=now + timedelta(hours=max(thresholds))
        )
        .filter(missing)
        .values_list("pk", "deadline_at")
    )


def unsent_alert_ids(limit: int = 500) -> list[int]:
    """Alerts raised but not yet e-mailed, for breaches whose clock is still running."""
    return list(
        BreachAlert.objects.filter(emailed_at__isnull=True, breach__status__in=ALERTING_STATUSES)
        .order_by("raised_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def alert_recipients(breach: BreachReport) -> list[str]:
    """E-mail addresses of the breach team's service managers and every information security officer."""
    rule = Q(role=Role.INFORMATION_SECURITY_OFFICER)
    if breach.team_id:
        rule |= Q(role=Role.SERVICE_MANAGER, memberships__team_id=breach.team_id)
    return sorted(set(User.objects.filter(rule, is_active=True).exclude(email="").values_list("email", flat=True)))


def security_officer_emails() -> list[str]:
    return sorted(
        set(
            User.objects.filter(role=Role.INFORMATION_SECURITY_OFFICER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def stale_after() -> timedelta:
    return timedelta(minutes=settings.BREACH_SWEEP_STALE_MINUTES)


@dataclass(frozen=True)
class HeartbeatState:
    last_sweep_at: datetime | None
    stale: bool


def heartbeat_state(now: datetime) -> HeartbeatState:
    last = SweepHeartbeat.objects.filter(pk=1).values_list("last_sweep_at", flat=True).first()
    return HeartbeatState(last_sweep_at=last, stale=last is None or last < now - stale_after())


def dashboard_panel(*, user) -> dict:
    """The dashboard's breach panel, for managers and the ISO: open breaches, the next deadline, the timer."""
    if not can_manage_breaches(user):
        return {"show": False}
    now = timezone.now()
    open_breaches = breaches_managed_by(user).filter(status__in=ALERTING_STATUSES)
    counts = open_breaches.aggregate(
        running=Count("pk"), overdue=Count("pk", filter=Q(deadline_at__lte=now)), next_deadline=Min("deadline_at")
    )
    return {"show": True, **counts, "heartbeat": heartbeat_state(now)}
