"""Writes for clients, their information, notes, caseload assignments and case status.

Access to a client is held in guardian's direct foreign-key permission rows, and only
here are those rows written:

- a caseworker's row (ClientUserObjectPermission) exists exactly while they have an open
  assignment to the client: `assignment_start` grants it, `assignment_end` revokes it;
- each team has one Django group for its service managers (`manager_group_name`), granted
  the permission on every client of the team (ClientGroupObjectPermission) when the client
  is created in or moved to the team; `manager_groups_sync` keeps the group's members in
  step with each person's role and team memberships.

The gate (access.gate) reads those rows on every request and caches nothing, so a revoked
row is a denied request the very next time.

Access that came from a job ends with it. A caseload assignment is held by an active
caseworker who is a member of the client's team; when that stops being true — they leave
the team, the account is deactivated, the role changes, the client moves — the assignment
and its row end in the same transaction (`staff_access_sync`, called by clients.receivers
for every path that changes a membership or an account), and the client shows on the team
managers' "needs a key worker" list.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Role, SecurityEvent, Team, TeamMembership
from accounts.services import current_actor, security_event_record
from casework import references

from .categories import REGISTRY
from .identifiers import nhs_number_problem, ni_number_problem, normalise_identifier
from .models import (
    Alert,
    Assignment,
    CaseNote,
    Client,
    ClientGroupObjectPermission,
    ClientMove,
    ClientUserObjectPermission,
    InformationEntry,
    TimelineEvent,
)
from .text import neutralise

OPEN_CLIENT = "open_client"
MANAGER_GROUP_PATTERN = re.compile(r"^team-(\d+)-managers$")

# Fields of Client a caseworker edits on the "details" form (identity and contact).
DETAIL_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "gender",
    "pronouns",
    "national_insurance_number",
    "nhs_number",
    "phone",
    "email",
    "address",
    "preferred_contact",
)

# Unambiguous characters only (no 0/O, 1/I/L), so a reference read over the phone is not misheard.


def _open_client_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="clients", codename=OPEN_CLIENT)


def _as_of(instance, actor):
    """Tell simple-history who made this change, also outside a request (tasks, seeding).

    With no actor, simple-history falls back to the request's signed-in person, if any.
    """
    if actor is not None:
        instance._history_user = actor
    return instance


# --- Team manager groups -----------------------------------------------------------------


def manager_group_name(team_id: int) -> str:
    """The Django group of one team's service managers. Derived from the id, so renames are safe."""
    return f"team-{team_id}-managers"


def manager_group(team: Team) -> Group:
    group, _ = Group.objects.get_or_create(name=manager_group_name(team.pk))
    return group


def manager_groups_sync(*, user) -> None:
    """Put a person in exactly the manager groups their role and team memberships call for.

    Called whenever a role or a team membership changes (see clients.apps). Idempotent.
    """
    if user.pk is None:
        return
    wanted_team_ids: set[int] = set()
    if user.is_active and user.role == Role.SERVICE_MANAGER:
        wanted_team_ids = set(user.memberships.values_list("team_id", flat=True))
    held = {
        int(match.group(1)): group
        for group in user.groups.filter(name__startswith="team-", name__endswith="-managers")
        if (match := MANAGER_GROUP_PATTERN.match(group.name))
    }
    stale = [group for team_id, group in held.items() if team_id not in wanted_team_ids]
    if stale:
        user.groups.remove(*stale)
    missing = [manager_group(team) for team in Team.objects.filter(pk__in=wanted_team_ids - held.keys())]
    if missing:
        user.groups.add(*missing)


def team_managers_sync(*, team: Team) -> list[Assignment]:
    """Rebuild one team's manager group from roles and memberships, and end caseload
    assignments in the team that its members' jobs no longer support (a safety net for
    bulk changes, and what `team.members.remove(...)` triggers). Returns the ended ones."""
    User = get_user_model()
    group = manager_group(team)
    group.user_set.set(User.objects.filter(is_active=True, role=Role.SERVICE_MANAGER, memberships__team=team))
    return assignments_end_outdated(team=team)


def _outdated_reason(assignment: Assignment) -> str:
    worker = assignment.caseworker
    if not worker.is_active:
        return "Account deactivated"
    if worker.role != Role.CASEWORKER:
        return f"Role changed to {Role(worker.role).label.lower()}"
    return f"Left {assignment.client.team}"


@transaction.atomic
def assignments_end_outdated(*, caseworker_ids: list[int] | None = None, team: Team | None = None) -> list[Assignment]:
    """End every open assignment its caseworker's job no longer supports.

    An assignment is held by an active caseworker who is a member of the client's team;
    any open one that is not (after leaving the team, deactivation, a role change) ends
    now with its permission row, in the caller's transaction. Narrowed to `caseworker_ids`
    and/or the clients of `team`; with neither, the whole table is checked (a repair after
    bulk changes). Each person's ended caseload is recorded once per team as a
    CASELOAD_ENDED security event that the team's managers see. Returns the ended
    assignments; idempotent (nothing to end: one query).
    """
    member = TeamMembership.objects.filter(user_id=OuterRef("caseworker_id"), team_id=OuterRef("client__team_id"))
    outdated = Assignment.objects.filter(ended_on__isnull=True).filter(
        Q(caseworker__is_active=False) | ~Q(caseworker__role=Role.CASEWORKER) | ~Exists(member)
    )
    if caseworker_ids is not None:
        outdated = outdated.filter(caseworker_id__in=caseworker_ids)
    if team is not None:
        outdated = outdated.filter(client__team=team)
    found = list(outdated.select_related("caseworker", "client__team").order_by("pk"))
    if not found:
        return []
    actor = current_actor()
    ended = [assignment_end(actor=actor, assignment=a, reason=_outdated_reason(a)) for a in found]
    per_team: dict[tuple[int, int], list[Assignment]] = {}
    for assignment in found:
        per_team.setdefault((assignment.caseworker_id, assignment.client.team_id), []).append(assignment)
    for group in per_team.values():
        first = group[0]
        security_event_record(
            kind=SecurityEvent.Kind.CASELOAD_ENDED,
            user=first.caseworker,
            actor=actor,
            team=first.client.team,
            detail=f"{len(group)} caseload assignment(s) in {first.client.team} ended: {_outdated_reason(first)}",
        )
    return ended


def staff_access_sync(*, user) -> None:
    """Bring everything a person's access rests on in line with their role, account and teams.

    Manager groups (`manager_groups_sync`) and caseload assignments (`assignments_end_outdated`).
    Called by clients.receivers after every change to a person or a membership. Idempotent.
    """
    if user.pk is None:
        return
    manager_groups_sync(user=user)
    assignments_end_outdated(caseworker_ids=[user.pk])


def _grant_team(client: Client, team: Team, permission: Permission) -> None:
    ClientGroupObjectPermission.objects.get_or_create(
        group=manager_group(team), permission=permission, content_object=client
    )


def team_grant(*, client: Client) -> None:
    """Grant the client's team managers access (idempotent; client_create and client_move do this)."""
    _grant_team(client, client.team, _open_client_permission())


def _revoke_team(client: Client, team_id: int, permission: Permission) -> None:
    ClientGroupObjectPermission.objects.filter(
        group__name=manager_group_name(team_id), permission=permission, content_object=client
    ).delete()


# --- Clients -----------------------------------------------------------------------------


# The earliest date of birth accepted: anything before it is a typing slip (e.g. 1066).
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# Single-line identity and contact fields; the address keeps its line breaks.
_ONE_LINE_FIELDS = tuple(name for name in (*DETAIL_FIELDS, "reference") if name not in {"address", "date_of_birth"})


def _clean_text(client: Client) -> None:
    """Neutralise invisible control characters in names, references and contact details."""
    for name in _ONE_LINE_FIELDS:
        setattr(client, name, neutralise(getattr(client, name)))
    client.address = neutralise(client.address, multiline=True)


def check_date_of_birth(born: datetime.date | None) -> None:
    """Refuse a date of birth that cannot be true: before 1900 or after today (local date).

    Raises ValidationError keyed by "date_of_birth". Forms call it too, so the message
    is the same beside the field.
    """
    if born is None:
        return
    if born > timezone.localdate():
        raise ValidationError({"date_of_birth": "The date of birth cannot be in the future."})
    if born < EARLIEST_BIRTH:
        raise ValidationError({"date_of_birth": "The date of birth cannot be before 1900: check the year."})


def check_identifiers(client: Client, *, stored: Client | None = None) -> None:
    """Normalise the client's NHS and NI numbers in place (NHS: 10 digits; NI: upper case,
    no spaces) and refuse invalid ones: the NHS number's modulus 11 check digit (NHS Data
    Dictionary) and HMRC's NI format (see clients.identifiers). A number unchanged from
    `stored` (the record as saved) is not re-checked, so a record saved before this rule can
    still be edited. Raises ValidationError keyed by field."""
    problems = {}
    for name, problem_of in (("nhs_number", nhs_number_problem), ("national_insurance_number", ni_number_problem)):
        value = normalise_identifier(getattr(client, name))
        setattr(client, name, value)
        if stored is not None and normalise_identifier(getattr(stored, name)) == value:
            continue
        problem = problem_of(value)
        if problem:
            problems[name] = problem
    if problems:
        raise ValidationError(problems)


def _check_details(client: Client, *, stored: Client | None = None) -> None:
    _clean_text(client)
    check_identifiers(client, stored=stored)
    client.full_clean()
    check_date_of_birth(client.date_of_birth)


def _new_reference() -> str:
    while True:
        reference = references.new_client_reference()
        if not Client.objects.filter(reference=reference).exists():
            return reference


@transaction.atomic
def client_create(
    *,
    actor,
    team: Team,
    first_name: str,
    last_name: str,
    reference: str = "",
    opened_on: datetime.date | None = None,
    assign_to=None,
    source: str = "",
    **details,
) -> Client:
    """Open a case for a new client in `team`.

    The team's managers can see it at once; `assign_to` (by default the creator, when they
    are a caseworker) gets it on their caseload. `source` says where the record came from
    when it was not typed in here (an import). Raises ValidationError (keyed by field).
    """
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"client_create() got unexpected fields {sorted(unknown)}")
    client = Client(
        team=team,
        reference=reference or _new_reference(),
        first_name=first_name,
        last_name=last_name,
        opened_on=opened_on or timezone.localdate(),
        source=source,
        **details,
    )
    _check_details(client)
    _as_of(client, actor).save()
    _grant_team(client, team, _open_client_permission())
    if assign_to is None and getattr(actor, "role", None) == Role.CASEWORKER:
        assign_to = actor
    if assign_to is not None:
        assignment_start(actor=actor, client=client, caseworker=assign_to, started_on=client.opened_on)
    timeline_record(client=client, kind=TimelineEvent.Kind.CASE_OPENED, summary=f"Case opened in {team}", actor=actor)
    return client


@transaction.atomic
def client_update(*, actor, client: Client, **changes) -> Client:
    """Change identity and contact details. Other fields have services of their own."""
    unknown = set(changes) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"client_update() cannot change {sorted(unknown)}")
    client = Client.objects.select_for_update().get(pk=client.pk)
    stored = Client(nhs_number=client.nhs_number, national_insurance_number=client.national_insurance_number)
    for name, value in changes.items():
        setattr(client, name, value)
    _check_details(client, stored=stored)
    _as_of(client, actor).save()
    return client


@transaction.atomic
def client_move(*, actor, client: Client, team: Team, reason: str, keep_assignments: bool = False) -> ClientMove:
    """Move a client to another team: the new team's managers gain access, the old team's lose it.

    Takes the manager moving them, the client, the new team, the reason (required, kept
    with the move and as the change reason of the client's history row) and whether to
    keep the assignments of caseworkers who are also members of the new team; every other
    assignment ends (its caseworker's access with it). Returns the ClientMove row, which
    both teams' managers see on their "needs a key worker" lists.

    Raises ValidationError when the reason is empty, the team is the client's own or is
    inactive.
    """
    reason = reason.strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why the client is moving to another team."
    client = Client.objects.select_for_update().select_related("team").get(pk=client.pk)
    if client.team_id == team.pk:
        errors["team"] = f"{client.display_name} is already in {team}."
    elif not team.is_active:
        errors["team"] = f"{team} is not an active team."
    if errors:
        raise ValidationError(errors)
    old_team = client.team
    permission = _open_client_permission()
    _revoke_team(client, old_team.pk, permission)
    client.team = team
    client._change_reason = f"Moved to {team}: {reason}"[:100]
    _as_of(client, actor).save()
    _grant_team(client, team, permission)
    timeline_record(
        client=client,
        kind=TimelineEvent.Kind.CASE_MOVED,
        summary=f"Moved from {old_team} to {team}: {reason}",
        actor=actor,
    )
    open_assignments = list(Assignment.objects.select_for_update().filter(client=client, ended_on__isnull=True))
    members = set(
        TeamMembership.objects.filter(team=team, user__in=[a.caseworker_id for a in open_assignments]).values_list(
            "user_id", flat=True
        )
    )
    ended = kept = 0
    for assignment in open_assignments:
        if keep_assignments and assignment.caseworker_id in members:
            kept += 1
        else:
            assignment_end(actor=actor, assignment=assignment, reason=f"Client moved to {team}")
            ended += 1
    return ClientMove.objects.create(
        client=client,
        from_team=old_team,
        to_team=team,
        moved_by=actor,
        moved_at=timezone.now(),
        reason=reason,
        assignments_ended=ended,
        assignments_kept=kept,
    )


@transaction.atomic
def client_close(*, actor, client: Client, reason: str, closed_on: datetime.date | None = None) -> Client:
    """Close the case. From then on everyone, the key worker included, needs a reason to open it."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.is_closed:
        raise ValidationError("This case is already closed.")
    if not reason.strip():
        raise ValidationError({"closure_reason": "Say why the case is being closed."})
    closed_on = closed_on or timezone.localdate()
    if closed_on < client.opened_on:
        raise ValidationError({"closed_on": "A case cannot close before it opened."})
    if closed_on > timezone.localdate():
        raise ValidationError({"closed_on": "The closing date cannot be in the future."})
    client.status = Client.Status.CLOSED
    client.closed_on = closed_on
    client.closure_reason = reason.strip()
    client.full_clean()
    _as_of(client, actor).save()
    timeline_record(
        client=client, kind=TimelineEvent.Kind.CASE_CLOSED, summary=f"Case closed: {client.closure_reason}", actor=actor
    )
    return client


@transaction.atomic
def client_reopen(*, actor, client: Client) -> Client:
    client = Client.objects.select_for_update().get(pk=client.pk)
    if not client.is_closed:
        raise ValidationError("This case is already open.")
    client.status = Client.Status.OPEN
    client.closed_on = None
    client.closure_reason = ""
    client.full_clean()
    _as_of(client, actor).save()
    timeline_record(client=client, kind=TimelineEvent.Kind.CASE_REOPENED, summary="Case reopened", actor=actor)
    return client


# --- Assignments (the caseload) -----------------------------------------------------------


@transaction.atomic
def assignment_start(
    *, actor, client: Client, caseworker, is_key_worker: bool = True, started_on: datetime.date | None = None
) -> Assignment:
    """Put `client` on `caseworker`'s caseload and grant them access to the record."""
    if not caseworker.is_active:
        raise ValidationError({"caseworker": "This person's account is not active."})
    if caseworker.role != Role.CASEWORKER:
        raise ValidationError({"caseworker": f"{caseworker} is not a caseworker: only caseworkers hold a caseload."})
    if not caseworker.memberships.filter(team_id=client.team_id).exists():
        raise ValidationError({"caseworker": f"{caseworker} is not a member of {client.team}."})
    # Lock the client so two managers assigning at once cannot both make a key worker.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    if Assignment.objects.filter(client=client, caseworker=caseworker, ended_on__isnull=True).exists():
        raise ValidationError({"caseworker": f"{client.display_name} is already on {caseworker}'s caseload."})
    if is_key_worker:
        for previous in Assignment.objects.filter(client=client, ended_on__isnull=True, is_key_worker=True):
            previous.is_key_worker = False
            _as_of(previous, actor).save(update_fields=["is_key_worker"])
    assignment = Assignment(
        client=client,
        caseworker=caseworker,
        is_key_worker=is_key_worker,
        started_on=started_on or timezone.localdate(),
        started_by=actor,
    )
    assignment.full_clean()
    _as_of(assignment, actor).save()
    assignment_grant_access(assignment)
    return assignment


def assignment_grant_access(assignment: Assignment) -> None:
    """Give an open assignment's caseworker their access row for its client (idempotent)."""
    ClientUserObjectPermission.objects.get_or_create(
        user_id=assignment.caseworker_id, permission=_open_client_permission(), content_object_id=assignment.client_id
    )


@transaction.atomic
def assignment_end(
    *, actor, assignment: Assignment, ended_on: datetime.date | None = None, reason: str = ""
) -> Assignment:
    """Take the client off the caseworker's caseload. Their next request for it is denied.

    `actor` may be None when no person did it (a script); `reason` says why when it was
    not a manager's own decision ("Left Outreach North"). Raises ValidationError if the
    assignment has already ended or `ended_on` is before it started.
    """
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.ended_on is not None:
        raise ValidationError("This assignment has already ended.")
    ended_on = ended_on or timezone.localdate()
    if ended_on < assignment.started_on:
        # Started today-or-later elsewhere (e.g. a future start date): it ends the day it starts.
        if reason:
            ended_on = assignment.started_on
        else:
            raise ValidationError({"ended_on": "An assignment cannot end before it started."})
    assignment.ended_on = ended_on
    assignment.ended_by = actor
    assignment.end_reason = reason[:200]
    _as_of(assignment, actor).save(update_fields=["ended_on", "ended_by", "end_reason"])
    ClientUserObjectPermission.objects.filter(
        user_id=assignment.caseworker_id, permission__codename=OPEN_CLIENT, content_object_id=assignment.client_id
    ).delete()
    return assignment


# --- Information entries and case notes ---------------------------------------------------


def _check_category(category: str) -> None:
    if category not in REGISTRY:
        raise ValidationError({"category": "Choose a data category."})


def text_limits() -> dict[str, int]:
    """Longest accepted text per field, in characters (settings CASE_SUMMARY_MAX_CHARS and
    CASE_TEXT_MAX_CHARS); forms use the same numbers so the message appears beside the field."""
    return {
        "summary": settings.CASE_SUMMARY_MAX_CHARS,
        "detail": settings.CASE_TEXT_MAX_CHARS,
        "text": settings.CASE_TEXT_MAX_CHARS,
    }


def _check_lengths(instance) -> None:
    errors = {}
    for name, limit in text_limits().items():
        value = getattr(instance, name, None)
        if value is not None and len(value) > limit:
            errors[name] = f"This is {len(value):,} characters long: keep it to {limit:,}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def entry_create(*, actor, client: Client, category: str, summary: str, detail: str = "") -> InformationEntry:
    _check_category(category)
    entry = InformationEntry(
        client=client,
        category=category,
        summary=neutralise(summary, multiline=True),
        detail=neutralise(detail, multiline=True),
        recorded_by=actor,
    )
    _check_lengths(entry)
    entry.full_clean()
    _as_of(entry, actor).save()
    return entry


@transaction.atomic
def entry_update(*, actor, entry: InformationEntry, summary: str, detail: str = "") -> InformationEntry:
    """Change what an entry says. Its category is fixed: move information by adding a new entry."""
    entry = InformationEntry.objects.select_for_update().get(pk=entry.pk)
    entry.summary = neutralise(summary, multiline=True)
    entry.detail = neutralise(detail, multiline=True)
    _check_lengths(entry)
    entry.full_clean()
    _as_of(entry, actor).save(update_fields=["summary", "detail", "updated_at"])
    return entry


@transaction.atomic
def note_create(*, actor, client: Client, category: str, text: str, held_in_confidence: bool = False) -> CaseNote:
    _check_category(category)
    note = CaseNote(
        client=client,
        category=category,
        text=neutralise(text, multiline=True),
        held_in_confidence=held_in_confidence,
        author=actor,
    )
    _check_lengths(note)
    note.full_clean()
    _as_of(note, actor).save()
    return note


@transaction.atomic
def note_update(*, actor, note: CaseNote, category: str, text: str, held_in_confidence: bool = False) -> CaseNote:
    _check_category(category)
    note = CaseNote.objects.select_for_update().get(pk=note.pk)
    note.category = category
    note.text = neutralise(text, multiline=True)
    note.held_in_confidence = held_in_confidence
    _check_lengths(note)
    note.full_clean()
    _as_of(note, actor).save(update_fields=["category", "text", "held_in_confidence", "updated_at"])
    return note


# --- Alerts -----------------------------------------------------------------------------------


@transaction.atomic
def alert_raise(*, actor, client: Client, kind: str, text: str, review_by: datetime.date | None = None) -> Alert:
    """Raise a warning on the client's record (e.g. a risk to staff); returns the new Alert.

    `review_by` (a local date, optional) must not be in the past. Writes the alert's
    history row and an "alert raised" timeline event in the same transaction.
    Raises ValidationError naming the field for an unknown kind, empty text or a past date.
    """
    alert = Alert(
        client=client,
        kind=kind,
        text=neutralise(text, multiline=True),
        review_by=review_by,
        raised_by=actor,
        raised_at=timezone.now(),
    )
    alert.full_clean()
    if review_by is not None and review_by < timezone.localdate():
        raise ValidationError({"review_by": "The review date cannot be in the past."})
    _as_of(alert, actor).save()
    timeline_record(
        client=client,
        kind=TimelineEvent.Kind.ALERT_RAISED,
        summary=f"{alert.get_kind_display()}: {alert.text}",
        actor=actor,
        categories=["risk_to_staff"] if alert.is_staff_safety else [],
        obj=alert,
    )
    return alert


@transaction.atomic
def alert_end(*, actor, alert: Alert, reason: str) -> Alert:
    """End an active alert, saying why (e.g. "risk assessment reviewed: no longer applies").

    Locks the alert, so two people ending it at once end it once. Returns the ended Alert.
    Raises ValidationError if it has already ended or `reason` is empty.
    """
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.ended_at is not None:
        raise ValidationError("This alert has already ended.")
    reason = neutralise(reason, multiline=True)
    if not reason:
        raise ValidationError({"end_reason": "Say why the alert no longer applies."})
    alert.ended_at = timezone.now()
    alert.ended_by = actor
    alert.end_reason = reason
    alert.full_clean()
    _as_of(alert, actor).save(update_fields=["ended_at", "ended_by", "end_reason"])
    timeline_record(
        client=alert.client,
        kind=TimelineEvent.Kind.ALERT_ENDED,
        summary=f"{alert.get_kind_display()} alert ended: {reason}",
        actor=actor,
        categories=["risk_to_staff"] if alert.is_staff_safety else [],
        obj=alert,
    )
    return alert


# --- The timeline -------------------------------------------------------------------------------


def timeline_record(
    *,
    client: Client,
    kind: str,
    summary: str,
    actor=None,
    categories: Iterable[str] = (),
    obj=None,
    at: datetime.datetime | None = None,
) -> TimelineEvent:
    """Add a key event to the client's timeline; call it inside the transaction of the work.

    The public road for the apps above clients (consent, sharing, statutory requests) to
    put their events beside the case notes. `kind` is a `TimelineEvent.Kind` value;
    `category` a data-category key the event is about (blank: the case as a whole);
    `summary` plain text, cut to 300 characters, that must not say more than the category
    itself would; `obj` the model instance the event is about (stored as app.model and
    id, never a foreign key); `at` an aware datetime, by default now (UTC).
    Raises ValidationError for an unknown kind or category.
    """
    if kind not in TimelineEvent.Kind.values:
        raise ValidationError(f"Unknown timeline event kind {kind!r}.")
    keys = [key for key in REGISTRY if key in set(categories)]
    unknown = set(categories) - set(keys)
    if unknown:
        raise ValidationError(f"Unknown data categories {sorted(unknown)}.")
    summary = neutralise(summary)
    if len(summary) > 300:
        summary = summary[:299] + "…"
    return TimelineEvent.objects.create(
        client_id=client.pk,
        at=at or timezone.now(),
        kind=kind,
        categories=f",{','.join(keys)}," if keys else "",
        summary=summary,
        actor=actor if getattr(actor, "pk", None) else None,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
    )


# --- Legal hold ------------------------------------------------------------------------------
# A warrant or production-order notice puts a client's records under legal hold
# (`Client.legal_hold_since`, set and lifted by statutory's services). Every path that
# deletes or anonymises client data (`rights.services.client_anonymise`, which erasure
# requests and retention batches go through) calls this guard first, inside its transaction.


class UnderLegalHold(ValidationError):
    """The client's records are under legal hold: nothing about them may be deleted or anonymised."""


def client_erasure_check(*, client: Client) -> None:
    """Refuse to delete or anonymise a client under legal hold, saying why the hold was placed.

    Locks the client row, so call it inside the transaction that erases: a hold placed
    meanwhile waits for it, or wins. Raises UnderLegalHold (a ValidationError, code
    "legal_hold") whose message names the date and the reason of the hold.
    """
    held = (
        Client.objects.select_for_update()
        .filter(pk=client.pk)
        .values_list("legal_hold_since", "legal_hold_reason")
        .first()
    )
    if held is not None and held[0] is not None:
        since, reason = held
        raise UnderLegalHold(
            f"This client's records are under legal hold since {timezone.localtime(since):%d %B %Y} "
            f"({reason or 'a warrant or production order'}): nothing about them may be deleted or anonymised "
            "until a manager lifts the hold.",
            code="legal_hold",
        )
