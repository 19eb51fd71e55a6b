"""Reads for police and statutory requests: who may see and decide one, the queue, the report.

One rule each for lists and single requests, so a queue and a detail page cannot disagree:

- `visible_q(user)`: the information security officer sees every request; a service
  manager their teams' clients' requests; everyone sees the requests they logged. A
  caseworker does not see requests others logged about their clients: knowing the police
  asked is itself sensitive, and telling the client may prejudice an investigation.
- `decidable_q(user)`: the ISO, and the service managers of the client's team. Nobody
  else decides, discloses or lifts a legal hold — except a caseworker's emergency
  disclosure (`services.statutory_emergency_disclose`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import Role, TeamMembership, User
from clients.categories import CATEGORIES, Selection
from clients.models import CaseNote
from consent.models import Purpose
from sharing.models import Disclosure

from .models import REVIEW_WITHIN, StatutoryDocument, StatutoryRequest

# The purpose statutory disclosures are logged under (created by migration 0003).
STATUTORY_PURPOSE = "statutory-request"
STATUTORY_PURPOSE_DEFAULTS = {
    "name": "Responding to a police or statutory request",
    "description": "Answering a request for information about the client from the police, Immigration "
    "Enforcement, a local authority, the DWP, a court or another statutory body.",
}
OPEN_STATUSES = (StatutoryRequest.Status.OPEN, StatutoryRequest.Status.AWAITING_REVIEW)

# "Everything you hold": asking for at least this share of the registry's categories...
BROAD_SHARE = 2 / 3
# ...or saying so in words.
BROAD_WORDS = re.compile(
    r"\b(everything|all (the |of the )?(information|records?|data|notes|files?|details)|"
    r"(entire|whole|full|complete) (file|record|records|case|history)|"
    r"anything (you|that you) (hold|have|keep))\b",
    re.IGNORECASE,
)


def is_broad(selection: Selection, text: str) -> bool:
    """Whether a request asks for everything (or most of what) we hold."""
    return len(selection) >= len(CATEGORIES) * BROAD_SHARE or bool(BROAD_WORDS.search(text or ""))


# --- Who may see and decide ----------------------------------------------------------------


def _role(user) -> str:
    return getattr(user, "role", "") if getattr(user, "pk", None) else ""


def _team_ids(user):
    return TeamMembership.objects.filter(user_id=user.pk).values("team_id")


def visible_q(user) -> Q:
    role = _role(user)
    if not role:
        return Q(pk__in=[])
    if role == Role.INFORMATION_SECURITY_OFFICER:
        return Q()
    rule = Q(received_by_id=user.pk)
    if role == Role.SERVICE_MANAGER:
        rule |= Q(client__team_id__in=_team_ids(user))
    return rule


def decidable_q(user) -> Q:
    role = _role(user)
    if role == Role.INFORMATION_SECURITY_OFFICER:
        return Q()
    if role == Role.SERVICE_MANAGER:
        return Q(client__team_id__in=_team_ids(user))
    return Q(pk__in=[])


def is_decider_role(user) -> bool:
    return _role(user) in (Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER)


def can_decide_for_team(user, team_id: int) -> bool:
    """The ISO, or a service manager of this team."""
    role = _role(user)
    if role == Role.INFORMATION_SECURITY_OFFICER:
        return True
    return role == Role.SERVICE_MANAGER and TeamMembership.objects.filter(user_id=user.pk, team_id=team_id).exists()


def can_decide(user, statutory_request: StatutoryRequest) -> bool:
    return can_decide_for_team(user, statutory_request.client.team_id)


def request_for(user, client_id, request_id, *, deciders_only: bool = False) -> StatutoryRequest | None:
    """One request of this client that `user` may see (or decide), with what its pages show; else None."""
    rule = decidable_q(user) if deciders_only else visible_q(user)
    return (
        StatutoryRequest.objects.filter(rule, pk=request_id, client_id=client_id)
        .select_related("client__team", "partner", "received_by", "decided_by", "reviewed_by")
        .prefetch_related(
            Prefetch("documents", queryset=StatutoryDocument.objects.order_by("uploaded_at", "pk")),
            Prefetch(
                "disclosures", queryset=Disclosure.objects.select_related("disclosed_by").order_by("disclosed_at")
            ),
        )
        .first()
    )


def request_exists(client_id, request_id) -> bool:
    return StatutoryRequest.objects.filter(pk=request_id, client_id=client_id).exists()


def document_of(statutory_request: StatutoryRequest, document_id) -> StatutoryDocument | None:
    """One of the request's documents, from its prefetched list (no query)."""
    return next((d for d in statutory_request.documents.all() if str(d.pk) == str(document_id)), None)


def requests_for_client(user, client) -> list[StatutoryRequest]:
    """The client's requests this person may see, newest first."""
    return list(
        StatutoryRequest.objects.filter(visible_q(user), client=client)
        .select_related("received_by", "decided_by")
        .order_by("-received_at", "-pk")
    )


def open_court_orders(client) -> QuerySet[StatutoryRequest]:
    return StatutoryRequest.objects.filter(
        client=client, basis=StatutoryRequest.Basis.COURT_ORDER, status__in=OPEN_STATUSES
    )


def confidential_notes_count(client) -> int:
    """Case notes held in confidence (counselling, welfare): likely excluded material."""
    return CaseNote.objects.filter(client=client, held_in_confidence=True).count()


def consent_purpose() -> Purpose | None:
    """The purpose statutory disclosures are logged under (and a consent may name)."""
    return Purpose.objects.filter(key=STATUTORY_PURPOSE).first()


# --- The queue -----------------------------------------------------------------------------


def queue(user) -> QuerySet[StatutoryRequest]:
    """Open requests this person decides (and emergency disclosures awaiting review): oldest emergency first."""
    return (
        StatutoryRequest.objects.filter(decidable_q(user), status__in=OPEN_STATUSES)
        .select_related("client__team", "received_by")
        .annotate(
            urgency=Case(
                When(basis=StatutoryRequest.Basis.EMERGENCY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("urgency", "received_at", "pk")
    )


@dataclass(frozen=True)
class QueueRow:
    request: StatutoryRequest
    age: dt.timedelta
    review_overdue: bool

    @property
    def age_text(self) -> str:
        return describe_age(self.age)


def describe_age(age: dt.timedelta) -> str:
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60:02d} min" if hours < 24 else f"{hours} h"
    return f"{hours // 24} days"


def queue_rows(user, *, now: dt.datetime | None = None, limit: int = 500) -> list[QueueRow]:
    now = now or timezone.now()
    return [QueueRow(r, now - r.received_at, r.review_overdue(now)) for r in queue(user)[:limit]]


def dashboard_panel(*, user) -> dict:
    """Managers and the ISO: open requests, emergencies, and emergency disclosures overdue for review."""
    if not is_decider_role(user):
        return {"show": False}
    now = timezone.now()
    counts = StatutoryRequest.objects.filter(decidable_q(user), status__in=OPEN_STATUSES).aggregate(
        open=Count("pk"),
        emergencies=Count("pk", filter=Q(basis=StatutoryRequest.Basis.EMERGENCY)),
        overdue=Count(
            "pk",
            filter=Q(status=StatutoryRequest.Status.AWAITING_REVIEW, decided_at__lte=now - REVIEW_WITHIN),
        ),
    )
    return {"show": True, **counts}


# --- Transparency report and search ---------------------------------------------------------


def _in_period(queryset: QuerySet, date_from: dt.date | None, date_to: dt.date | None) -> QuerySet:
    if date_from:
        queryset = queryset.filter(received_at__gte=_start_of(date_from))
    if date_to:
        queryset = queryset.filter(received_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return queryset


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Tally:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Transparency:
    total: int
    by_body: list[Tally]
    by_basis: list[Tally]
    by_outcome: list[Tally]


OPEN_OUTCOME = "open"


def transparency(user, *, date_from: dt.date | None, date_to: dt.date | None) -> Transparency:
    """Counts by requesting body, basis claimed and outcome (open ones as "not yet decided"). One query."""
    rows = (
        _in_period(StatutoryRequest.objects.filter(decidable_q(user)), date_from, date_to)
        .values("body", "basis", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_body: dict[str, int] = {}
    by_basis: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    total = 0
    for row in rows:
        total += row["n"]
        by_body[row["body"]] = by_body.get(row["body"], 0) + row["n"]
        by_basis[row["basis"]] = by_basis.get(row["basis"], 0) + row["n"]
        outcome = row["outcome"] or OPEN_OUTCOME
        by_outcome[outcome] = by_outcome.get(outcome, 0) + row["n"]
    outcomes = [*StatutoryRequest.Outcome.choices, (OPEN_OUTCOME, "Not yet decided")]
    return Transparency(
        total=total,
        by_body=[Tally(k, label, by_body.get(k, 0)) for k, label in StatutoryRequest.Body.choices],
        by_basis=[Tally(k, label, by_basis.get(k, 0)) for k, label in StatutoryRequest.Basis.choices],
        by_outcome=[Tally(k, label, by_outcome.get(k, 0)) for k, label in outcomes],
    )


def search(
    user,
    *,
    text: str = "",
    body: str = "",
    basis: str = "",
    outcome: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 200,
) -> list[StatutoryRequest]:
    """Requests this person decides, matching the words and filters, newest first."""
    queryset = _in_period(StatutoryRequest.objects.filter(decidable_q(user)), date_from, date_to)
    for word in text.split()[:8]:
        queryset = queryset.filter(
            Q(reference__icontains=word)
            | Q(client__reference__iexact=word)
            | Q(body_name__icontains=word)
            | Q(requester_name__icontains=word)
            | Q(order_reference__icontains=word)
        )
    if body:
        queryset = queryset.filter(body=body)
    if basis:
        queryset = queryset.filter(basis=basis)
    if outcome == OPEN_OUTCOME:
        queryset = queryset.filter(outcome="")
    elif outcome:
        queryset = queryset.filter(outcome=outcome)
    return list(queryset.select_related("client", "decided_by").order_by("-received_at", "-pk")[:limit])


# --- E-mail alerts -------------------------------------------------------------------------


def alert_recipients(statutory_request: StatutoryRequest) -> list[str]:
    """The client's team's service managers and every information security officer."""
    rule = Q(role=Role.INFORMATION_SECURITY_OFFICER) | Q(
        role=Role.SERVICE_MANAGER, memberships__team_id=statutory_request.client.team_id
    )
    return sorted(set(User.objects.filter(rule, is_active=True).exclude(email="").values_list("email", flat=True)))
