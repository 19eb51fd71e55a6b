"""Reads for client pages. Which clients a person may see is decided by access.gate:
these functions shape querysets the gate has already filtered, or read inside one client
the gate has already opened.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.utils import timezone

from .categories import CATEGORIES, REGISTRY, Category
from .models import Alert, Assignment, CaseNote, Client, ClientMove, InformationEntry, TimelineEvent

CASELOAD_SORTS = {
    "name": ("last_name", "first_name", "pk"),
    "-name": ("-last_name", "-first_name", "-pk"),
    "reference": ("reference",),
    "-reference": ("-reference",),
    "opened": ("opened_on", "pk"),
    "-opened": ("-opened_on", "-pk"),
}

SEARCH_LIMIT = 25


def _open_key_workers() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(ended_on__isnull=True, is_key_worker=True).select_related("caseworker"),
        to_attr="key_worker_assignments",
    )


def _staff_safety_first(alerts) -> list[Alert]:
    return sorted(alerts, key=lambda alert: (not alert.is_staff_safety, -alert.raised_at.timestamp(), -alert.pk))


def _active_alerts() -> Prefetch:
    return Prefetch(
        "alerts",
        queryset=Alert.objects.filter(ended_at__isnull=True).only("id", "client_id", "kind", "raised_at"),
        to_attr="active_alert_rows",
    )


def alert_flags(client: Client) -> list[Alert]:
    """One active alert per kind for a client fetched with `_active_alerts` (caseload, search),
    staff safety first; [] when none were fetched."""
    seen, flags = set(), []
    for alert in _staff_safety_first(getattr(client, "active_alert_rows", None) or []):
        if alert.kind not in seen:
            seen.add(alert.kind)
            flags.append(alert)
    return flags


def active_alerts(client: Client) -> list[Alert]:
    """The client's active alerts with who raised them, staff-safety alerts first. One query."""
    return _staff_safety_first(Alert.objects.filter(client=client, ended_at__isnull=True).select_related("raised_by"))


def attach_visible_alerts(clients: list[Client], visible: QuerySet[Client]) -> None:
    """Attach active alerts (as `active_alert_rows`) to those of `clients` that `visible` admits.

    For search results, which span every team: an alert shows only to people allowed to
    see the record without a reason (`visible` = access.gate.clients_visible_to). Two queries.
    """
    ids = [client.pk for client in clients]
    allowed = set(visible.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    rows: dict[int, list[Alert]] = {}
    if allowed:
        for alert in Alert.objects.filter(client_id__in=allowed, ended_at__isnull=True).only(
            "id", "client_id", "kind", "raised_at"
        ):
            rows.setdefault(alert.client_id, []).append(alert)
    for client in clients:
        client.active_alert_rows = rows.get(client.pk, [])


def key_worker(client: Client):
    """The key worker of a client fetched with `_open_key_workers`, or None."""
    assignments = getattr(client, "key_worker_assignments", None) or []
    return assignments[0].caseworker if assignments else None


def _name_filter(query: str) -> Q:
    condition = Q()
    for term in query.split():
        condition &= Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(preferred_name__icontains=term)
    return condition


def caseload(visible: QuerySet[Client], *, query: str = "", sort: str = "name") -> QuerySet[Client]:
    """A person's caseload (`visible` = access.gate.clients_visible_to), searched and sorted."""
    clients = visible.select_related("team").prefetch_related(_open_key_workers(), _active_alerts())
    query = query.strip()
    if query:
        clients = clients.filter(_name_filter(query) | Q(reference__iexact=query))
    return clients.order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["name"]))


@dataclass(frozen=True)
class KeyWorker:
    """The key worker's name as a caseload row shows it (what `str(User)` gives)."""

    first_name: str
    last_name: str
    username: str

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


@dataclass(frozen=True)
class AlertFlag:
    """One kind of active alert on a caseload row, as `_alert_flags.html` shows it."""

    kind: str

    @property
    def is_staff_safety(self) -> bool:
        return self.kind in Alert.STAFF_SAFETY

    def get_kind_display(self) -> str:
        return Alert.Kind(self.kind).label


def _latest_active_alert(kind: str) -> Subquery:
    return Subquery(
        Alert.objects.filter(client=OuterRef("pk"), ended_at__isnull=True, kind=kind)
        .order_by()
        .values("client")
        .annotate(latest=Max("raised_at"))
        .values("latest")
    )


def _key_worker_column(name: str) -> Subquery:
    return Subquery(
        Assignment.objects.filter(client=OuterRef("pk"), ended_on__isnull=True, is_key_worker=True)
        .order_by("pk")
        .values(f"caseworker__{name}")[:1]
    )


# Compiled caseload statements (SQL and parameters), by the caller's key: see `caseload_page`.
_STATEMENTS: dict[tuple, tuple[str, tuple]] = {}
_STATEMENTS_KEPT = 2048


def _rows(rows: Callable[[], QuerySet[Client]], key: tuple | None) -> list[Client]:
    """`list(rows())`; on PostgreSQL with a `key`, the statement built and compiled once per
    key and process.

    Building and compiling this query (a window, eight subqueries) cost the ORM three times
    what running and rendering it did (BENCHMARKS.md). Only the statement is kept, never an
    answer: the rows are read afresh every time.
    """
    if key is None or connection.vendor != "postgresql":
        return list(rows())
    key = (connection.alias, *key)
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= _STATEMENTS_KEPT:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = rows().query.sql_with_params()
    return list(Client.objects.raw(*statement))


def caseload_page(
    visible: QuerySet[Client],
    *,
    query: str = "",
    sort: str = "name",
    page: object = 1,
    per_page: int = 25,
    statement_key: tuple | None = None,
) -> Page:
    """One page of a person's caseload (`visible` = access.gate.clients_visible_to), searched
    and sorted, as `Paginator.get_page` gives it (a number out of range gives the last page).

    Each client carries `team_name`, `key_worker` (a KeyWorker, or None) and `flags` (an
    AlertFlag per kind of active alert, staff safety first, then the most recently raised).
    One query: the total comes with the rows (`COUNT(*) OVER ()`), the key worker and the
    alerts as subqueries of the page's rows. A second only for a page past the end. Counting
    separately made PostgreSQL find a 5,000-client team's open cases twice (BENCHMARKS.md).

    `statement_key` (hashable), when given, names `visible`'s SQL and parameters — e.g.
    ("caseload", the person's id) for clients_visible_to — so that the statement is
    compiled once per process (`_rows`); the same key must always mean the same `visible`.
    """

    def listed() -> QuerySet[Client]:
        return caseload(visible, query=query, sort=sort).prefetch_related(None).select_related(None)

    def rows() -> QuerySet[Client]:
        return listed().annotate(
            team_name=F("team__name"),
            caseload_total=Window(Count("*")),
            **{f"kw_{name}": _key_worker_column(name) for name in ("first_name", "last_name", "username")},
            **{f"alert_{kind}": _latest_active_alert(kind) for kind in Alert.Kind.values},
        )

    try:
        number = max(int(page), 1)
    except (TypeError, ValueError):
        number = 1

    def page_rows(number: int) -> list[Client]:
        start = (number - 1) * per_page
        key = None if statement_key is None else (*statement_key, query, sort, start, per_page)
        return _rows(lambda: rows()[start : start + per_page], key)

    found = page_rows(number)
    if found:
        total = found[0].caseload_total
    else:
        total = listed().count() if number > 1 else 0
        last = max(-(-total // per_page), 1)
        if number > last:
            number = last
            found = page_rows(number)
    for client in found:
        client.key_worker = (
            KeyWorker(client.kw_first_name, client.kw_last_name, client.kw_username)
            if client.kw_username is not None
            else None
        )
        raised = [(kind, getattr(client, f"alert_{kind}")) for kind in Alert.Kind.values]
        raised = [(kind, at) for kind, at in raised if at is not None]
        raised.sort(key=lambda pair: (pair[0] not in Alert.STAFF_SAFETY, -pair[1].timestamp()))
        client.flags = [AlertFlag(kind) for kind, _ in raised]
    paginator = Paginator([], per_page)
    paginator.count = total  # a cached_property: the figure the query already gave
    return Page(found, number, paginator)


def needing_key_worker(visible: QuerySet[Client], *, team_ids: list[int]) -> QuerySet[Client]:
    """Open clients of these teams with no key worker, for the managers' "needs a key worker" list.

    `visible` is access.gate.clients_visible_to(manager). Each client carries
    `last_key_workers` (their key-worker assignments that ended, newest first: who, when,
    why). Three queries however many clients.
    """
    open_key_worker = Assignment.objects.filter(client=OuterRef("pk"), ended_on__isnull=True, is_key_worker=True)
    return (
        visible.filter(team_id__in=team_ids)
        .exclude(Exists(open_key_worker))
        .select_related("team")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(ended_on__isnull=False, is_key_worker=True)
                .select_related("caseworker")
                .order_by("-ended_on", "-pk"),
                to_attr="last_key_workers",
            ),
            Prefetch(
                "moves",
                queryset=ClientMove.objects.filter(to_team_id__in=team_ids)
                .select_related("from_team", "moved_by")
                .order_by("-moved_at", "-pk"),
                to_attr="moves_in",
            ),
        )
        .order_by("last_name", "first_name", "pk")
    )


def moves_out_of(team_ids: list[int]) -> QuerySet[ClientMove]:
    """Clients moved out of these teams, newest first, for the old team's managers.

    They can no longer open those records, so each move carries only the client's
    reference (`client_reference`), not the client.
    """
    return (
        ClientMove.objects.filter(from_team_id__in=team_ids)
        .select_related("to_team", "moved_by")
        .annotate(client_reference=F("client__reference"))
        .order_by("-moved_at", "-pk")
    )


def search_known(*, query: str, year_of_birth: int | None = None) -> list[Client]:
    """ "Is this person already known?" across every team, for the search page only.

    Loads only what the results show: name, year of birth, team and key worker.
    """
    query = query.strip()
    clients = (
        Client.objects.filter(_name_filter(query) | Q(reference__iexact=query), merged_into__isnull=True)
        .select_related("team")
        .only("id", "first_name", "last_name", "preferred_name", "date_of_birth", "team__name", "status")
        .prefetch_related(_open_key_workers())
        .order_by("last_name", "first_name", "pk")
    )
    if year_of_birth:
        clients = clients.filter(date_of_birth__year=year_of_birth)
    return list(clients[: SEARCH_LIMIT + 1])


def client_id_by_reference(reference: str) -> int | None:
    """The id of the unmerged client with this reference (any case), or None. Open it through the gate."""
    return (
        Client.objects.filter(reference__iexact=reference.strip(), merged_into__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )


@dataclass
class CategorySection:
    category: Category
    entries: list[InformationEntry] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.entries) + len(self.notes)


def record_sections(client: Client) -> list[CategorySection]:
    """The client's information and notes, grouped by data category in registry order.

    Two queries however much is held.
    """
    sections = {category.key: CategorySection(category) for category in CATEGORIES}
    for entry in InformationEntry.objects.filter(client=client).select_related("recorded_by").order_by("recorded_at"):
        sections[entry.category].entries.append(entry)
    for note in CaseNote.objects.filter(client=client).select_related("author").order_by("-written_at"):
        sections[note.category].notes.append(note)
    return list(sections.values())


def _column_reader(model, name: str):
    """A function turning a raw value of `model.name` into what the ORM would give (on SQLite,
    dates and times come back as text), with the same converters the query compiler applies."""
    model_field = model._meta.get_field(name)
    column = model_field.get_col(model._meta.db_table)
    converters = [*connection.ops.get_db_converters(column), *model_field.get_db_converters(connection)]

    def read(value):
        for convert in converters:
            value = convert(value, column, connection)
        return value

    return read


def _qn(model, name: str = "") -> str:
    """The quoted table of `model`, or the quoted column of its field `name`."""
    meta = model._meta
    return connection.ops.quote_name(meta.get_field(name).column if name else meta.db_table)


@dataclass
class RecordOverview:
    """What the top of the record shows besides the client row: counts per data category
    (keys with nothing held are absent), the key worker (a User, or None) and the active
    alerts, staff safety first."""

    counts: dict[str, int]
    key_worker: object
    alerts: list[Alert]


@functools.cache
def _overview_sql(vendor: str) -> str:
    """The statement `record_overview` runs, written out once per process from the models'
    metadata (identifiers only; every value is a parameter). `vendor` keys the cache.

    One UNION ALL of three row shapes told apart by `src`: "a" an active alert, "k" an open
    key-worker assignment (`day` its start), "c" a category count (`kind` the category, `n`
    the count); the people's ids and names in `person`/`first`/`last`/`login`.
    """
    user = get_user_model()
    entry, note, assignment, alert = InformationEntry, CaseNote, Assignment, Alert

    def u(name):
        return "u." + _qn(user, name)

    people = f"{u('id')}, {u('first_name')}, {u('last_name')}, {u('username')}"
    # The alerts come first: every column of theirs has a type (PostgreSQL types a UNION's
    # NULL columns from the first branch that has one, pair by pair).
    return (
        f"SELECT 'a' AS src, a.{_qn(alert, 'id')} AS id, a.{_qn(alert, 'kind')} AS kind, "  # noqa: S608 (identifiers from model metadata; values are parameters)
        f"a.{_qn(alert, 'text')} AS body, a.{_qn(alert, 'raised_at')} AS at, a.{_qn(alert, 'review_by')} AS day, "
        f"{people}, CAST(NULL AS INTEGER) AS n "
        f"FROM {_qn(alert)} a JOIN {_qn(user)} u ON {u('id')} = a.{_qn(alert, 'raised_by')} "
        f"WHERE a.{_qn(alert, 'client')} = %s AND a.{_qn(alert, 'ended_at')} IS NULL "
        f"UNION ALL "
        f"SELECT 'k', a.{_qn(assignment, 'id')}, NULL, NULL, NULL, a.{_qn(assignment, 'started_on')}, {people}, NULL "
        f"FROM {_qn(assignment)} a JOIN {_qn(user)} u ON {u('id')} = a.{_qn(assignment, 'caseworker')} "
        f"WHERE a.{_qn(assignment, 'client')} = %s AND a.{_qn(assignment, 'ended_on')} IS NULL "
        f"AND a.{_qn(assignment, 'is_key_worker')} = %s "
        f"UNION ALL "
        f"SELECT 'c', NULL, x.cat, NULL, NULL, NULL, NULL, NULL, NULL, NULL, COUNT(*) "
        f"FROM (SELECT {_qn(entry, 'category')} AS cat FROM {_qn(entry)} WHERE {_qn(entry, 'client')} = %s "
        f"UNION ALL SELECT {_qn(note, 'category')} FROM {_qn(note)} WHERE {_qn(note, 'client')} = %s) x "
        f"GROUP BY x.cat"
    )


def record_overview(client: Client) -> RecordOverview:
    """Category counts, key worker and active alerts of a client the gate opened. One query
    however much is held.

    The same answers as counting entries and notes by category, the open key-worker
    assignment that started last (`Assignment`'s ordering) and `active_alerts(client)`;
    written as one precompiled statement because the record is the page people open most
    and building three ORM queries cost more CPU than running them (BENCHMARKS.md). The
    alerts are also kept on `client` for the warnings banner (clients/_alerts.html), which
    then does not read them again.
    """
    user_model = get_user_model()
    with connection.cursor() as cursor:
        cursor.execute(_overview_sql(connection.vendor), [client.pk, client.pk, True, client.pk, client.pk])
        rows = cursor.fetchall()
    read_at, read_review, read_started = (
        _column_reader(Alert, "raised_at"),
        _column_reader(Alert, "review_by"),
        _column_reader(Assignment, "started_on"),
    )
    counts: dict[str, int] = {}
    key_workers, alerts = [], []
    for src, pk, kind, body, at, day, person, first, last, login, n in rows:
        if src == "c":
            counts[kind] = n
            continue
        who = user_model(id=person, first_name=first or "", last_name=last or "", username=login)
        if src == "k":
            key_workers.append((read_started(day), pk, who))
        else:
            alerts.append(
                Alert(
                    id=pk,
                    client=client,
                    kind=kind,
                    text=body,
                    raised_by=who,
                    raised_at=read_at(at),
                    review_by=read_review(day),
                )
            )
    key_worker = max(key_workers, key=lambda row: row[:2])[2] if key_workers else None
    alerts = _staff_safety_first(alerts)
    client._active_alerts = alerts
    return RecordOverview(counts=counts, key_worker=key_worker, alerts=alerts)


# --- The timeline ----------------------------------------------------------------------------

NOTE = "note"
TIMELINE_KINDS = [(NOTE, "Case notes"), *TimelineEvent.Kind.choices]
# The timeline's pseudo-category for events about no one data category: the case opened,
# closed, reopened or moved, an alert. Not a data-category key (clients.categories), so it
# can never be stored on a note or an entry.
WHOLE_CASE = "whole_case"
WHOLE_CASE_LABEL = "Whole case"


@dataclass
class TimelineItem:
    """One line of the story: a case note (`is_note`) or a key event, as plain values."""

    pk: int
    is_note: bool
    at: datetime.datetime
    kind: str  # "note" or a TimelineEvent.Kind value
    text: str
    categories: list[str]
    who: str
    held_in_confidence: bool

    @property
    def kind_label(self) -> str:
        return "Case note" if self.is_note else _EVENT_LABELS.get(self.kind, self.kind)

    @property
    def is_whole_case(self) -> bool:
        """An event about the case as a whole rather than one data category."""
        return not self.is_note and not self.categories

    @property
    def category_labels(self) -> list[str]:
        """The labels of the categories it is about; "Whole case" for an event about none."""
        if self.is_whole_case:
            return [WHOLE_CASE_LABEL]
        return [REGISTRY[key].label for key in self.categories if key in REGISTRY]

    @property
    def at_label(self) -> str:
        return timezone.localtime(self.at).strftime("%-d %b %Y %H:%M")

    @property
    def at_iso(self) -> str:
        return self.at.isoformat()


_EVENT_LABELS = dict(TimelineEvent.Kind.choices)


@dataclass
class TimelinePage:
    """A page of the timeline without a total: "newer" and "older" need no COUNT query."""

    object_list: list[TimelineItem]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def is_past_the_end(self) -> bool:
        """An empty page after the first (?page=999): the page links to the newest page instead."""
        return self.number > 1 and not self.object_list

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


@functools.cache
def _timeline_sql(vendor: str, *, category: str, kind: str) -> str:
    """The timeline's statement for one shape of filters, written once per process from the
    models' metadata (identifiers only; every value is a parameter). `vendor` keys the cache.

    Notes and events with what the timeline shows of each (text, categories, who), newest
    first, as one UNION ALL: the two halves have the same columns. `category` is "" (any),
    "key" (one data category, a parameter) or WHOLE_CASE (events about no one category);
    `kind` is "" (both halves), NOTE (notes only) or "event" (events of one kind, a parameter).
    At least one half must be wanted (`_timeline_halves`).
    """
    user = get_user_model()
    note, event = CaseNote, TimelineEvent
    with_notes, with_events = _timeline_halves(category=category, kind=kind)

    def who(alias):
        return ", ".join(f"{alias}.{_qn(user, name)}" for name in ("first_name", "last_name", "username"))

    notes = (
        f"SELECT n.{_qn(note, 'id')}, n.{_qn(note, 'written_at')}, 'n', n.{_qn(note, 'text')}, "  # noqa: S608 (identifiers from model metadata)
        f"n.{_qn(note, 'category')}, '{NOTE}', {who('u')}, n.{_qn(note, 'held_in_confidence')} "
        f"FROM {_qn(note)} n JOIN {_qn(user)} u ON u.{_qn(user, 'id')} = n.{_qn(note, 'author')} "
        f"WHERE n.{_qn(note, 'client')} = %s" + (f" AND n.{_qn(note, 'category')} = %s" if category == "key" else "")
    )
    events = (
        f"SELECT e.{_qn(event, 'id')}, e.{_qn(event, 'at')}, 'e', e.{_qn(event, 'summary')}, "  # noqa: S608 (identifiers from model metadata)
        f"e.{_qn(event, 'categories')}, e.{_qn(event, 'kind')}, {who('u')}, FALSE "
        f"FROM {_qn(event)} e LEFT JOIN {_qn(user)} u ON u.{_qn(user, 'id')} = e.{_qn(event, 'actor')} "
        f"WHERE e.{_qn(event, 'client')} = %s"
        + {
            "": "",
            "key": f" AND e.{_qn(event, 'categories')} {connection.operators['contains']}",
            WHOLE_CASE: f" AND e.{_qn(event, 'categories')} = ''",
        }[category]
        + (f" AND e.{_qn(event, 'kind')} = %s" if kind == "event" else "")
    )
    union = " UNION ALL ".join([*([notes] if with_notes else []), *([events] if with_events else [])])
    # By position: the first two columns are the id and the time.
    return f"{union} ORDER BY 2 DESC, 1 DESC LIMIT %s OFFSET %s"


def _timeline_halves(*, category: str, kind: str) -> tuple[bool, bool]:
    """Whether the filters want (notes, events): events about the whole case are never notes."""
    return kind in ("", NOTE) and category != WHOLE_CASE, kind != NOTE


def _timeline_rows(client: Client, *, category: str, kind: str, limit: int, offset: int) -> list[tuple]:
    """Rows of (id, when, source "n"/"e", text, categories, kind, first, last, username, held in confidence)."""
    category_shape = category if category in ("", WHOLE_CASE) else "key"
    kind_shape = kind if kind in ("", NOTE) else "event"
    with_notes, with_events = _timeline_halves(category=category_shape, kind=kind_shape)
    if not (with_notes or with_events):
        return []  # Case notes about the whole case: there are none (and no query).
    params: list = []
    if with_notes:
        params += [client.pk, *([category] if category_shape == "key" else [])]
    if with_events:
        params.append(client.pk)
        if category_shape == "key":
            params.append(f"%{connection.ops.prep_for_like_query(f',{category},')}%")
        if kind_shape == "event":
            params.append(kind)
    with connection.cursor() as cursor:
        cursor.execute(
            _timeline_sql(connection.vendor, category=category_shape, kind=kind_shape), [*params, limit, offset]
        )
        return cursor.fetchall()


def _page_number(page: object) -> int:
    try:
        number = int(page)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 100_000 else 1


def timeline_page(
    client: Client, *, category: str = "", kind: str = "", page: object = 1, per_page: int = 20
) -> TimelinePage:
    """One page of the client's timeline: case notes and key events, newest first.

    `category` (a data-category key) keeps notes of that category and events about it;
    `WHOLE_CASE` keeps only the events about no one category (case opened, moved, closed);
    `kind` is "note" or a `TimelineEvent.Kind` value; `page` counts from 1 (anything else
    is page 1). One query whatever the length of the story: a UNION ALL of notes and
    events with their authors, `per_page + 1` rows (the extra one says there is an older page).
    """
    number = _page_number(page)
    rows = _timeline_rows(client, category=category, kind=kind, limit=per_page + 1, offset=(number - 1) * per_page)
    read_note_time = _column_reader(CaseNote, "written_at")
    items = [
        TimelineItem(
            pk=pk,
            is_note=source == "n",
            at=read_note_time(when),
            kind=kind_key,
            text=body,
            categories=[key for key in (cats or "").split(",") if key],
            who=f"{first or ''} {last or ''}".strip() or (login or ""),
            held_in_confidence=bool(secret),
        )
        for pk, when, source, body, cats, kind_key, first, last, login, secret in rows[:per_page]
    ]
    return TimelinePage(object_list=items, number=number, has_next=len(rows) > per_page)


def assignments_of(client: Client) -> list[Assignment]:
    return list(
        Assignment.objects.filter(client=client)
        .select_related("caseworker", "started_by", "ended_by")
        .order_by("ended_on", "-started_on", "-pk")
    )


def open_assignments_of(client: Client) -> list[Assignment]:
    return list(
        Assignment.objects.filter(client=client, ended_on__isnull=True)
        .select_related("caseworker")
        .prefetch_related("caseworker__teams")
        .order_by("-is_key_worker", "pk")
    )


@dataclass
class FieldChange:
    label: str
    old: str  # "" when the record was added
    new: str


@dataclass
class Change:
    at: object
    who: object
    kind: str  # "added", "changed", "removed", "moved"
    what: str
    fields: list[str]
    values: list[FieldChange] = field(default_factory=list)
    note: str = ""


_HISTORY_TYPES = {"+": "added", "~": "changed", "-": "removed"}
# Not shown: timestamps the history row already carries, the client the row belongs to, and
# the legal-hold fields, which only statutory-request pages show.
_IGNORED_FIELDS = {"updated_at", "recorded_at", "written_at", "created_at", "client_id", "legal_hold_since"}
_VALUE_CHARS = 300


def _shown(model_field, row) -> str:
    """A field's value on a history row as a person reads it: labels for choices and
    categories, names for people and teams, Yes/No, dates; long text shortened."""
    value = getattr(row, model_field.name if model_field.is_relation else model_field.attname, None)
    if value is None or value == "":
        return ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if hasattr(value, "strftime"):
        return value.strftime("%-d %b %Y %H:%M") if hasattr(value, "hour") else value.strftime("%-d %b %Y")
    text = str(value)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _changes(rows, describe, tracked) -> list[Change]:
    """Turn simple-history rows (ordered by object, then time) into changes with old and new values."""
    changes = []
    for _, versions in groupby(rows, key=lambda row: row.id):
        previous = None
        for row in versions:
            values = []
            if row.history_type == "+":
                values = [FieldChange(label, "", new) for f, label in tracked if (new := _shown(f, row))]
            elif previous is not None and row.history_type == "~":
                values = [
                    FieldChange(label, old, new)
                    for f, label in tracked
                    if (old := _shown(f, previous)) != (new := _shown(f, row))
                ]
            changes.append(
                Change(
                    at=row.history_date,
                    who=row.history_user,
                    kind=_HISTORY_TYPES.get(row.history_type, row.history_type),
                    what=describe(row),
                    fields=[value.label for value in values] if row.history_type == "~" else [],
                    values=values,
                )
            )
            previous = row
    return changes


def _tracked(model) -> list[tuple[object, str]]:
    return [
        (f, str(f.verbose_name).capitalize())
        for f in model._meta.concrete_fields
        if f.attname not in _IGNORED_FIELDS and not f.primary_key
    ]


def _people(model) -> list[str]:
    """The relations shown on a change (people, teams), fetched with the history rows."""
    return [f.name for f, _ in _tracked(model) if f.is_relation]


def change_history(client: Client, *, limit: int = 200) -> list[Change]:
    """Every recorded change to the client's details, information, notes, alerts, assignments
    and teams, newest first, each with the old and new value of every field that changed.

    A move between teams carries its reason as `note`. Six queries however long the history
    (relations are fetched with the history rows).
    """

    def label(key):
        return REGISTRY[key].label if key in REGISTRY else key

    def history(model, **filters):
        return (
            model.history.filter(**filters)
            .select_related("history_user", *_people(model))
            .order_by("id", "history_date", "history_id")
        )

    changes = _changes(history(Client, id=client.pk), lambda row: "Client details", _tracked(Client))
    changes += _changes(
        history(InformationEntry, client_id=client.pk),
        lambda row: f"{label(row.category)} information",
        _tracked(InformationEntry),
    )
    changes += _changes(
        history(CaseNote, client_id=client.pk),
        lambda row: f"Case note ({label(row.category)})",
        _tracked(CaseNote),
    )
    changes += _changes(
        history(Alert, client_id=client.pk), lambda row: f"Alert: {row.get_kind_display()}", _tracked(Alert)
    )
    caseworkers = {}
    assignment_rows = list(history(Assignment, client_id=client.pk))
    for row in assignment_rows:
        caseworkers.setdefault(row.id, row.caseworker)
    changes += _changes(assignment_rows, lambda row: f"Assignment of {caseworkers[row.id]}", _tracked(Assignment))
    changes += [
        Change(
            at=move.moved_at,
            who=move.moved_by,
            kind="moved",
            what=f"Team: from {move.from_team} to {move.to_team}",
            fields=[],
            note=move.reason,
        )
        for move in ClientMove.objects.filter(client_id=client.pk).select_related("from_team", "to_team", "moved_by")
    ]
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes[:limit]
