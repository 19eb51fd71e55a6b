"""Reads for staff security: who may see which security events, lockouts, devices."""

import functools

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ActiveSession, BackupCodeDevice, Role, SecurityEvent, Team, TeamMembership, User

Kind = SecurityEvent.Kind

# What a manager or the information security officer reviews: signs that an account is
# shared, attacked or taken over, and every change to how someone signs in. Routine
# sign-ins, sign-outs and expired sessions are left out (they are in admin).
REVIEWED_KINDS = (
    Kind.CONCURRENT_LOGIN,
    Kind.LOGIN_FAILED,
    Kind.LOCKED_OUT,
    Kind.UNLOCKED,
    Kind.TWO_FACTOR_FAILED,
    Kind.TWO_FACTOR_ENROLLED,
    Kind.TWO_FACTOR_REMOVED,
    Kind.TWO_FACTOR_RESET,
    Kind.BACKUP_CODES_GENERATED,
    Kind.BACKUP_CODE_USED,
    Kind.PASSWORD_CHANGED,
    Kind.PASSWORD_RESET,
    Kind.PASSWORD_SET_BY_ADMIN,
    Kind.ROLE_CHANGED,
)


def _reviewable(user, events: QuerySet[SecurityEvent]) -> QuerySet[SecurityEvent]:
    """`events` narrowed to those `user` may review, newest first.

    A service manager sees the events of staff in their own teams; the information
    security officer sees all, including failed sign-ins under usernames that match no
    account; anyone else sees none.
    """
    if user.role == Role.INFORMATION_SECURITY_OFFICER:
        return events.order_by("-at", "-pk")
    if user.role == Role.SERVICE_MANAGER:
        shares_a_team = TeamMembership.objects.filter(user_id=OuterRef("user_id"), team__memberships__user=user)
        return events.filter(Exists(shares_a_team)).order_by("-at", "-pk")
    return events.none()


def concurrent_logins_for(user) -> QuerySet[SecurityEvent]:
    """Concurrent-login events `user` may review, newest first (see `_reviewable` for who sees what)."""
    return _reviewable(user, SecurityEvent.objects.filter(kind=Kind.CONCURRENT_LOGIN).select_related("user"))


def security_events_for(user, *, kind: str = "") -> QuerySet[SecurityEvent]:
    """The security events `user` may review, newest first, with person and actor loaded.

    Takes an optional `kind` (one of REVIEWED_KINDS; anything else means all of them).
    A service manager sees their teams' staff, the information security officer everyone.
    """
    kinds = [kind] if kind in REVIEWED_KINDS else list(REVIEWED_KINDS)
    events = SecurityEvent.objects.filter(kind__in=kinds).select_related("user", "actor")
    return _reviewable(user, events)


STAFF_CHANGE_KINDS = (
    SecurityEvent.Kind.TEAM_LEFT,
    SecurityEvent.Kind.DEACTIVATED,
    SecurityEvent.Kind.REACTIVATED,
    SecurityEvent.Kind.ROLE_CHANGED,
    SecurityEvent.Kind.CASELOAD_ENDED,
)


def managed_teams(user) -> QuerySet[Team]:
    """The teams a service manager manages (their memberships); none for anyone else."""
    if user.role != Role.SERVICE_MANAGER or not user.is_active:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user)


def staff_changes_for(user, *, team_ids: list[int]) -> QuerySet[SecurityEvent]:
    """People leaving these teams, deactivated, changing role, or losing their caseload there.

    An event about a team (leaving it, its caseload ending) is seen by that team's managers
    even when the person is no longer a member; the others by the managers of the teams the
    person is in. Newest first.
    """
    member = TeamMembership.objects.filter(user_id=OuterRef("user_id"), team_id__in=team_ids)
    return (
        SecurityEvent.objects.filter(kind__in=STAFF_CHANGE_KINDS)
        .filter(Q(team_id__in=team_ids) | (Q(team__isnull=True) & Q(Exists(member))))
        .select_related("user", "actor", "team")
        .order_by("-at", "-pk")
    )


def can_review_security_events(user) -> bool:
    return user.role in {Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER}


def confirmed_device_for(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def locked_out_usernames() -> QuerySet:
    """Usernames with enough recent failures, from one address, to be locked out there."""
    return (
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - get_cool_off())
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values("username")
    )


def staff_with_lockout_flag(queryset: QuerySet[User]) -> QuerySet[User]:
    """Annotate `is_locked_out` with one subquery, for admin lists."""
    return queryset.annotate(is_locked_out=Exists(locked_out_usernames().filter(username=OuterRef("username"))))


def backup_codes_remaining(user) -> int | None:
    """How many unused backup codes `user` has, or None if they never made a set."""
    devices = BackupCodeDevice.objects.filter(user=user, confirmed=True).annotate(remaining=Count("codes"))
    return devices.values_list("remaining", flat=True).first()


@functools.cache
def _active_session_sql(vendor: str) -> str:
    # Identifiers from model metadata only; `vendor` keys the cache.
    qn, meta = connection.ops.quote_name, ActiveSession._meta
    return (
        f"SELECT {qn(meta.get_field('session_key').column)} FROM {qn(meta.db_table)} "  # noqa: S608 (identifiers from model metadata)
        f"WHERE {qn(meta.get_field('user').column)} = %s"
    )


def active_session_key(user_id: int) -> str | None:
    """The session key of the person's one live session (ActiveSession), or None.

    Read on every signed-in request (accounts.middleware), so as a statement written once
    per process: building the ORM query cost more CPU than running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_active_session_sql(connection.vendor), [user_id])
        row = cursor.fetchone()
    return row[0] if row else None
