"""How long until (or since) a due time, in words a person reads at a glance."""

from __future__ import annotations

from datetime import timedelta

# Up to this many hours a duration is told in hours and minutes (the 72-hour ICO clock
# reads "71 h 5 min left"); beyond it, in days and hours ("362 days 4 h"), since
# "8692 h" means nothing to anyone.
HOURS_BEFORE_DAYS = 72


def format_duration(delta: timedelta) -> str:
    """A non-negative duration in whole minutes, rounded down: "59 min", "47 h 10 min", "362 days 4 h".

    Takes the absolute value of `delta` (callers say "left" or "overdue by" themselves).
    """
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours > HOURS_BEFORE_DAYS:
        days, hours = divmod(hours, 24)
        return f"{days} days {hours} h" if hours else f"{days} days"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
