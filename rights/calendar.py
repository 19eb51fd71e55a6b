"""The calendar-month rule for the time limits of data-protection rights.

UK GDPR Art 12(3): a controller answers a request "without undue delay and in any event
within one month of receipt", extendable "by two further months where necessary, taking
into account the complexity and number of the requests". The ICO's guidance ("Time limits
for responding to data protection rights requests") counts a month as a calendar month:
from the day of receipt to the corresponding calendar date in the next month; when the
next month has no such date (31 January, 31 March...), to that month's last day. The same
rule gives each further month of an extension.
"""

from __future__ import annotations

import calendar
import datetime as dt

MAX_EXTENSION_MONTHS = 2


def add_calendar_months(start: dt.date, months: int) -> dt.date:
    """The corresponding date `months` calendar months after `start`, or that month's last day.

    Takes a date and a number of months (0 or more); returns a date. 31 Jan + 1 is 28 Feb
    (29 Feb in a leap year); 31 Mar + 1 is 30 Apr; 15 Dec + 1 is 15 Jan of the next year.
    Raises ValueError for a negative number of months.
    """
    if months < 0:
        raise ValueError("months must be 0 or more")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def response_due(received_on: dt.date, *, extension_months: int = 0) -> dt.date:
    """The last day to respond to a request received on `received_on` (UK GDPR Art 12(3)).

    One calendar month from receipt; each month of an extension (0, 1 or 2, for a complex
    request) is added as a further calendar month to the date before it. Counting each
    month on from the last (31 Jan -> 28 Feb -> 28 Apr) rather than three months from
    receipt (30 Apr) is the earlier of the two readings, so it never lets a request run late.
    Raises ValueError for an extension outside 0..2.
    """
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_MONTHS} further months")
    due = add_calendar_months(received_on, 1)
    for _ in range(extension_months):
        due = add_calendar_months(due, 1)
    return due


def days_left(due_on: dt.date, today: dt.date) -> int:
    """Whole days from `today` to `due_on` (both local dates): 0 on the last day, negative when late."""
    return (due_on - today).days


# The earliest date a request in the rights register can have been received: the GDPR's
# rights as they stand (now UK GDPR) apply from 25 May 2018.
GDPR_IN_FORCE = dt.date(2018, 5, 25)


def received_on_problem(received_on: dt.date | None, *, today: dt.date, right: str) -> str | None:
    """What is wrong with a request's local date of receipt, or None.

    Takes the date (None when not given), today's local date and the right's name as the
    message says it ("Subject access", "The right to erasure"). A date in the future or
    before GDPR_IN_FORCE is a typing slip to check (UK GDPR Arts 15–17 apply from then).
    """
    if received_on is None:
        return "Enter the date the request was received."
    if received_on > today:
        return "The date received cannot be in the future."
    if received_on < GDPR_IN_FORCE:
        return f"{right} as it stands dates from {GDPR_IN_FORCE:%d %B %Y} (GDPR, then UK GDPR): check the date."
    return None
