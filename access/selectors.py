"""Reads of the audit log: the managers' access review and "who accessed this record".

Managers see their own teams: accesses to their teams' clients and what their team's
staff did anywhere. The information security officer sees every team.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Role, SecurityEvent, Team, TeamMembership
from accounts.selectors import concurrent_logins_for
from clients.merge import record_ids
from clients.models import Assignment

from .gate import CLOSED_CASE, OUTSIDE_CASELOAD, REASON_LABELS
from .models import AccessEvent, AccessReview

ITEM_LIMIT = 200
# "Far above the team's norm": more than VOLUME_FACTOR times the team's median of record
# openings over the period, and at least VOLUME_MINIMUM openings (small numbers are noise).
VOLUME_FACTOR = 3
VOLUME_MINIMUM = 20


def sees_all_teams(user) -> bool:
    return user.role == Role.INFORMATION_SECURITY_OFFICER


def may_review(user) -> bool:
    return user.role in {Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER}


def review_teams(user) -> QuerySet[Team]:
    """The teams whose access this person reviews."""
    if sees_all_teams(user):
        return Team.objects.all()
    if user.role == Role.SERVICE_MANAGER:
        return Team.objects.filter(memberships__user=user)
    return Team.objects.none()


def _period_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    finish = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return begin, finish


def _scope_ids(user, team: Team | None = None) -> list[int] | None:
    """The team ids in scope, or None for everything (the information security officer, unfiltered)."""
    if sees_all_teams(user) and team is None:
        return None
    teams = review_teams(user)
    if team is not None:
        teams = teams.filter(pk=team.pk)
    return list(teams.values_list("pk", flat=True))


def _event_scope(team_ids: list[int] | None) -> Q:
    """Events about these teams' clients, or by these teams' staff."""
    if team_ids is None:
        return Q()
    staff = TeamMembership.objects.filter(user=OuterRef("actor"), team_id__in=team_ids)
    return Q(client__team_id__in=team_ids) | Q(Exists(staff))


def _events(team_ids, begin, finish) -> QuerySet[AccessEvent]:
    return (
        AccessEvent.objects.filter(_event_scope(team_ids), at__gte=begin, at__lt=finish)
        .select_related("actor", "client__team", "review__reviewed_by")
        .order_by("-at", "-id")
    )


@dataclass
class VolumeFinding:
    user: object
    team: Team
    openings: int
    team_median: float
    review: AccessReview | None = None


@dataclass
class Review:
    start: datetime.date
    end: datetime.date
    outside_caseload: list[AccessEvent]
    closed_cases: list[AccessEvent]
    denied: list[AccessEvent]
    concurrent_logins: list[SecurityEvent]
    unusual_volume: list[VolumeFinding]
    limit: int = ITEM_LIMIT


def _staff_scope(team_ids: list[int] | None, field: str = "user") -> Q:
    if team_ids is None:
        return Q()
    return Q(Exists(TeamMembership.objects.filter(user=OuterRef(field), team_id__in=team_ids)))


def unusual_volume(team_ids: list[int] | None, begin, finish, start: datetime.date) -> list[VolumeFinding]:
    """People whose record openings are far above their team's median over the period."""
    memberships = TeamMembership.objects.filter(user__is_active=True).select_related("user", "team")
    if team_ids is not None:
        memberships = memberships.filter(team_id__in=team_ids)
    memberships = list(memberships)
    counts = dict(
        AccessEvent.objects.filter(
            action=AccessEvent.Action.VIEW,
            outcome=AccessEvent.Outcome.ALLOWED,
            at__gte=begin,
            at__lt=finish,
            actor_id__in={m.user_id for m in memberships},
        )
        .values("actor_id")
        .annotate(n=Count("id"))
        .values_list("actor_id", "n")
    )
    by_team: dict[int, list[TeamMembership]] = {}
    for membership in memberships:
        by_team.setdefault(membership.team_id, []).append(membership)
    findings = []
    for members in by_team.values():
        median = statistics.median(counts.get(m.user_id, 0) for m in members)
        threshold = max(VOLUME_FACTOR * median, VOLUME_MINIMUM - 1)
        for membership in members:
            openings = counts.get(membership.user_id, 0)
            if openings > threshold:
                findings.append(VolumeFinding(membership.user, membership.team, openings, median))
    if findings:
        reviews = {
            review.subject_id: review
            for review in AccessReview.objects.filter(
                subject_id__in={f.user.pk for f in findings}, period_start=start
            ).select_related("reviewed_by")
        }
        for finding in findings:
            finding.review = reviews.get(finding.user.pk)
    findings.sort(key=lambda f: (-f.openings, f.team.name))
    return findings


def _labelled(events) -> list[AccessEvent]:
    events = list(events)
    for event in events:
        event.reason_label = REASON_LABELS.get(event.reason_category, event.reason_category)
    return events


def access_review(user, *, start: datetime.date, end: datetime.date, team: Team | None = None) -> Review:
    team_ids = _scope_ids(user, team)
    begin, finish = _period_bounds(start, end)
    allowed_break_glass = _events(team_ids, begin, finish).filter(break_glass=True, outcome=AccessEvent.Outcome.ALLOWED)
    concurrent = (
        concurrent_logins_for(user)
        .filter(_staff_scope(team_ids), at__gte=begin, at__lt=finish)
        .select_related("user", "review__reviewed_by")
        .order_by("-at", "-id")
    )
    return Review(
        start=start,
        end=end,
        outside_caseload=_labelled(allowed_break_glass.filter(detail__contains=OUTSIDE_CASELOAD)[:ITEM_LIMIT]),
        closed_cases=_labelled(allowed_break_glass.filter(detail__contains=CLOSED_CASE)[:ITEM_LIMIT]),
        denied=_labelled(_events(team_ids, begin, finish).filter(outcome=AccessEvent.Outcome.DENIED)[:ITEM_LIMIT]),
        concurrent_logins=list(concurrent[:ITEM_LIMIT]),
        unusual_volume=unusual_volume(team_ids, begin, finish, start),
    )


def reviewable_event(user, event_id: int) -> AccessEvent | None:
    """An access event this person may mark reviewed (in their teams' scope), or None."""
    return AccessEvent.objects.filter(_event_scope(_scope_ids(user)), pk=event_id).select_related("client").first()


def reviewable_security_event(user, event_id: int) -> SecurityEvent | None:
    return concurrent_logins_for(user).filter(pk=event_id).first()


def reviewable_person(user, person_id: int):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(_staff_scope(_scope_ids(user), "pk"), pk=person_id).first()


def client_access_log(client) -> QuerySet[AccessEvent]:
    """Who accessed this client's record, newest first (for subject access requests).

    Includes the rows of every record merged into this one: audit rows are append-only and
    keep the id they were written under (clients.merge).
    """
    return (
        AccessEvent.objects.filter(client_id__in=record_ids(client))
        .select_related("actor", "client")
        .order_by("-at", "-id")
    )


# --- Idle caseload assignments ------------------------------------------------------------


def idle_assignments(assignments: QuerySet[Assignment], *, idle_since: datetime.datetime) -> QuerySet[Assignment]:
    """The open assignments among `assignments` that their caseworker has not used since `idle_since` (UTC).

    "Used" is the caseworker's newest *allowed* access to that client in the audit log
    (any action: opening the record, editing, sharing). An assignment started after
    `idle_since` is never idle. Each carries `last_used` (a UTC datetime, or None for never).
    One query: the newest access is a correlated LIMIT 1 that the partial index
    accessevent_client_actor_at (client, actor, at WHERE allowed) answers from the index,
    so the cost is the number of open assignments, not the size of the audit log.
    """
    last_used = (
        AccessEvent.objects.filter(
            client_id=OuterRef("client_id"), actor_id=OuterRef("caseworker_id"), outcome=AccessEvent.Outcome.ALLOWED
        )
        .order_by("-at")
        .values("at")[:1]
    )
    return (
        assignments.filter(ended_on__isnull=True, started_on__lte=idle_since.date())
        .annotate(last_used=Subquery(last_used))
        .filter(Q(last_used__isnull=True) | Q(last_used__lt=idle_since))
    )
