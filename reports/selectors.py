"""The figures of the reports page: counts only, never names of clients.

Every figure is one or two aggregate queries (GROUP BY in the database, no loop over
rows in Python), so the page costs the same whatever the number of clients; a test
holds the query count equal at 10 and at 1,000 clients. A figure is a `Figure`: a
title, a sentence that describes it (the chart's description for assistive technology),
column headings and rows of (label, number, …), ready for the table, the chart and the
CSV/.xlsx download alike.

Scope: a service manager sees the teams they belong to, the information security officer
every team and the organisation as a whole (access.selectors.review_teams, the same
rule as the access review). The period is a range of local dates, inclusive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Value
from django.utils import timezone

from access.models import AccessEvent
from access.selectors import may_review, review_teams, sees_all_teams
from accounts.models import SecurityEvent
from breaches.models import BreachNotification, BreachReport, IcoDecision
from clients.models import Client
from consent.models import ConsentRecord
from sharing.models import Disclosure
from statutory.models import StatutoryRequest

NOT_DECIDED = "Not yet decided"


@dataclass(frozen=True)
class Period:
    """Local dates `start`..`end`, inclusive; `begin`/`finish` are the aware instants bounding them."""

    start: dt.date
    end: dt.date

    @property
    def begin(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=timezone.get_current_timezone())

    @property
    def finish(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())

    @classmethod
    def last_year(cls, today: dt.date | None = None) -> Period:
        """The year up to and including `today` (local date by default)."""
        today = today or timezone.localdate()
        return cls(start=today - dt.timedelta(days=364), end=today)


@dataclass(frozen=True)
class Scope:
    """The teams a report covers: `team_ids` None means the whole organisation."""

    team_ids: tuple[int, ...] | None
    label: str

    def clients(self, field: str = "team_id") -> Q:
        """A filter on the client's team (`field` names the team id path from the queried model)."""
        return Q() if self.team_ids is None else Q(**{f"{field}__in": self.team_ids})


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    # How many columns after the label are drawn as bars (the rest, e.g. averages in
    # another unit, are in the table only). None: all of them.
    charted: int | None = None

    @property
    def series(self) -> tuple[str, ...]:
        """The column headings drawn as bars."""
        return self.columns[1 : 1 + self.charted] if self.charted else self.columns[1:]

    @property
    def is_empty(self) -> bool:
        return not any(any(value for value in row[1:]) for row in self.rows)


def may_see_reports(user) -> bool:
    """Service managers and the information security officer."""
    return may_review(user)


def scope_for(user, team_id: int | None = None) -> Scope:
    """The scope `user` asked for: one of their teams, or everything they may see.

    Raises LookupError when `team_id` names a team outside what they may see.
    """
    teams = review_teams(user)
    if team_id is not None:
        team = teams.filter(pk=team_id).first()
        if team is None:
            raise LookupError("No such team in your reports.")
        return Scope(team_ids=(team.pk,), label=team.name)
    if sees_all_teams(user):
        return Scope(team_ids=None, label="The whole organisation")
    ids = tuple(teams.values_list("pk", flat=True))
    return Scope(team_ids=ids, label="Your teams")


def _between(field: str, period: Period, *, dates: bool = False) -> Q:
    if dates:
        return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})
    return Q(**{f"{field}__gte": period.begin, f"{field}__lt": period.finish})


def caseload(scope: Scope, period: Period) -> Figure:
    """Per team: clients open at the end of the period, cases opened and closed in it. One query."""
    open_at_end = Q(opened_on__lte=period.end) & (Q(closed_on__isnull=True) | Q(closed_on__gt=period.end))
    rows = (
        Client.objects.filter(scope.clients())
        .values("team__name")
        .annotate(
            open_at_end=Count("pk", filter=open_at_end),
            opened=Count("pk", filter=_between("opened_on", period, dates=True)),
            closed=Count("pk", filter=_between("closed_on", period, dates=True)),
        )
        .order_by("team__name")
    )
    return Figure(
        key="caseload",
        title="Caseload and movement",
        description="Clients with an open case at the end of the period, and cases opened and closed during it, "
        "by team.",
        columns=("Team", "Open at the end", "Opened", "Closed"),
        rows=tuple((r["team__name"], r["open_at_end"], r["opened"], r["closed"]) for r in rows),
    )


def referrals(scope: Scope, period: Period) -> Figure:
    """Referrals sent in the period by partner and purpose. One query."""
    rows = (
        Disclosure.objects.filter(scope.clients("client__team_id"), _between("disclosed_at", period))
        .filter(kind=Disclosure.Kind.REFERRAL)
        .values("partner__name", "purpose_label")
        .annotate(n=Count("pk"))
        .order_by("-n", "partner__name", "purpose_label")
    )
    return Figure(
        key="referrals",
        title="Referrals sent",
        description="Referrals that left the organisation in the period, by partner organisation and purpose.",
        columns=("Partner and purpose", "Sent"),
        rows=tuple((f"{r['partner__name']} – {r['purpose_label']}", r["n"]) for r in rows),
    )


def referrals_refused(scope: Scope, period: Period, *, limit: int = 10) -> Figure:
    """Referrals the gate refused to send in the period, by the reason it gave. One query."""
    rows = (
        AccessEvent.objects.filter(scope.clients("client__team_id"), _between("at", period))
        .filter(action=AccessEvent.Action.SHARE, outcome=AccessEvent.Outcome.DENIED, object_type="sharing.Referral")
        .values("detail")
        .annotate(n=Count("pk"))
        .order_by("-n", "detail")[:limit]
    )
    return Figure(
        key="referrals_refused",
        title="Referrals refused, and why",
        description="Attempts to send a referral that were refused because no basis covered them, by the reason given.",
        columns=("Reason", "Refused"),
        rows=tuple((r["detail"] or "No reason recorded", r["n"]) for r in rows),
    )


def consents(scope: Scope, period: Period) -> Figure:
    """Per team: consents recorded, withdrawn, due for review and expired. One query."""
    live_at_end = Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=period.finish)
    not_expired = Q(expires_on__isnull=True) | Q(expires_on__gt=period.end)
    rows = (
        ConsentRecord.objects.filter(scope.clients("client__team_id"))
        .values("client__team__name")
        .annotate(
            recorded=Count("pk", filter=_between("given_at", period)),
            withdrawn=Count("pk", filter=_between("withdrawn_at", period)),
            review_due=Count("pk", filter=Q(review_due__lte=period.end) & live_at_end & not_expired),
            expired=Count("pk", filter=_between("expires_on", period, dates=True) & live_at_end),
        )
        .order_by("client__team__name")
    )
    return Figure(
        key="consents",
        title="Consent",
        description="Consents recorded and withdrawn in the period, those due for review at its end, and those that "
        "expired during it, by team.",
        columns=("Team", "Recorded", "Withdrawn", "Due for review", "Expired"),
        rows=tuple(
            (r["client__team__name"], r["recorded"], r["withdrawn"], r["review_due"], r["expired"]) for r in rows
        ),
    )


def statutory(scope: Scope, period: Period) -> list[Figure]:
    """Police and statutory requests received in the period by body, basis claimed and outcome. One query."""
    rows = list(
        StatutoryRequest.objects.filter(scope.clients("client__team_id"), _between("received_at", period))
        .values("body", "basis", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )

    def tally(field: str, choices) -> tuple[tuple, ...]:
        totals: dict[str, int] = {}
        for row in rows:
            key = row[field] or ""
            totals[key] = totals.get(key, 0) + row["n"]
        return tuple((label, totals.get(key, 0)) for key, label in choices)

    outcomes = [*StatutoryRequest.Outcome.choices, ("", NOT_DECIDED)]
    return [
        Figure(
            key="statutory_body",
            title="Police and statutory requests by requesting body",
            description="Requests for client information received in the period, by the body that asked.",
            columns=("Requesting body", "Requests"),
            rows=tally("body", StatutoryRequest.Body.choices),
        ),
        Figure(
            key="statutory_basis",
            title="Police and statutory requests by basis claimed",
            description="Requests received in the period, by the legal basis the requester claimed.",
            columns=("Basis claimed", "Requests"),
            rows=tally("basis", StatutoryRequest.Basis.choices),
        ),
        Figure(
            key="statutory_outcome",
            title="Police and statutory requests by outcome",
            description="Requests received in the period, by the manager's decision.",
            columns=("Outcome", "Requests"),
            rows=tally("outcome", outcomes),
        ),
    ]


def breaches(scope: Scope, period: Period) -> Figure:
    """Breaches reported in the period by ICO decision and kind, with the average days to notify. One query.

    The register records no cause as such; a cyber incident is the distinction it keeps.
    """
    to_notify = ExpressionWrapper(F("notifications__notified_at") - F("became_aware_at"), output_field=DurationField())
    initial = Q(notifications__kind=BreachNotification.Kind.INITIAL)
    rows = (
        BreachReport.objects.filter(scope.clients(), _between("reported_at", period))
        .values("notify_ico", "cyber_incident")
        .annotate(n=Count("pk", distinct=True), days=Avg(to_notify, filter=initial))
        .order_by()
    )
    labels = dict(IcoDecision.choices)
    result = []
    for row in rows:
        decision = labels.get(row["notify_ico"], NOT_DECIDED)
        kind = "cyber incident" if row["cyber_incident"] else "other cause"
        days = round(row["days"].total_seconds() / 86400, 1) if row["days"] is not None else ""
        result.append((f"{decision} ({kind})", row["n"], days))
    result.sort(key=lambda item: item[0])
    return Figure(
        key="breaches",
        title="Personal data breaches",
        description="Breaches reported in the period, by the decision on notifying the ICO and whether it was a cyber "
        "incident, with the average days from becoming aware to the ICO report.",
        columns=("Decision and kind", "Breaches", "Average days to notify the ICO"),
        rows=tuple(result),
        charted=1,
    )


def _person(row: dict, prefix: str = "actor__") -> str:
    name = f"{row[prefix + 'first_name']} {row[prefix + 'last_name']}".strip()
    return name or row[prefix + "username"] or "Unknown"


def break_glass(scope: Scope, period: Period) -> list[Figure]:
    """Break-the-glass openings in the period, per person and per client team. Two queries."""
    openings = AccessEvent.objects.filter(scope.clients("client__team_id"), _between("at", period)).filter(
        break_glass=True, outcome=AccessEvent.Outcome.ALLOWED
    )
    people = (
        openings.values("actor__first_name", "actor__last_name", "actor__username")
        .annotate(n=Count("pk"))
        .order_by("-n", "actor__last_name", "actor__first_name")
    )
    teams = openings.values("client__team__name").annotate(n=Count("pk")).order_by("client__team__name")
    return [
        Figure(
            key="break_glass_people",
            title="Break-the-glass openings by person",
            description="Records opened with a stated reason (outside the person's caseload, or a closed case), by "
            "the person who opened them.",
            columns=("Person", "Openings"),
            rows=tuple((_person(r), r["n"]) for r in people),
        ),
        Figure(
            key="break_glass_teams",
            title="Break-the-glass openings by team",
            description="Records opened with a stated reason, by the team of the client opened.",
            columns=("Team", "Openings"),
            rows=tuple((r["client__team__name"], r["n"]) for r in teams),
        ),
    ]


def review_outstanding(scope: Scope, period: Period) -> Figure:
    """Access-review items from the period nobody has reviewed yet, by kind. Two queries.

    The two kinds of audit row are counted apart and joined with UNION ALL, so each count
    is an index-only scan of its own partial index (accessevent_glass_cover,
    accessevent_denied_cover): the query reads the period's break-the-glass openings and
    refusals, never the period's whole audit log.
    """
    events = AccessEvent.objects.filter(scope.clients("client__team_id"), _between("at", period)).filter(
        review__isnull=True
    )

    def tally(kind: str, **where):
        return events.filter(**where).annotate(kind=Value(kind)).values("kind").annotate(n=Count("pk")).order_by()

    glass = tally("break_glass", break_glass=True, outcome=AccessEvent.Outcome.ALLOWED)
    denied = tally("denied", outcome=AccessEvent.Outcome.DENIED)
    counts = {"break_glass": 0, "denied": 0} | {row["kind"]: row["n"] for row in glass.union(denied, all=True)}
    logins = SecurityEvent.objects.filter(
        _between("at", period), kind=SecurityEvent.Kind.CONCURRENT_LOGIN, review__isnull=True
    )
    if scope.team_ids is not None:
        logins = logins.filter(user__memberships__team_id__in=scope.team_ids)
    return Figure(
        key="review_outstanding",
        title="Access review items outstanding",
        description="Items on the access review from the period that no manager has marked reviewed yet.",
        columns=("Kind of item", "Not yet reviewed"),
        rows=(
            ("Opened with a reason (break the glass)", counts["break_glass"]),
            ("Refused attempts", counts["denied"]),
            ("Concurrent logins", logins.distinct().count()),
        ),
    )


# Page order; each builder returns one figure or several, from a fixed number of queries.
BUILDERS = (caseload, referrals, referrals_refused, consents, statutory, breaches, break_glass, review_outstanding)
# Which builder makes each figure, so a download runs only its own queries.
FIGURE_KEYS = {
    "caseload": caseload,
    "referrals": referrals,
    "referrals_refused": referrals_refused,
    "consents": consents,
    "statutory_body": statutory,
    "statutory_basis": statutory,
    "statutory_outcome": statutory,
    "breaches": breaches,
    "break_glass_people": break_glass,
    "break_glass_teams": break_glass,
    "review_outstanding": review_outstanding,
}


def _as_list(made) -> list[Figure]:
    return list(made) if isinstance(made, list) else [made]


def figures(scope: Scope, period: Period) -> list[Figure]:
    """Every figure of the reports page, in page order, from 10 queries whatever the data."""
    return [item for build in BUILDERS for item in _as_list(build(scope, period))]


def figure(scope: Scope, period: Period, key: str) -> Figure:
    """One figure by its key, running only its own builder. Raises LookupError for an unknown key."""
    build = FIGURE_KEYS.get(key)
    if build is None:
        raise LookupError(f"No figure {key!r}.")
    return next(item for item in _as_list(build(scope, period)) if item.key == key)
