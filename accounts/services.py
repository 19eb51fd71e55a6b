"""Writes for staff, roles, sessions and two-factor devices. Each records its SecurityEvent."""

import contextlib
import contextvars
import logging
from importlib import import_module

from axes.helpers import get_client_ip_address, get_client_user_agent
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, logout, update_session_auth_hash
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.models import HistoricalRecords

from . import backup_codes, selectors, sessions
from .models import (
    ROLE_GROUP_NAMES,
    ActiveSession,
    BackupCode,
    BackupCodeDevice,
    Role,
    SecurityEvent,
    TeamMembership,
    User,
)
from .notices import notice_queue

Kind = SecurityEvent.Kind
logger = logging.getLogger(__name__)

AUTHENTICATOR_NAME = "Authenticator app"


def request_ip(request) -> str | None:
    """The client address, found the same way the lockout finds it."""
    if request is None:
        return None
    return get_client_ip_address(request) or None


def request_user_agent(request) -> str:
    if request is None:
        return ""
    return get_client_user_agent(request)[:300]


def security_event_record(
    *,
    kind: str,
    user: User | None = None,
    username: str = "",
    request=None,
    actor: User | None = None,
    detail: str = "",
    **extra,
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user else ""))[:150],
        at=timezone.now(),
        ip_address=request_ip(request),
        user_agent=request_user_agent(request),
        actor=actor,
        detail=detail[:200],
        **extra,
    )


# --- Who is acting ----------------------------------------------------------------------
# Membership and account changes reach the services below through signal receivers too
# (an admin inline deleting a row, `user.teams.remove(team)`), which are not told who did
# it. The actor is then the one a service declared with `acting_as`, or else the person
# signed in on the current request (simple-history's request middleware keeps it).

_ACTOR: contextvars.ContextVar[User | None] = contextvars.ContextVar("accounts_actor", default=None)


@contextlib.contextmanager
def acting_as(actor: User | None):
    """Attribute the membership and account changes made inside the block to `actor`."""
    token = _ACTOR.set(actor)
    try:
        yield
    finally:
        _ACTOR.reset(token)


def current_actor() -> User | None:
    """The person making the current change: see `acting_as`; None for a script or task."""
    actor = _ACTOR.get()
    if actor is not None:
        return actor
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


# --- Staff and roles -----------------------------------------------------------------


@transaction.atomic
def staff_set_role(*, actor: User | None, user: User, role: str) -> User:
    """Give `user` the role, its group (and only that role group), and is_staff for admins."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    locked = User.objects.select_for_update().get(pk=user.pk)
    previous = locked.role
    user.role = role
    user.is_staff = role == Role.ADMIN or user.is_superuser
    with acting_as(actor):
        # clients.receivers ends a caseload the new role does not hold, in this transaction.
        user.save(update_fields=["role", "is_staff"])
    role_groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
    user.groups.remove(*role_groups.exclude(name=ROLE_GROUP_NAMES[role]))
    group, _ = Group.objects.get_or_create(name=ROLE_GROUP_NAMES[role])
    user.groups.add(group)
    if previous != role:
        security_event_record(
            kind=Kind.ROLE_CHANGED,
            user=user,
            actor=actor,
            detail=f"{Role(previous).label} → {Role(role).label}",
        )
    return user


# --- Leaving a team, leaving the organisation ------------------------------------------------
# Access that came from a job ends with it. These services, and the receivers in
# accounts.signals that catch the same changes made any other way, record what happened
# here; clients.receivers ends the caseload assignments in the same transaction.


@transaction.atomic
def membership_end(*, actor: User | None, membership: TeamMembership) -> None:
    """Take a person out of a team. Their caseload in that team ends with it (clients.receivers)."""
    with acting_as(actor):
        membership.delete()


def membership_left_record(*, membership: TeamMembership) -> SecurityEvent:
    """Record that `membership` ended (called after its row is deleted, whatever deleted it)."""
    return security_event_record(
        kind=Kind.TEAM_LEFT,
        user=membership.user,
        actor=current_actor(),
        team_id=membership.team_id,
        detail=str(membership.team),
    )


@transaction.atomic
def staff_deactivate(*, actor: User | None, user: User) -> User:
    """Deactivate an account: every session ends, and so does the caseload (clients.receivers).

    Returns the user. Idempotent: deactivating an inactive account records nothing new.
    """
    with acting_as(actor):
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            user.is_active = False
            user.save(update_fields=["is_active"])
        else:
            staff_active_sync(user=user)
    return user


def sessions_end_all(*, user: User) -> int:
    """End every session the person has (the one live session and any in the store). Returns how many."""
    ended = 0
    for active in ActiveSession.objects.filter(user=user):
        _session_store(active.session_key).delete()
        active.delete()
        ended += 1
    return ended


def staff_active_sync(*, user: User) -> None:
    """Bring sessions and the record in line with `user.is_active`, after any save of the person.

    An inactive person has no session; the change is recorded once (DEACTIVATED, or
    REACTIVATED when the account is turned back on), judged from the newest such event,
    so saving the same state again records nothing.
    """
    if user.pk is None:
        return
    last = (
        SecurityEvent.objects.filter(user=user, kind__in=[Kind.DEACTIVATED, Kind.REACTIVATED])
        .order_by("-at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )
    if not user.is_active:
        ended = sessions_end_all(user=user)
        if last != Kind.DEACTIVATED:
            security_event_record(
                kind=Kind.DEACTIVATED,
                user=user,
                actor=current_actor(),
                detail=f"{ended} session(s) ended" if ended else "",
            )
    elif last == Kind.DEACTIVATED:
        security_event_record(kind=Kind.REACTIVATED, user=user, actor=current_actor())


@transaction.atomic
def staff_unlock(*, actor: User, user: User) -> int:
    """Clear every sign-in lockout of this username, from any address. Returns how many."""
    cleared = axes_reset(username=user.get_username())
    if cleared:
        security_event_record(
            kind=Kind.UNLOCKED, user=user, actor=actor, detail=f"{cleared} failed-login record(s) cleared"
        )
    return cleared


# --- Logging in and out ------------------------------------------------------------------


def _session_store(session_key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def first_factor_passed(*, actor: User, request) -> ActiveSession | None:
    """The password (or single sign-on) was right: start the person's one live session, or wait.

    Someone who owes a second factor (a confirmed authenticator, or a role that must enrol
    one) gets a session that is not yet their live session: it is stamped (idle and
    lifetime apply) and marked `sessions.FIRST_FACTOR_ONLY`, and it ends no other session.
    Otherwise a password alone would sign a verified manager out (decision 0005). The
    live session starts in `second_factor_passed`. Returns the ActiveSession when it
    started now, None when it waits for the second factor.
    """

    if actor.requires_2fa or selectors.has_confirmed_device(actor):
        if not request.session.session_key:
            request.session.save()
        sessions.stamp(request.session, timezone.now())
        request.session[sessions.FIRST_FACTOR_ONLY] = True
        return None
    return active_session_start(actor=actor, request=request)


def second_factor_passed(*, actor: User, request, device) -> None:
    """The second factor was right (`device`, an django-otp device): the session is verified.

    A session that waited for it (`first_factor_passed`) becomes the person's one live
    session now, ending any older one as a concurrent login (decision 0005).
    """
    otp_login(request, device)
    request.session.pop(sessions.SECOND_FACTOR_PENDING, None)
    if request.session.pop(sessions.FIRST_FACTOR_ONLY, None):
        active_session_start(actor=actor, request=request)


@transaction.atomic
def active_session_start(*, actor: User, request) -> ActiveSession:
    """Make this request's session the person's one live session.

    A still-live older session is ended (deleted from the session store) and recorded as
    a concurrent login with both sessions' details; an older session that had already
    expired, or was replaced in this same browser, is simply forgotten.
    """
    now = timezone.now()
    if not request.session.session_key:
        request.session.save()
    session_key = request.session.session_key
    sessions.stamp(request.session, now)
    # Lock the person's row: two logins at once must not both keep their sessions.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    previous = ActiveSession.objects.filter(user=actor).first()
    if previous is not None and previous.session_key != session_key:
        old = _session_store(previous.session_key)
        # Live = still signed in as this person, not timed out, and not invalidated by a
        # password change since (Django would refuse it on its next request anyway).
        still_live = (
            old.get(SESSION_KEY) == str(actor.pk)
            and constant_time_compare(old.get(HASH_SESSION_KEY, ""), actor.get_session_auth_hash())
            and sessions.expiry_reason(old, now) is None
        )
        if still_live:
            security_event_record(
                kind=Kind.CONCURRENT_LOGIN,
                user=actor,
                request=request,
                other_ip_address=previous.ip_address,
                other_user_agent=previous.user_agent,
                other_started_at=previous.started_at,
                ended_session_hash=sessions.key_hash(previous.session_key),
            )
        old.delete()
    active, _ = ActiveSession.objects.update_or_create(
        user=actor,
        defaults={
            "session_key": session_key,
            "started_at": now,
            "ip_address": request_ip(request),
            "user_agent": request_user_agent(request),
        },
    )
    # How they signed in, when it was not a password (e.g. "single sign-on").
    security_event_record(kind=Kind.LOGIN, user=actor, request=request, detail=getattr(request, "sign_in_detail", ""))
    return active


def active_session_rekey(*, actor: User, old_key: str, new_key: str) -> None:
    """Follow a session whose key was rotated (e.g. after a password change)."""
    ActiveSession.objects.filter(user=actor, session_key=old_key).update(session_key=new_key)


@transaction.atomic
def staff_change_password(*, actor: User, password: str, request) -> None:
    """The person changes their own password and stays signed in here."""
    actor.set_password(password)
    actor.save(update_fields=["password"])
    old_key = request.session.session_key
    update_session_auth_hash(request, actor)  # rotates the session key
    active_session_rekey(actor=actor, old_key=old_key, new_key=request.session.session_key)
    security_event_record(kind=Kind.PASSWORD_CHANGED, user=actor, request=request)


@transaction.atomic
def password_reset_record(*, user: User, request) -> None:
    """After a reset by e-mail link: any session of the old password is over."""
    previous = ActiveSession.objects.filter(user=user).first()
    if previous is not None:
        _session_store(previous.session_key).delete()
        previous.delete()
    security_event_record(kind=Kind.PASSWORD_RESET, user=user, request=request)


def session_end(*, request, kind: str = Kind.LOGOUT) -> None:
    """Sign the person out of this browser: a logout, or a session that expired."""
    user = request.user
    with transaction.atomic():
        ActiveSession.objects.filter(user=user, session_key=request.session.session_key).delete()
        security_event_record(kind=kind, user=user, request=request)
    logout(request)


def login_failed_record(*, username: str, request) -> SecurityEvent:
    user = User.objects.filter(username=username).first() if username else None
    return security_event_record(kind=Kind.LOGIN_FAILED, user=user, username=username, request=request)


def lockout_record(*, username: str, request) -> SecurityEvent | None:
    """Record a lockout once, when it starts; further tries while locked are failed logins."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures > settings.AXES_FAILURE_LIMIT:
        return None
    user = User.objects.filter(username=username).first() if username else None
    return security_event_record(kind=Kind.LOCKED_OUT, user=user, username=username, request=request)


# --- Two-factor authentication --------------------------------------------------------


def totp_device_start(*, actor: User) -> TOTPDevice:
    """The unconfirmed device being enrolled; the same one until it is confirmed."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def totp_device_confirm(*, actor: User, device: TOTPDevice, token: str, request) -> tuple[bool, object]:
    """Confirm enrolment with a code from the app. On success the session is verified.

    Returns (confirmed, locked_until), as `two_factor_verify` does.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=actor, confirmed=False)
        allowed, why = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # One authenticator at a time: an older one stops working once the new one is confirmed.
            TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
            second_factor_passed(actor=actor, request=request, device=device)
            security_event_record(kind=Kind.TWO_FACTOR_ENROLLED, user=actor, request=request)
            return True, None
    security_event_record(kind=Kind.TWO_FACTOR_FAILED, user=actor, request=request, detail="enrolment")
    return False, (why or {}).get("locked_until")


def two_factor_verify(*, actor: User, token: str, request) -> tuple[bool, object]:
    """Check a code against the person's confirmed device.

    Returns (verified, locked_until): `locked_until` is set when too many wrong codes
    mean the device refuses to check for a while.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=True).first()
        if device is None:
            return False, None
        allowed, why = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            second_factor_passed(actor=actor, request=request, device=device)
            return True, None
    # Recorded outside the device transaction so the throttle count it saved stays saved.
    security_event_record(kind=Kind.TWO_FACTOR_FAILED, user=actor, request=request)
    return False, (why or {}).get("locked_until")


@transaction.atomic
def totp_device_remove(*, actor: User, user: User, request=None) -> int:
    """Turn two-factor off for `user`: their own choice, or (actor not the user) an admin's reset.

    Returns how many devices were removed. A reset by someone else is `two_factor_reset`.
    """
    if actor != user:
        return two_factor_reset(actor=actor, user=user, request=request)
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    security_event_record(kind=Kind.TWO_FACTOR_REMOVED, user=user, request=request)
    return count


@transaction.atomic
def two_factor_reset(*, actor: User, user: User, request=None) -> int:
    """An admin removes every second-factor device of `user` (a lost or replaced phone).

    Records a TWO_FACTOR_RESET security event for the person, with the admin as actor
    (their managers and the information security officer see it on the security events
    page), and e-mails the person after the commit: an admin who could also set the
    password could otherwise act as them with both factors, unseen. Returns how many
    devices were removed (0 still records and tells the person: the reset was asked for).
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    count, _ = TOTPDevice.objects.filter(user=locked).delete()
    BackupCodeDevice.objects.filter(user=locked).delete()
    security_event_record(kind=Kind.TWO_FACTOR_RESET, user=locked, actor=actor, request=request)
    security_notice_send(
        user=locked,
        subject="Your two-factor authentication was reset",
        what="Your two-factor authentication (the authenticator app you sign in with) was reset by an admin. "
        "You will be asked to set up an authenticator again at your next sign-in.",
        actor=actor,
    )
    return count


@transaction.atomic
def backup_codes_generate(*, actor: User, request=None) -> list[str]:
    """Give `actor` a new set of backup codes, replacing any earlier set; return them.

    Returns OTP_BACKUP_CODE_COUNT codes formatted `xxxx-xxxx-xxxx`: the only time they
    exist in plain text (only digests are stored). Show them once, never store them.
    Raises ValidationError if the person has no confirmed authenticator: backup codes
    stand in for the phone, they are not a second factor of their own.
    """
    if not TOTPDevice.objects.filter(user=actor, confirmed=True).exists():
        raise ValidationError("Set up an authenticator app before making backup codes.")
    User.objects.select_for_update().filter(pk=actor.pk).first()
    BackupCodeDevice.objects.filter(user=actor).delete()
    device = BackupCodeDevice.objects.create(user=actor, name="Backup codes", confirmed=True)
    codes = backup_codes.generate(settings.OTP_BACKUP_CODE_COUNT)
    BackupCode.objects.bulk_create(BackupCode(device=device, digest=backup_codes.digest(code)) for code in codes)
    security_event_record(kind=Kind.BACKUP_CODES_GENERATED, user=actor, request=request, detail=f"{len(codes)} codes")
    return codes


def backup_code_verify(*, actor: User, code: str, request) -> tuple[bool, object, int]:
    """Sign in the second factor with one of `actor`'s backup codes, using it up.

    Returns (verified, locked_until, remaining): `locked_until` is set while too many
    wrong codes make the set refuse to check; `remaining` is how many unused codes are
    left. A used code is a BACKUP_CODE_USED security event; a wrong one TWO_FACTOR_FAILED.
    """
    with transaction.atomic():
        device = BackupCodeDevice.objects.select_for_update().filter(user=actor, confirmed=True).first()
        if device is None:
            verified, why = False, None
        else:
            allowed, why = device.verify_is_allowed()
            verified = allowed and device.verify_token(code)
        if verified:
            remaining = device.codes.count()
            second_factor_passed(actor=actor, request=request, device=device)
            security_event_record(
                kind=Kind.BACKUP_CODE_USED, user=actor, request=request, detail=f"{remaining} codes left"
            )
            return True, None, remaining
    # Outside the device transaction, so the throttle count it saved stays saved.
    security_event_record(kind=Kind.TWO_FACTOR_FAILED, user=actor, request=request, detail="backup code")
    return False, (why or {}).get("locked_until"), 0


@transaction.atomic
def staff_password_set_record(*, actor: User, user: User, request=None) -> SecurityEvent:
    """Record that an admin set `user`'s password in the admin site, and e-mail the person.

    The password itself is set by Django's admin form (`UserAdmin.user_change_password`);
    call this in the same transaction. The person's sessions end on their next request
    (Django checks the password hash in the session).
    """
    event = security_event_record(kind=Kind.PASSWORD_SET_BY_ADMIN, user=user, actor=actor, request=request)
    security_notice_send(
        user=user,
        subject="Your password was changed by an admin",
        what="The password of your account was set by an admin.",
        actor=actor,
    )
    return event


def security_notice_send(*, user: User, subject: str, what: str, actor: User | None) -> None:
    """E-mail `user` that something was done to their account, through the outbox.

    Queued in the caller's transaction (accounts.notices): nothing is sent if the person
    has no e-mail address or the transaction rolls back; after commit it is sent at most
    once, and a refused or unknown outcome is shown to the information security officer.
    """
    if not user.email:
        return
    body = render_to_string(
        "accounts/security_notice_email.txt",
        {
            "user": user,
            "what": what,
            "actor": actor,
            "at": timezone.localtime(),
            "organisation": settings.ORGANISATION_NAME,
        },
    )
    notice_queue(subject=f"{settings.ORGANISATION_NAME}: {subject}", body=body, recipients=[user.email])
