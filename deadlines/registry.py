"""The clocks that apps register: what has a due time, when its clock runs, who is told what.

An app registers its clocks from its AppConfig.ready (e.g. breaches/deadlines.py), so this
low-level app never imports the apps above it. The sweep (services.deadlines_sweep) asks
every registered clock for its running objects and raises their thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import ExpressionWrapper, F, Q

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
class Schedule:
    """Where a clock keeps, on each of its objects' rows, what lets a sweep read only what is newly due.

    Bookkeeping columns on the app's model, written only by the sweep (and left out of
    the model's history: they are the sweep's cursor, not the record's content):

    - `seen_field`: the value of `due_field` the object's alerts were last worked out for
      (null: never). When it differs from `due_field` (a new object, a changed due time),
      the object is read by the next sweep.
    - `stale_field`: a stored generated column (`stale_column()`), true when `seen_field`
      (or a watched shadow) differs from the column it copies. It is what the partial
      index and the query test: PostgreSQL keeps statistics on a column, not on a
      comparison of two, so the planner knows that almost no row is stale.
    - `next_field`: when the object's next threshold falls due (UTC) under that due value;
      null when none is left. The object is read again only once that time has come.

    `armed` is the part of the clock's running condition that depends on the row alone
    (status, not withdrawn, a due date given); it bounds both partial indexes, so objects
    whose clock has stopped are never read. `watch` pairs (field, its shadow column) for
    other columns whose change can restart a clock that stopped with time (a consent's
    expiry date, for its review clock). `name` prefixes the two indexes' names.
    A row a sweep has not worked out is always read (null or differing columns), so a
    due time written by any path — a service, the admin, a factory — is never missed.
    """

    name: str
    due_field: str
    seen_field: str
    stale_field: str
    next_field: str
    armed: Q
    watch: tuple[tuple[str, str], ...] = ()

    def changed_q(self) -> Q:
        """Rows whose due value (or a watched column) differs from what their alerts were worked out for."""
        changed = ~Q(**{self.seen_field: F(self.due_field)})
        for field, shadow in self.watch:
            # IS DISTINCT FROM, written so Django, PostgreSQL and SQLite read it alike.
            changed |= ~Q(**{shadow: F(field)}) & ~(Q(**{f"{shadow}__isnull": True}) & Q(**{f"{field}__isnull": True}))
        return changed

    def stale_column(self) -> models.GeneratedField:
        """The `stale_field` column: declare it on the model as `<stale_field> = SCHEDULE.stale_column()`."""
        return models.GeneratedField(
            expression=ExpressionWrapper(self.changed_q(), output_field=models.BooleanField()),
            output_field=models.BooleanField(),
            db_persist=True,
        )

    def candidates_q(self, now: datetime) -> Q:
        """Rows a sweep at `now` must read: armed, and stale or with a threshold now due."""
        return self.armed & (Q(**{self.stale_field: True}) | Q(**{f"{self.next_field}__lte": now}))

    def indexes(self) -> list[models.Index]:
        """The two partial indexes the sweep's read uses: declare them in the model's Meta.indexes."""
        return [
            models.Index(
                fields=["id"], condition=self.armed & Q(**{self.stale_field: True}), name=f"{self.name}_changed"
            ),
            models.Index(
                fields=[self.next_field],
                condition=self.armed & Q(**{f"{self.next_field}__isnull": False}),
                name=f"{self.name}_next",
            ),
        ]

    def columns(self) -> list[str]:
        """The bookkeeping columns (for the model's HistoricalRecords(excluded_fields=...))."""
        return [self.seen_field, self.stale_field, self.next_field, *(shadow for _, shadow in self.watch)]

    def fields(self) -> list[str]:
        """The columns a sweep reads of each candidate: pk, the due value and the watched columns."""
        return ["pk", self.due_field, *(field for field, _ in self.watch)]


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
    - `model`, `schedule` and `due_at(value)` (the due time, aware UTC, of a value of
      `schedule.due_field`): where the sweep keeps its cursor (see Schedule). With them a
      steady sweep reads only the objects newly due or changed; without them (a clock
      over something other than rows) every sweep reads every running object.
    """

    name: str
    running: Callable[[datetime, list[int] | None], Iterable[tuple[int, datetime]]]
    thresholds: Callable[[], list[Threshold]]
    message: Callable[[Alert, list[Alert], datetime], Message | None]
    model: type[models.Model] | None = None
    schedule: Schedule | None = None
    due_at: Callable[[Any], datetime] | None = None


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
