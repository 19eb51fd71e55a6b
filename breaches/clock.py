"""The 72-hour ICO clock.

The deadline is an absolute instant: became-aware time plus 72 hours, computed in UTC.
Adding hours to an aware datetime in its local zone would make a UK clock change move the
deadline by an hour, so everything here converts to UTC first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings

from deadlines.durations import format_duration

ICO_DEADLINE = timedelta(hours=72)

# The "clock started" alert: raised when a breach is reported, so the team's managers
# and the information security officer hear about every new breach at once.
CLOCK_STARTED_HOURS = 72


def deadline_for(became_aware_at: datetime) -> datetime:
    """The ICO deadline for a breach the organisation became aware of at `became_aware_at`."""
    if became_aware_at.tzinfo is None:
        raise ValueError("became_aware_at must be timezone-aware")
    return became_aware_at.astimezone(UTC) + ICO_DEADLINE


def alert_thresholds() -> list[int]:
    """Hours left at which an alert is raised, most distant first (72 = clock started, 0 = overdue)."""
    hours = {int(h) for h in settings.BREACH_ALERT_HOURS} | {CLOCK_STARTED_HOURS}
    if any(h < 0 or h > CLOCK_STARTED_HOURS for h in hours):
        raise ValueError(f"BREACH_ALERT_HOURS must be between 0 and 72, not {sorted(hours)}")
    return sorted(hours, reverse=True)


def alert_due_at(deadline_at: datetime, threshold_hours: int) -> datetime:
    return deadline_at - timedelta(hours=threshold_hours)


def threshold_label(threshold_hours: int) -> str:
    if threshold_hours == CLOCK_STARTED_HOURS:
        return "Reported"
    if threshold_hours == 0:
        return "Overdue"
    return f"{threshold_hours} h left"


def time_left(deadline_at: datetime, now: datetime) -> timedelta:
    return deadline_at - now


def describe_time_left(deadline_at: datetime, now: datetime) -> str:
    """e.g. "47 h 10 min left", "Overdue by 3 h 5 min" or, beyond 72 hours, "Overdue by 362 days 4 h"
    (whole minutes, rounded towards the deadline; deadlines.durations.format_duration)."""
    remaining = deadline_at - now
    amount = format_duration(remaining)
    return f"Overdue by {amount}" if remaining < timedelta(0) else f"{amount} left"
