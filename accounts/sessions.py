"""The clock of a signed-in session: when it started, when it was last used.

Both times live in the session itself (as Unix timestamps), so checking them costs no
query. `expiry_reason` is shared by the middleware (is this request's session over?) and
by login (was the person's previous session still live, i.e. a concurrent login?).
"""

import hashlib
from datetime import datetime

from django.conf import settings

STARTED_AT = "security:started_at"
LAST_SEEN = "security:last_seen"
# Set at password login for someone who has a two-factor device, until they verify.
SECOND_FACTOR_PENDING = "security:2fa_pending"
# Set at sign-in for someone who owes a second factor (a device, or a role that needs one):
# the session is not yet the person's one live session, so it ends no other (decision 0005).
FIRST_FACTOR_ONLY = "security:first_factor_only"

# Activity is written back to the session at most this often, not on every request.
ACTIVITY_RESOLUTION_SECONDS = 60


class Ended:
    """Why a session ended; the login page explains each one."""

    IDLE = "idle"
    LIFETIME = "lifetime"
    ELSEWHERE = "elsewhere"
    EXPIRED = "expired"


def stamp(session, now: datetime) -> None:
    session[STARTED_AT] = session[LAST_SEEN] = now.timestamp()


def expiry_reason(session, now: datetime) -> str | None:
    """None while the session is live; otherwise Ended.IDLE or Ended.LIFETIME.

    A session without a clock (which no login path creates) counts as expired.
    """
    started, last_seen = session.get(STARTED_AT), session.get(LAST_SEEN)
    if not isinstance(started, int | float) or not isinstance(last_seen, int | float):
        return Ended.LIFETIME
    moment = now.timestamp()
    if moment - started >= settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
        return Ended.LIFETIME
    if moment - last_seen >= settings.SESSION_IDLE_TIMEOUT.total_seconds():
        return Ended.IDLE
    return None


def touch(session, now: datetime) -> None:
    """Record activity, writing the session only when the stored time is stale."""
    if now.timestamp() - session.get(LAST_SEEN, 0) >= ACTIVITY_RESOLUTION_SECONDS:
        session[LAST_SEEN] = now.timestamp()


def renew_idle(session, now: datetime) -> None:
    """Restart the idle timer ("stay signed in"). The absolute lifetime is never extended."""
    session[LAST_SEEN] = now.timestamp()


def seconds_left(session, now: datetime) -> tuple[float, float]:
    """(seconds until the idle timeout, seconds until the absolute lifetime ends), at least 0.

    The idle figure counts from the last recorded activity, which is written at most once
    a minute (ACTIVITY_RESOLUTION_SECONDS), so it errs on the early side.
    """
    started, last_seen = session.get(STARTED_AT, 0), session.get(LAST_SEEN, 0)
    moment = now.timestamp()
    idle = settings.SESSION_IDLE_TIMEOUT.total_seconds() - (moment - last_seen)
    lifetime = settings.SESSION_ABSOLUTE_LIFETIME.total_seconds() - (moment - started)
    return max(idle, 0.0), max(lifetime, 0.0)


def key_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()
