"""Reads for staff security: who may see which security events, lockouts, devices."""

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import BackupCode, BackupCodeDevice, Role, SecurityEvent, Team, TeamMembership, User


def concurrent_logins_for(user) -> QuerySet[SecurityEvent]:
    """Concurrent-login events `user` may review, newest first.

    A service manager sees those of staff in their own teams; the information security
    officer sees all; anyone else sees none.
    """
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.CONCURRENT_LOGIN).select_related("user")
    if user.role == Role.INFORMATION_SECURITY_OFFICER:
        return events.order_by("-at", "-pk")
    if user.role == Role.SERVICE_MANAGER:
        shares_a_team = TeamMembership.objects.filter(user_id=OuterRef("user_id"), team__memberships__user=user)
        return events.filter(Exists(shares_a_team)).order_by("-at", "-pk")
    return events.none()


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
    if not BackupCodeDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    return BackupCode.objects.filter(device__user=user).count()
