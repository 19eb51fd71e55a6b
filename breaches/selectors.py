"""Reads of the breach register. Who may see a breach is decided here, in one place."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from deadlines.models import Alert
from deadlines.selectors import current_alerts, heartbeat_state
from sharing.models import Disclosure

from .models import (
    ALERTING_STATUSES,
    OPEN_STATUSES,
    BreachNotification,
    BreachReport,
    StaffInvolvement,
)

# The name of the breach clock on the deadline mechanism (see breaches/deadlines.py).
CLOCK = "breaches.ico_deadline"


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
    """Open breaches this person manages, soonest deadline first (their alerts: `alerts_of`)."""
    return (
        breaches_managed_by(user).filter(status__in=OPEN_STATUSES).select_related("team").order_by("deadline_at", "id")
    )


def alerts_of(breaches: Iterable[BreachReport]) -> dict[int, list[Alert]]:
    """Breach id → the alerts raised for its CURRENT deadline, earliest first (one query).

    Alerts raised under a deadline that has since been corrected are history: they are
    not returned, so no page shows them beside the new deadline's time left.
    """
    return current_alerts(CLOCK, {breach.pk: breach.deadline_at for breach in breaches})


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
