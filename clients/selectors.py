"""Reads for client pages. Which clients a person may see is decided by access.gate:
these functions shape querysets the gate has already filtered, or read inside one client
the gate has already opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from .categories import CATEGORIES, Category
from .models import Assignment, CaseNote, Client, ClientMove, InformationEntry

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
    clients = visible.select_related("team").prefetch_related(_open_key_workers())
    query = query.strip()
    if query:
        clients = clients.filter(_name_filter(query) | Q(reference__iexact=query))
    return clients.order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["name"]))


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


def current_key_worker(client: Client):
    assignment = (
        Assignment.objects.filter(client=client, ended_on__isnull=True, is_key_worker=True)
        .select_related("caseworker")
        .first()
    )
    return assignment.caseworker if assignment else None


@dataclass
class Change:
    at: object
    who: object
    kind: str  # "added", "changed", "removed", "moved"
    what: str
    fields: list[str]
    note: str = ""


_HISTORY_TYPES = {"+": "added", "~": "changed", "-": "removed"}
_IGNORED_FIELDS = {"updated_at", "recorded_at", "written_at", "created_at"}


def _changes(rows, describe, tracked: list[tuple[str, str]]) -> list[Change]:
    """Turn simple-history rows (ordered by object, then time) into changes with changed field names."""
    changes = []
    for _, versions in groupby(rows, key=lambda row: row.id):
        previous = None
        for row in versions:
            changed = []
            if previous is not None and row.history_type == "~":
                changed = [label for name, label in tracked if getattr(row, name) != getattr(previous, name)]
            changes.append(
                Change(
                    at=row.history_date,
                    who=row.history_user,
                    kind=_HISTORY_TYPES.get(row.history_type, row.history_type),
                    what=describe(row),
                    fields=changed,
                )
            )
            previous = row
    return changes


def _tracked(model) -> list[tuple[str, str]]:
    return [
        (f.attname, str(f.verbose_name))
        for f in model._meta.concrete_fields
        if f.attname not in _IGNORED_FIELDS and not f.primary_key
    ]


def change_history(client: Client, *, limit: int = 200) -> list[Change]:
    """Every recorded change to the client's details, information, notes, assignments and teams.

    Five queries however long the history. A move between teams carries its reason as `note`.
    """
    from .categories import REGISTRY

    def label(key):
        return REGISTRY[key].label if key in REGISTRY else key

    changes = _changes(
        Client.history.filter(id=client.pk).select_related("history_user").order_by("history_date", "history_id"),
        lambda row: "Client details",
        _tracked(Client),
    )
    changes += _changes(
        InformationEntry.history.filter(client_id=client.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id"),
        lambda row: f"{label(row.category)} information",
        _tracked(InformationEntry),
    )
    changes += _changes(
        CaseNote.history.filter(client_id=client.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id"),
        lambda row: f"Case note ({label(row.category)})",
        _tracked(CaseNote),
    )
    caseworkers = {}
    assignment_rows = list(
        Assignment.history.filter(client_id=client.pk)
        .select_related("history_user", "caseworker")
        .order_by("id", "history_date", "history_id")
    )
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
