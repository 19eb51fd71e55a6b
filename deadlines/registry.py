"""The clocks that apps register: what has a due time, when its clock runs, who is told what.

An app registers its clocks from its AppConfig.ready (e.g. breaches/deadlines.py), so this
low-level app never imports the apps above it. The sweep (services.deadlines_sweep) asks
every registered clock for its running objects and raises their thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Alert


@dataclass(frozen=True)
class Threshold:
    """A point before the due time at which people are told.

    `key` names it in the alert rows (stable across settings changes: "48h", "overdue",
    "30d"); `lead` is how long before the due time it falls due (zero: at the due time).
    """

    key: str
    lead: timedelta
    label: str


@dataclass(frozen=True)
class Message:
    """One e-mail: subject, plain-text body and the addresses it goes to."""

    subject: str
    body: str
    recipients: list[str]


@dataclass(frozen=True)
class Clock:
    """What one kind of deadline needs from its app.

    - `running(horizon, ids)`: (object id, due time as an aware UTC datetime) of every
      object whose clock runs now and whose due time is at or before `horizon` (UTC),
      limited to `ids` unless it is None. The due time must be absolute, so a clock
      change never moves it. Called by every sweep, so it should be one indexed query.
    - `thresholds()`: the thresholds in force, read at each sweep (settings may change).
    - `message(alert, covered, now)`: the e-mail for `alert` (covering the earlier
      thresholds `covered` raised with it), rendered when it is sent; None when the
      alert no longer concerns anyone (the clock stopped, the due time moved) so nothing
      is sent.
    """

    name: str
    running: Callable[[datetime, list[int] | None], Iterable[tuple[int, datetime]]]
    thresholds: Callable[[], list[Threshold]]
    message: Callable[[Alert, list[Alert], datetime], Message | None]


_clocks: dict[str, Clock] = {}


def register(clock: Clock) -> Clock:
    """Register (or, on a repeated ready(), replace) a clock. Returns it."""
    _clocks[clock.name] = clock
    return clock


def get(name: str) -> Clock:
    """The clock registered under `name`. Raises KeyError for an unknown name."""
    return _clocks[name]


def clocks() -> list[Clock]:
    return list(_clocks.values())


@dataclass(frozen=True)
class Chore:
    """State-based upkeep an app hands the sweep, run once per sweep after the clocks.

    `run(now)` works from the database alone (so a missed or repeated run does no harm),
    inside the sweep's transaction (its own savepoint: a failing chore is logged and
    rolled back without stopping the alerts), enqueues anything with
    `transaction.on_commit`, and returns how many objects it acted on (for the task log).
    """

    name: str
    run: Callable[[datetime], int]


_chores: dict[str, Chore] = {}


def register_chore(chore: Chore) -> Chore:
    """Register (or, on a repeated ready(), replace) a chore. Returns it."""
    _chores[chore.name] = chore
    return chore


def chores() -> list[Chore]:
    return list(_chores.values())
