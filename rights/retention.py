"""Retention (UK GDPR Art 5(1)(e)): the schedule, what is past it, approved anonymisation batches.

Reads first, then writes, as one module about one concern of the rights app:

- `cutoff` and `ends_on`: the calendar-month arithmetic of a rule (rights.calendar).
- `due_clients` / `held_clients`: closed cases past their retention, and those a legal hold
  keeps, as querysets (one indexed query each, no per-row Python), scoped like the rights
  register (`selectors.handled_q`: the ISO every team, a service manager their teams).
- `retention_status`: per rule, how many records are due and held, and what happens to them.
- `retention_review_record`: the daily snapshot beat takes (`rights.tasks.retention_review`).
- `retention_batch_approve`: a manager or the ISO fixes the list due at that moment.
- `snapshot_content_sweep`: with the daily review, the personal content of disclosure snapshots
  and released subject access packs of clients anonymised longer ago than
  `DISCLOSURE_SNAPSHOT_RETENTION_DAYS` is removed, each removal audited (docs/decisions/0014).
- `retention_batch_run`: the Celery task's work, in bounded transactions, each chunk of clients
  anonymised together by `rights.services.clients_anonymise` after re-checking legal hold and retention.

What anonymisation means for each kind of record, and why audit events, breach reports and
statutory requests are listed but kept, is docs/decisions/0015.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import time
from dataclasses import dataclass
from functools import partial

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from access.gate import Action, record_list
from access.models import AccessEvent
from accounts.models import Role, Team, TeamMembership
from clients.models import Client

from .calendar import add_calendar_months
from .models import (
    RetentionBatch,
    RetentionBatchItem,
    RetentionReview,
    RetentionRule,
    SarRelease,
    SubjectAccessRequest,
)
from .services import AlreadyAnonymised, NotRightsOfficer, clients_anonymise, sar_releases_content_remove

logger = logging.getLogger(__name__)
Kind = RetentionRule.Kind
Item = RetentionBatchItem


# --- The arithmetic ---------------------------------------------------------------------------


def ends_on(start: dt.date, months: int) -> dt.date:
    """The first day a record that started on `start` (a local date) is past a `months`-month retention.

    Calendar months (rights.calendar.add_calendar_months): closed 31 August, kept 6 months,
    is past retention from 28 February (29 in a leap year).
    """
    return add_calendar_months(start, months)


def cutoff(today: dt.date, months: int) -> dt.date:
    """The latest start date whose `months`-month retention has ended by `today` (local dates).

    `start <= cutoff(today, months)` exactly when `ends_on(start, months) <= today`, so the
    sweep is one indexed comparison. On the last day of a month every start in the
    month `months` earlier has ended (31 August + 6 months is 28 February).
    Raises ValueError for a negative number of months.
    """
    if months < 0:
        raise ValueError("months must be 0 or more")
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    if today.day == calendar.monthrange(today.year, today.month)[1]:
        return dt.date(year, month, last)
    return dt.date(year, month, min(today.day, last))


def _end_of_local_day(day: dt.date) -> dt.datetime:
    """The first instant (aware) after local `day`: a timestamp is on or before `day` when it is earlier."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


# --- Who handles retention ---------------------------------------------------------------------


def _role(user) -> str:
    return getattr(user, "role", "") if getattr(user, "pk", None) else ""


def handles_retention(user) -> bool:
    """Service managers (their teams' clients) and the information security officer (all)."""
    return _role(user) in (Role.SERVICE_MANAGER, Role.INFORMATION_SECURITY_OFFICER)


def team_ids(user) -> list[int] | None:
    """The teams whose records `user` handles for retention: None for every team (the ISO), else a list."""
    role = _role(user)
    if role == Role.INFORMATION_SECURITY_OFFICER:
        return None
    if role == Role.SERVICE_MANAGER:
        return list(TeamMembership.objects.filter(user_id=user.pk).values_list("team_id", flat=True))
    return []


def teams_for(user) -> QuerySet[Team]:
    """The teams `user` may approve a batch for (ISO: all)."""
    ids = team_ids(user)
    teams = Team.objects.order_by("name")
    return teams if ids is None else teams.filter(pk__in=ids)


def _scoped(rows: QuerySet, ids: list[int] | None, *, team_field: str) -> QuerySet:
    return rows if ids is None else rows.filter(**{f"{team_field}__in": ids})


# --- Reads ------------------------------------------------------------------------------------


def rules() -> dict[str, RetentionRule]:
    """The schedule, by kind (a kind with no rule is kept until someone sets one)."""
    return {rule.kind: rule for rule in RetentionRule.objects.all()}


def _closed_past(rule: RetentionRule, today: dt.date) -> QuerySet[Client]:
    # Merged records are tombstones scrubbed with the record they were merged into.
    return Client.objects.filter(
        status=Client.Status.CLOSED,
        closed_on__lte=cutoff(today, rule.period_months),
        anonymised_at__isnull=True,
        merged_into__isnull=True,
    )


def due_clients(
    rule: RetentionRule, *, team_ids: list[int] | None = None, today: dt.date | None = None
) -> QuerySet[Client]:
    """Closed cases past the `closed_cases` rule and not under legal hold, oldest closure first.

    Takes the rule, the teams to look in (None: every team) and the local date (default
    today). Returns a queryset of Client (one query; no client data is read in Python).
    """
    today = today or timezone.localdate()
    rows = _closed_past(rule, today).filter(legal_hold_since__isnull=True)
    return _scoped(rows, team_ids, team_field="team_id").order_by("closed_on", "id")


def held_clients(
    rule: RetentionRule, *, team_ids: list[int] | None = None, today: dt.date | None = None
) -> QuerySet[Client]:
    """Closed cases past the rule that a legal hold keeps (each has `legal_hold_since` and the reason)."""
    today = today or timezone.localdate()
    rows = _closed_past(rule, today).filter(legal_hold_since__isnull=False)
    return _scoped(rows, team_ids, team_field="team_id").order_by("legal_hold_since", "id")


# What the system does with a kind of record past its retention (docs/decisions/0015).
ACTIONS = {
    Kind.CLOSED_CASES: "Anonymised once a manager or the ISO approves a batch: the record becomes a stub that "
    "still counts in the statistics (docs/decisions/0014).",
    Kind.SUBJECT_ACCESS: "Listed, not anonymised on its own: the request's details about the requester go when "
    "the client's record is anonymised; the request's dates stay as evidence that it was answered.",
    Kind.BREACH_REPORTS: "Listed for the information security officer, kept: the breach register is the "
    "organisation's own accountability record (UK GDPR Art 33(5)). A report links the clients affected by id "
    "(their records are anonymised under closed cases); its account of what happened is reviewed by hand.",
    Kind.STATUTORY_REQUESTS: "Listed, kept: what was disclosed to police and statutory bodies, and why, is "
    "kept for legal claims (Art 17(3)(e)); the client's own record is anonymised under closed cases.",
    Kind.AUDIT_EVENTS: "Never erased: the sealed audit log is kept under the accountability principle "
    "(Art 5(2)) and its hash chain would break; rows name a client by id only, so once the client is "
    "anonymised they identify nobody.",
}


def _model(label: str):
    # Breaches and statutory sit beside rights in the layering: counted by label, never imported.
    return apps.get_model(label)


def _count_due(rule: RetentionRule, today: dt.date, ids: list[int] | None) -> tuple[int, int]:
    """(due, held) for one rule: one or two COUNT queries."""
    last = cutoff(today, rule.period_months)
    before = _end_of_local_day(last)
    if rule.kind == Kind.CLOSED_CASES:
        counts = _scoped(_closed_past(rule, today), ids, team_field="team_id").aggregate(
            held=Count("id", filter=Q(legal_hold_since__isnull=False)), all=Count("id")
        )
        return counts["all"] - counts["held"], counts["held"]
    if rule.kind == Kind.SUBJECT_ACCESS:
        rows = _scoped(
            SubjectAccessRequest.objects.filter(
                status=SubjectAccessRequest.Status.COMPLETED, completed_on__lte=last, client__anonymised_at__isnull=True
            ),
            ids,
            team_field="client__team_id",
        )
    elif rule.kind == Kind.STATUTORY_REQUESTS:
        rows = _scoped(
            _model("statutory.StatutoryRequest").objects.filter(status="closed", decided_at__lt=before),
            ids,
            team_field="client__team_id",
        )
    elif rule.kind == Kind.BREACH_REPORTS:
        rows = _scoped(_model("breaches.BreachReport").objects.filter(decided_at__lt=before), ids, team_field="team_id")
        return rows.count(), 0
    else:  # audit events: organisation-wide, by the `at` index
        return AccessEvent.objects.filter(at__lt=before).count(), 0
    counts = rows.aggregate(held=Count("id", filter=Q(client__legal_hold_since__isnull=False)), all=Count("id"))
    return counts["all"] - counts["held"], counts["held"]


@dataclass(frozen=True)
class RuleStatus:
    rule: RetentionRule
    due: int
    held: int
    action: str

    @property
    def anonymisable(self) -> bool:
        return self.rule.kind == Kind.CLOSED_CASES


def retention_status(*, team_ids: list[int] | None = None, today: dt.date | None = None) -> list[RuleStatus]:
    """For each rule of the schedule: records past retention (`due`), those kept by legal hold (`held`), and
    what happens to them. Takes the teams to count (None: all; audit events are always organisation-wide)
    and the local date. A few COUNT queries per rule."""
    today = today or timezone.localdate()
    found = []
    for rule in RetentionRule.objects.all():
        due, held = _count_due(rule, today, team_ids)
        found.append(RuleStatus(rule, due, held, ACTIONS[rule.kind]))
    return found


def latest_reviews(limit: int = 14) -> list[RetentionReview]:
    return list(RetentionReview.objects.all()[:limit])


def batches_for(user) -> QuerySet[RetentionBatch]:
    """Batches `user` may see: the ISO all; a manager those of their teams (and those they approved)."""
    ids = team_ids(user)
    rows = RetentionBatch.objects.select_related("rule", "team", "approved_by")
    if ids is None:
        return rows
    if not handles_retention(user):
        return rows.none()
    return rows.filter(Q(team_id__in=ids) | Q(approved_by_id=user.pk))


def batch_for(user, batch_id) -> RetentionBatch | None:
    """One batch `user` may see, else None (unknown and forbidden look the same)."""
    try:
        return batches_for(user).filter(pk=int(batch_id)).first()
    except (TypeError, ValueError):
        return None


def skipped_items(batch: RetentionBatch) -> QuerySet[RetentionBatchItem]:
    return batch.items.filter(outcome=Item.Outcome.SKIPPED).select_related("client").order_by("id")


# --- Writes -----------------------------------------------------------------------------------


def retention_rule_save(*, actor, rule: RetentionRule) -> RetentionRule:
    """Save a rule of the schedule as changed by `actor` (admin): validated, with who and when, and history.

    Raises ValidationError keyed by field (e.g. a start date that does not fit the kind).
    """
    with transaction.atomic():
        rule.changed_by = actor
        rule.changed_at = timezone.now()
        rule._history_user = actor
        rule.full_clean()
        rule.save()
    return rule


def retention_review_record(*, today: dt.date | None = None) -> RetentionReview:
    """Record what is past retention today, per rule, organisation-wide and per team (beat, daily).

    Idempotent: one row per local date, replaced by a later run the same day. Returns it.
    """
    today = today or timezone.localdate()
    statuses = retention_status(today=today)
    counts = [
        {
            "kind": s.rule.kind,
            "label": s.rule.get_kind_display(),
            "period": s.rule.period_label,
            "due": s.due,
            "held": s.held,
        }
        for s in statuses
    ]
    by_team: dict[str, int] = {}
    closed = next((s.rule for s in statuses if s.rule.kind == Kind.CLOSED_CASES), None)
    if closed is not None:
        rows = due_clients(closed, today=today).order_by().values("team_id").annotate(n=Count("id"))
        by_team = {str(row["team_id"]): row["n"] for row in rows}
    review, _ = RetentionReview.objects.update_or_create(
        taken_on=today, defaults={"taken_at": timezone.now(), "counts": counts, "by_team": by_team}
    )
    return review


class NothingDue(ValidationError):
    """No closed case is past its retention in the chosen teams."""


def retention_batch_approve(*, actor, team: Team | None = None, request=None) -> RetentionBatch:
    """Approve anonymising the closed cases past retention now, as a fixed list, and queue the task.

    Takes the approving service manager (for `team`, one of theirs, or with `team` None every
    team of theirs) or ISO (`team` None: every team). Clients under legal hold are never in the
    list (they are shown with the hold's reason instead). Writes one audit row (a list action:
    the batch names clients by id). The task (`rights.tasks.run_retention_batch`) is enqueued on
    commit. Returns the batch. Raises PermissionDenied for anyone else or another team,
    ValidationError when the schedule has no closed-cases rule, NothingDue when nothing is due.
    """
    if not handles_retention(actor):
        raise PermissionDenied("Only service managers and the information security officer approve retention.")
    ids = team_ids(actor)
    if team is not None:
        if ids is not None and team.pk not in ids:
            raise PermissionDenied("You can approve retention only for your own teams' clients.")
        ids = [team.pk]
    rule = RetentionRule.objects.filter(kind=Kind.CLOSED_CASES).first()
    if rule is None:
        raise ValidationError("Set a retention period for closed cases in admin first.", code="no_rule")
    with transaction.atomic():
        batch = RetentionBatch.objects.create(
            rule=rule, period_months=rule.period_months, team=team, approved_by=actor, approved_at=timezone.now()
        )
        total = _insert_items(batch, due_clients(rule, team_ids=ids))
        if not total:
            raise NothingDue("No closed case is past its retention period in these teams.", code="nothing_due")
        RetentionBatch.objects.filter(pk=batch.pk).update(total=total)
        batch.total = total
        record_list(
            actor,
            action=Action.EDIT,
            request=request,
            detail=f"retention batch {batch.reference} approved: {total} closed cases past "
            f"{rule.period_label} ({team.name if team else 'all teams handled'})",
        )
        transaction.on_commit(partial(enqueue_batch, batch.pk))
    return batch


def _insert_items(batch: RetentionBatch, due: QuerySet[Client]) -> int:
    """Store the due clients as the batch's items in one INSERT ... SELECT (no ids through Python:
    20,000 rows take a fraction of a second instead of seconds). Returns how many were stored."""
    sql, params = due.order_by().values("id").query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(Item._meta.db_table)
    columns = ", ".join(qn(Item._meta.get_field(name).column) for name in ("batch", "client", "outcome", "reason"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT %s, due.id, '', '' FROM ({sql}) AS due",  # noqa: S608 (our own table and columns; the ids come from a compiled queryset)
            [batch.pk, *params],
        )
        return cursor.rowcount


def enqueue_batch(batch_id: int) -> None:
    """Publish the batch's task; if the broker is down, the daily review (beat) starts it later."""
    from .tasks import run_retention_batch

    try:
        run_retention_batch.delay(batch_id)
    except Exception:  # the broker is down: the page says it is waiting
        logger.warning("Could not queue retention batch %s; the daily review will start it.", batch_id)


def _skip_reason(client: Client, rule: RetentionRule | None, today: dt.date) -> str:
    """Why this client must not be anonymised now, or "" (re-checked at the moment of anonymising,
    on the client as read under its lock)."""
    if client.anonymised_at is not None:
        return f"Already anonymised on {timezone.localtime(client.anonymised_at):%d %B %Y}."
    if rule is None:
        return "The retention rule for closed cases was removed after approval."
    if client.status != Client.Status.CLOSED or client.closed_on is None:
        return "The case was reopened after approval."
    if client.merged_into_id is not None:
        return "Merged into another record after approval: it is anonymised with that record."
    if client.closed_on > cutoff(today, rule.period_months):
        return (
            f"No longer past retention: kept until {ends_on(client.closed_on, rule.period_months):%d %B %Y} "
            f"under the current rule ({rule.period_label})."
        )
    return ""


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, NotRightsOfficer):
        return "Whoever approved the batch no longer handles this client's team."
    if isinstance(exc, AlreadyAnonymised):
        return "Already anonymised."
    return exc.messages[0] if isinstance(exc, ValidationError) else str(exc)


def _run_chunk(batch: RetentionBatch, size: int, today: dt.date) -> int:
    """Anonymise up to `size` waiting clients of the batch in one transaction; return how many were done.

    Set-based: the items and their clients are locked once each, the clients anonymised together
    (`clients_anonymise`, a few statements per kind of record), and the outcomes written in two
    statements, so the queries per chunk do not grow with its size.
    """
    with transaction.atomic():
        items = list(
            batch.items.filter(outcome=Item.Outcome.PENDING)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", "client_id")[:size]
        )
        if not items:
            return 0
        rule = RetentionRule.objects.filter(kind=Kind.CLOSED_CASES).first()
        done = clients_anonymise(
            actor=batch.approved_by,
            client_ids=[client_id for _, client_id in items],
            reason=f"retention period passed ({rule.get_kind_display().lower()}, {rule.period_label}); "
            f"batch {batch.reference}"
            if rule is not None
            else "",
            # Legal hold is checked first, by clients_anonymise, and its reason is the one shown.
            keep=partial(_skip_reason, rule=rule, today=today),
        )
        anonymised = {client.pk for client in done.anonymised}
        reasons = {client_id: _refusal_text(exc) for client_id, exc in done.refused.items()}
        now = timezone.now()
        kept = [
            Item(
                pk=pk, outcome=Item.Outcome.SKIPPED, reason=reasons.get(client_id, "Not found.")[:400], processed_at=now
            )
            for pk, client_id in items
            if client_id not in anonymised
        ]
        Item.objects.filter(pk__in=[pk for pk, client_id in items if client_id in anonymised]).update(
            outcome=Item.Outcome.ANONYMISED, reason="", processed_at=now
        )
        if kept:
            Item.objects.bulk_update(kept, ["outcome", "reason", "processed_at"])
        RetentionBatch.objects.filter(pk=batch.pk).update(
            anonymised=F("anonymised") + len(anonymised), skipped=F("skipped") + len(kept)
        )
    return len(items)


def retention_batch_run(*, batch_id: int, budget_seconds: float | None = None) -> RetentionBatch | None:
    """Anonymise an approved batch in transactions of `RETENTION_BATCH_SIZE` clients (the Celery task).

    Each client is re-checked at that moment (legal hold with its reason, still closed and
    past retention under the current rule, not anonymised meanwhile) and the chunk's clients
    anonymised together by `clients_anonymise` (one audit row each), or skipped with the reason.
    Safe to run twice or at once: only waiting items are taken, each locked (SKIP LOCKED) in its
    chunk's transaction. Stops after about `budget_seconds` (default `RETENTION_TASK_SECONDS`)
    and leaves the rest to a re-queued run.
    Returns the batch, or None when it is unknown or finished.
    """
    claimed = RetentionBatch.objects.filter(
        pk=batch_id, status__in=[RetentionBatch.Status.QUEUED, RetentionBatch.Status.RUNNING]
    ).update(status=RetentionBatch.Status.RUNNING)
    if not claimed:
        return None
    RetentionBatch.objects.filter(pk=batch_id, started_at__isnull=True).update(started_at=timezone.now())
    batch = RetentionBatch.objects.select_related("approved_by").get(pk=batch_id)
    size = max(1, settings.RETENTION_BATCH_SIZE)
    budget = settings.RETENTION_TASK_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    today = timezone.localdate()
    while _run_chunk(batch, size, today):
        if time.monotonic() - started > budget:
            transaction.on_commit(partial(enqueue_batch, batch_id))  # runs at once: no transaction is open
            break
    if not batch.items.filter(outcome=Item.Outcome.PENDING).exists():
        RetentionBatch.objects.filter(pk=batch_id, status=RetentionBatch.Status.RUNNING).update(
            status=RetentionBatch.Status.DONE, finished_at=timezone.now()
        )
    batch.refresh_from_db()
    return batch


# --- Disclosure snapshots and released packs past the legal-claims period --------------------


def _content_past(before: dt.datetime) -> Q:
    """Clients anonymised on or before `before` and not under legal hold."""
    return Q(anonymised_at__lte=before, legal_hold_since__isnull=True)


def snapshot_content_due(*, now: dt.datetime | None = None) -> QuerySet[Client]:
    """Anonymised clients whose disclosure snapshots or released subject access packs still hold
    personal content `DISCLOSURE_SNAPSHOT_RETENTION_DAYS` after the anonymisation, and not under
    legal hold, in id order (a queryset; two EXISTS subqueries). Statutory disclosures are not
    counted: they are kept with their requests (docs/decisions/0015)."""
    from sharing.models import Disclosure

    before = (now or timezone.now()) - dt.timedelta(days=settings.DISCLOSURE_SNAPSHOT_RETENTION_DAYS)
    snapshots = Disclosure.objects.filter(client_id=OuterRef("pk"), content_removed_at__isnull=True).exclude(
        kind=Disclosure.Kind.STATUTORY
    )
    releases = SarRelease.objects.filter(sar__client_id=OuterRef("pk"), content_removed_at__isnull=True)
    return Client.objects.filter(_content_past(before)).filter(Exists(snapshots) | Exists(releases)).order_by("pk")


def snapshot_content_sweep(*, now: dt.datetime | None = None, budget_seconds: float | None = None) -> dict[str, int]:
    """Remove the personal content of what was disclosed about anonymised clients, once it is no
    longer kept for legal claims (beat, with the daily retention review; docs/decisions/0014).

    Takes the moment (default now, UTC) and a time budget in seconds (default
    `RETENTION_TASK_SECONDS`; what is left waits for the next day). Works through
    `snapshot_content_due` in transactions of `RETENTION_BATCH_SIZE` clients: locks them,
    re-checks legal hold and the period under the lock (a hold placed meanwhile wins), then
    removes, set-based, the content of their referral and meeting disclosures
    (`sharing.services.disclosure_content_remove`) and of their released subject access packs
    (`rights.services.sar_releases_content_remove`), each removal with its own audit row.
    Idempotent: what was removed is not taken again. Returns the numbers of disclosures and
    releases changed: {"disclosures": n, "releases": n}.
    """
    from sharing.models import Disclosure
    from sharing.services import disclosure_content_remove

    now = now or timezone.now()
    days = settings.DISCLOSURE_SNAPSHOT_RETENTION_DAYS
    before = now - dt.timedelta(days=days)
    reason = f"kept {days} days after the client was anonymised, under the legal-claims exemption (Art 17(3)(e))"
    size = max(1, settings.RETENTION_BATCH_SIZE)
    budget = settings.RETENTION_TASK_SECONDS if budget_seconds is None else budget_seconds
    started, last, done = time.monotonic(), 0, {"disclosures": 0, "releases": 0}
    while time.monotonic() - started <= budget:
        chunk = list(snapshot_content_due(now=now).filter(pk__gt=last).values_list("pk", flat=True)[:size])
        if not chunk:
            break
        last = chunk[-1]
        with transaction.atomic():
            ids = list(
                Client.objects.select_for_update()
                .filter(_content_past(before), pk__in=chunk)
                .values_list("pk", flat=True)
            )
            snapshots = (
                Disclosure.objects.filter(client_id__in=ids, content_removed_at__isnull=True)
                .exclude(kind=Disclosure.Kind.STATUTORY)
                .values_list("pk", flat=True)
            )
            releases = SarRelease.objects.filter(sar__client_id__in=ids, content_removed_at__isnull=True)
            done["disclosures"] += len(disclosure_content_remove(disclosure_ids=list(snapshots), reason=reason))
            done["releases"] += len(
                sar_releases_content_remove(release_ids=list(releases.values_list("pk", flat=True)), reason=reason)
            )
    return done


def retention_batches_resume() -> int:
    """Queue again the batches still waiting or running (their publish failed, or a worker died). Returns how many."""
    pending = list(
        RetentionBatch.objects.filter(
            status__in=[RetentionBatch.Status.QUEUED, RetentionBatch.Status.RUNNING]
        ).values_list("pk", flat=True)
    )
    for batch_id in pending:
        enqueue_batch(batch_id)
    return len(pending)
