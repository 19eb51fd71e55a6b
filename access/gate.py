"""THE GATE: the one permission check every read of client data passes.

Every page, fragment, download and admin view that shows client information calls the
gate; nothing else fetches a client for display, export or sharing.

The rule
--------
A person may open a client when a guardian permission row says so — their own row
(an open caseload assignment, `ClientUserObjectPermission`) or a row of a group they are
in (their team's manager group, `ClientGroupObjectPermission`) — and the case is open.
Anything else (outside the caseload, a closed case, the information security officer,
admins) opens only with a typed reason: "break the glass". It is audited as such and shows
up in the managers' access review. Nobody browses freely. `clients_visible_to(user)` is the
same rule over the same rows (the ids of those rows), so a list and a record never disagree. Nothing is cached
between requests: ending an assignment denies the very next request.

Every decision, allowed or denied, writes exactly one `AccessEvent`. If that row cannot
be written the gate raises `AuditUnavailable` and the caller shows nothing (fail closed).

Using it from a view (the one road)
-----------------------------------
For a view whose URL carries `client_id`, decorate it; the view receives the `Access`::

    from access.gate import Action, client_view

    @client_view(action=Action.VIEW, categories=["identity"])
    def consent_tab(request, access):
        client = access.client          # the only way to the Client
        ...

`client_view` runs the check and the view in one transaction (so the audit row and the
work commit or roll back together); for a page read (GET, HEAD) by someone the rule admits
without a reason it instead checks and writes the audit row in one statement that commits
before the view runs (`_open_at_once`: one round trip instead of the check and the INSERT; the
view still runs in a transaction unless it declares `reads_only`). It keeps the
denied row when it refuses, sends a person
who needs a reason to the reason page (`access:reason`, back to this page afterwards),
answers 404 otherwise — the same for an unknown id as for a forbidden one — and answers
503 with nothing shown when the audit cannot be written. Unsafe methods (POST, …) are
audited as `post_action` (EDIT by default). `team_manager_only=True` admits only the
client's own team managers (assignments, closing a case): a reason does not replace that.

For a view that reaches the client through another object (a referral, a download), call
`gate_client` with the object; `access.middleware.GateMiddleware` turns a refusal into the
reason-page redirect or a 404 and an audit failure into a 503::

    referral = Referral.objects.filter(pk=pk).first()
    access = gate_client(request, referral.client_id if referral else None,
                         action=Action.DOWNLOAD, obj=referral, categories=[...])

Call it before opening a `transaction.atomic()` of your own, or catch `AccessDenied`
inside it: a refusal that escapes an atomic block rolls back its own denied row.
The reason a person gave on the reason page is kept in their session for
`BREAK_GLASS_MINUTES` for that client and used by every gated request for it
(each one audited as break-the-glass with the reason).

Lists and searches audit the query, not every row: `record_list(user, action=Action.LIST,
request=request, detail="sort=name q=smith")` over `clients_visible_to(user)`.
`open_client_log` admits the client's team managers and the information security officer
to "who accessed this record" (audited as HISTORY).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, Team
from clients.models import Client, ClientGroupObjectPermission, ClientUserObjectPermission

from .models import AccessEvent

Action = AccessEvent.Action
Outcome = AccessEvent.Outcome

OPEN_CLIENT = "open_client"

# How long a reason given on the reason page opens that client for, in this session.
BREAK_GLASS_MINUTES = 30
SESSION_KEY = "access.break_glass"

REASON_CATEGORIES = [
    ("safeguarding", "Safeguarding concern"),
    ("covering", "Covering for a colleague"),
    ("duty", "Duty / triage"),
    ("data_protection", "Data-protection request"),
    ("other", "Other"),
]
REASON_LABELS = dict(REASON_CATEGORIES)

# Why a reason was needed; stored in AccessEvent.detail and read by the access review.
OUTSIDE_CASELOAD = "outside caseload"
CLOSED_CASE = "closed case"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Actions that add to or change a record, or send it out: refused on an anonymised record,
# as is any form post about one, whatever it is audited as (an e-mail sent again, admin).
WRITE_ACTIONS = frozenset({Action.EDIT, Action.SHARE, Action.STATUTORY})


def _unsafe(request) -> bool:
    return request is not None and getattr(request, "method", "GET") not in SAFE_METHODS


# Ids above a 64-bit column's range name no client (and SQLite could not even bind them).
BIGGEST_ID = 2**63 - 1


class AccessDenied(Http404):
    """Raised for a client the user may not open. Looks like "not found" to outsiders.

    `needs_reason` is set when a break-the-glass reason would let the person in; views
    then send them to `reason_url(client_id, next)`.
    """

    def __init__(self, message: str = "No client found.", *, needs_reason: bool = False, client_id=None):
        super().__init__(message)
        self.needs_reason = needs_reason
        self.client_id = client_id


class RecordAnonymised(AccessDenied):
    """A write about a client whose record was anonymised (rights.services.client_anonymise):
    the record is read-only. Raised only to someone the gate would otherwise let in, so it
    tells them why instead of looking like "not found"; `message` says since when."""

    def __init__(self, client: Client):
        super().__init__(anonymised_message(client), client_id=client.pk)
        self.message = anonymised_message(client)


def anonymised_message(client: Client) -> str:
    """Why nothing can be written about `client` (its `anonymised_at` must be set)."""
    return (
        f"This record was anonymised on {timezone.localtime(client.anonymised_at):%d %B %Y}; "
        "nothing can be added or changed."
    )


class RecordMerged(Exception):
    """The id names a record merged into another (clients.merge): `client_view` redirects
    to the same page of `survivor_id`. Nothing has been shown, so nothing is audited."""

    def __init__(self, survivor_id: int):
        super().__init__(f"merged into {survivor_id}")
        self.survivor_id = survivor_id


class AuditUnavailable(Exception):
    """The audit row could not be written, so nothing may be shown or shared."""


@dataclass
class Access:
    """Proof that the gate let `user` open `client`; carries the audit row it wrote."""

    user: object
    client: Client
    event: AccessEvent
    relationship: str  # "caseload", "team" or "outside"
    break_glass: bool = False
    categories: list[str] = field(default_factory=list)
    reason: str = ""
    reason_category: str = ""
    obj: object = None

    @property
    def is_team_manager(self) -> bool:
        """Whether the person manages the client's team (holds the team group's permission)."""
        return self.relationship == "team" or getattr(self.client, "team_row", False)

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.reason_category, self.reason_category)


# --- The rule ------------------------------------------------------------------------------


def _own_row(user):
    return ClientUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user_id=user.pk, permission__codename=OPEN_CLIENT
    )


def _group_row(user):
    return ClientGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"), group__user=user.pk, permission__codename=OPEN_CLIENT
    )


def permitted(user) -> Q:
    """The permission half of the rule, as a filter: an own row OR a row of one of the user's groups."""
    if not getattr(user, "pk", None):
        return Q(pk__in=[])
    return Q(Exists(_own_row(user))) | Q(Exists(_group_row(user)))


def permitted_ids(user) -> QuerySet:
    """The same rule as `permitted()`, as the ids it admits: the person's own rows, then their groups'."""
    own = ClientUserObjectPermission.objects.filter(user_id=user.pk, permission__codename=OPEN_CLIENT)
    group = ClientGroupObjectPermission.objects.filter(group__user=user.pk, permission__codename=OPEN_CLIENT)
    return own.values("content_object_id").union(group.values("content_object_id"), all=True)


def clients_visible_to(user) -> QuerySet[Client]:
    """The list counterpart of `open_client`: the clients it opens without a reason.

    Written as `id IN (own rows UNION ALL group rows)` rather than `permitted()`'s two ORed
    EXISTS: PostgreSQL then starts from the person's permission rows, so a caseload costs
    what it holds. The EXISTS form made it scan every open client in the table, and at
    100,000 clients its cost estimate also switched on JIT compilation (BENCHMARKS.md).
    """
    if not getattr(user, "pk", None):
        return Client.objects.none()
    return Client.objects.filter(pk__in=permitted_ids(user), status=Client.Status.OPEN)


def _with_relationship(user, queryset: QuerySet[Client]) -> QuerySet[Client]:
    if not getattr(user, "pk", None):
        return queryset.none()
    return queryset.annotate(own_row=Exists(_own_row(user)), team_row=Exists(_group_row(user)))


@functools.cache
def _opening_sql() -> str:
    """The client, its team and both halves of the rule for one person, as one statement.

    The same rule as `permitted()`/`_with_relationship()`, written out once per process:
    compiling the ORM's two EXISTS subqueries on every request cost about as much CPU as
    the rest of the gate together (BENCHMARKS.md), and opening a client is the hot path.
    access/tests/test_opening_query.py holds the two forms to the same answers. Only
    identifiers from model metadata are interpolated; every value is a parameter.
    """
    qn = connection.ops.quote_name
    client, team = Client._meta, Team._meta
    own, group = ClientUserObjectPermission._meta, ClientGroupObjectPermission._meta
    member = get_user_model().groups.through._meta
    perm = Permission._meta

    def col(meta, name):
        return qn(meta.get_field(name).column)

    client_cols = ", ".join(f"c.{qn(f.column)}" for f in client.concrete_fields)
    team_cols = ", ".join(f"t.{qn(f.column)} AS {qn('team__' + f.column)}" for f in team.concrete_fields)

    def granted(meta, *, via: str = "") -> str:
        # One permission row of `meta`'s table for this client and open_client, held by the person.
        # The client id is a parameter here too, not c.id: uncorrelated, it plans in half the time.
        return (
            f"EXISTS (SELECT 1 FROM {qn(meta.db_table)} x {via}"  # noqa: S608 (identifiers from model metadata; values are parameters)
            f" JOIN {qn(perm.db_table)} p ON p.{col(perm, 'id')} = x.{col(meta, 'permission')}"
            f" WHERE x.{col(meta, 'content_object')} = %s"
            f" AND {'m.' + col(member, 'user') if via else 'x.' + col(meta, 'user')} = %s"
            f" AND p.{col(perm, 'codename')} = %s)"
        )

    own_row = granted(own)
    team_row = granted(group, via=f"JOIN {qn(member.db_table)} m ON m.{col(member, 'group')} = x.{col(group, 'group')}")
    return (
        f"SELECT {client_cols}, {team_cols}, {own_row} AS own_row, {team_row} AS team_row "  # noqa: S608 (identifiers from model metadata; values are parameters)
        f"FROM {qn(client.db_table)} c JOIN {qn(team.db_table)} t ON t.{col(team, 'id')} = c.{col(client, 'team')} "
        f"WHERE c.{col(client, 'id')} = %s"
    )


def _open_with_relationship(user, pk: int) -> Client | None:
    """`_with_relationship(user, Client.objects.select_related("team").filter(pk=pk)).first()`, in one
    precompiled statement: the client with its team, `own_row` and `team_row`; None if there is none."""
    if not getattr(user, "pk", None) or pk > BIGGEST_ID:
        return None
    found = list(Client.objects.raw(_opening_sql(), [pk, user.pk, OPEN_CLIENT, pk, user.pk, OPEN_CLIENT, pk]))
    return _opened(found[0]) if found else None


def _opened(client: Client) -> Client:
    """A client row of `_opening_sql` with its team attached and both flags as booleans."""
    fields = Team._meta.concrete_fields
    team = Team.from_db(
        connection.alias,
        [f.attname for f in fields],
        [f.to_python(getattr(client, "team__" + f.column)) for f in fields],
    )
    Client._meta.get_field("team").set_cached_value(client, team)
    client.own_row, client.team_row = bool(client.own_row), bool(client.team_row)
    return client


# The event's columns the statement below fills, in order: every concrete field but the key.
def _event_fields():
    return [f for f in AccessEvent._meta.concrete_fields if not f.primary_key]


@functools.cache
def _open_and_record_sql() -> str:
    """`_opening_sql`, and the allowed audit row written by the same statement (PostgreSQL).

    One round trip instead of BEGIN, the check, the INSERT and COMMIT: the INSERT of a
    data-modifying CTE writes the row only when the rule opens the client without a reason
    (a permission row, or the team's for `team_manager_only`; an open case; not merged),
    and the statement is its own transaction, committed before anything is shown. The
    client comes back with `event_id` (NULL when nothing was written: `open_client` then
    decides, and audits, the refusal or the reason as before). Identifiers from model
    metadata only; every value is a parameter, cast to its column's type.
    """
    qn = connection.ops.quote_name
    columns, values = [], []
    for f in _event_fields():
        columns.append(qn(f.column))
        values.append("o.id" if f.name == "client" else f"CAST(%s AS {f.db_type(connection)})")
    status = qn(Client._meta.get_field("status").column)
    merged = qn(Client._meta.get_field("merged_into").column)
    return (
        f"WITH o AS ({_opening_sql()}), "  # noqa: S608 (identifiers from model metadata; values are parameters)
        f"e AS (INSERT INTO {qn(AccessEvent._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM o WHERE (o.team_row OR (o.own_row AND NOT %s)) "
        f"AND o.{status} <> %s AND o.{merged} IS NULL RETURNING id) "
        "SELECT o.*, (SELECT id FROM e) AS event_id FROM o"
    )


def _open_at_once(
    user, pk: int, *, action: str, request, obj, categories: list[str], purpose: str, team_manager_only: bool
) -> Access | None:
    """Open a client a person may open without a reason, and write its audit row, in one statement.

    Returns the Access, or None when the client is unknown, merged, closed, outside the
    person's caseload (or not their team's, with `team_manager_only`): nothing has been
    written then, and `open_client` decides (and audits) as usual. PostgreSQL only; raises
    AuditUnavailable, having written nothing, when the statement fails.
    """
    if not getattr(user, "pk", None) or pk > BIGGEST_ID:
        return None
    event = AccessEvent(
        at=timezone.now(),
        actor=user,
        action=action,
        outcome=Outcome.ALLOWED,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        categories=list(categories),
        purpose=purpose[:200],
        **_request_meta(request),
    )
    params = [f.get_db_prep_save(getattr(event, f.attname), connection) for f in _event_fields() if f.name != "client"]
    params = [pk, user.pk, OPEN_CLIENT, pk, user.pk, OPEN_CLIENT, pk, *params, team_manager_only, Client.Status.CLOSED]
    try:
        # Outside a transaction (a request) the statement is its own; inside one (tests), a savepoint.
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            found = list(Client.objects.raw(_open_and_record_sql(), params))
    except DatabaseError as exc:
        raise AuditUnavailable("The access could not be recorded.") from exc
    if not found or found[0].event_id is None:
        return None
    client = _opened(found[0])
    event.pk, event.client = client.event_id, client
    event._state.adding, event._state.db = False, connection.alias
    return Access(
        user=user,
        client=client,
        event=event,
        relationship=_relationship_of(client),
        categories=list(categories),
        obj=obj,
    )


def _relationship_of(client: Client) -> str:
    if client.own_row:
        return "caseload"
    if client.team_row:
        return "team"
    return "outside"


def relationship(user, client: Client) -> str:
    """'caseload', 'team' or 'outside' — how this person stands to this client."""
    annotated = _with_relationship(user, Client.objects.filter(pk=client.pk)).first()
    return _relationship_of(annotated) if annotated is not None else "outside"


# --- The audit row -------------------------------------------------------------------------


def _request_meta(request) -> dict:
    if request is None:
        return {}
    session_key = getattr(getattr(request, "session", None), "session_key", None) or ""
    return {
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "session_hash": hashlib.sha256(session_key.encode()).hexdigest() if session_key else "",
    }


def record(
    user,
    *,
    action: str,
    outcome: str,
    client: Client | None = None,
    request=None,
    obj=None,
    categories: Iterable[str] = (),
    purpose: str = "",
    reason: str = "",
    reason_category: str = "",
    break_glass: bool = False,
    basis: str = "",
    detail: str = "",
) -> AccessEvent:
    """Write one audit row. If it cannot be written, raise AuditUnavailable: show nothing."""
    # Inside a caller's transaction, a savepoint, so that transaction is still usable to
    # report the failure — except for client_view's own check, whose whole transaction a
    # failure ends anyway. Outside one, the INSERT alone is its own transaction (committed
    # before it returns), so no BEGIN and COMMIT round trips around it.
    in_callers_transaction = connection.in_atomic_block and not _CHECK_OWNS_TRANSACTION.get()
    try:
        with transaction.atomic() if in_callers_transaction else contextlib.nullcontext():
            return AccessEvent.objects.create(
                at=timezone.now(),
                actor=user if getattr(user, "pk", None) else None,
                action=action,
                outcome=outcome,
                client=client,
                object_type=obj._meta.label if obj is not None else "",
                object_id=str(obj.pk) if obj is not None else "",
                categories=list(categories),
                purpose=purpose[:200],
                reason=reason,
                reason_category=reason_category[:40],
                break_glass=break_glass,
                basis=basis[:200],
                detail=detail,
                **_request_meta(request),
            )
    except DatabaseError as exc:
        raise AuditUnavailable("The access could not be recorded.") from exc


def record_list(user, *, action: str = Action.LIST, request=None, detail: str = "") -> AccessEvent:
    """Audit a list or a search once — the query, not every row it returns."""
    return record(user, action=action, outcome=Outcome.ALLOWED, request=request, detail=detail)


# --- Opening a client ----------------------------------------------------------------------


def _client_pk(client_id) -> int | None:
    if isinstance(client_id, Client):
        return client_id.pk
    try:
        pk = int(client_id)
    except (TypeError, ValueError):
        return None
    return pk if pk > 0 else None


def open_client(
    user,
    client_id,
    *,
    action: str = Action.VIEW,
    request=None,
    obj=None,
    categories: Iterable[str] = (),
    purpose: str = "",
    reason: str = "",
    reason_category: str = "",
    team_manager_only: bool = False,
    object_missing: bool = False,
    redirect_merged: bool = False,
) -> Access:
    """Decide whether `user` may open the client, write the audit row, return `Access`.

    Raises AccessDenied (after writing a denied row) or AuditUnavailable (nothing written).
    With `request`, a reason given on the reason page in this session is used.
    `object_missing` says the thing asked for inside the client (an entry, a note) does
    not exist: the answer is then a refusal that looks like any other.
    A record merged into another (clients.merge) is opened as the surviving record, which
    the person must be allowed to open; with `redirect_merged` it raises RecordMerged
    instead, before anything is written, so a page can send the person to the survivor's URL.
    """
    categories = list(categories)
    pk = _client_pk(client_id)
    client = None
    if pk is not None:
        client = _open_with_relationship(user, pk)
    merged_from = ""
    if client is not None and client.merged_into_id is not None:
        if redirect_merged:
            raise RecordMerged(client.merged_into_id)
        merged_from, pk = client.reference, client.merged_into_id
        client = _open_with_relationship(user, pk)
    if not reason.strip() and request is not None and pk is not None:
        reason_category, reason = session_reason(request, pk)
    has_reason = bool(reason.strip())

    def deny(detail: str, *, needs_reason: bool, about: Client | None = client):
        if merged_from:
            detail += f" (asked for {merged_from}, merged into this record)"
        record(
            user,
            action=action,
            outcome=Outcome.DENIED,
            client=about,
            request=request,
            obj=obj,
            categories=categories,
            purpose=purpose,
            reason=reason,
            reason_category=reason_category if has_reason else "",
            detail=detail,
        )
        raise AccessDenied(needs_reason=needs_reason, client_id=pk)

    if client is None:
        # To someone without a reason, an unknown id must look like a forbidden one.
        deny(f"no client with id {str(client_id)[:40]!r}", needs_reason=not has_reason and not team_manager_only)

    rel = _relationship_of(client)
    if team_manager_only and not client.team_row:
        deny("only the client's team managers may do this", needs_reason=False)

    why = []
    if rel == "outside":
        why.append(OUTSIDE_CASELOAD)
    if client.is_closed:
        why.append(CLOSED_CASE)
    break_glass = bool(why)
    if break_glass and not has_reason:
        deny("reason required: " + ", ".join(why), needs_reason=True)
    if object_missing:
        deny("no such record for this client", needs_reason=False)
    if client.anonymised_at is not None and (action in WRITE_ACTIONS or _unsafe(request)):
        refuse_anonymised(user, client, action=action, request=request, obj=obj, categories=categories)

    event = record(
        user,
        action=action,
        outcome=Outcome.ALLOWED,
        client=client,
        request=request,
        obj=obj,
        categories=categories,
        purpose=purpose,
        reason=reason if break_glass else "",
        reason_category=reason_category if break_glass else "",
        break_glass=break_glass,
        detail=", ".join([*why, *([f"asked for {merged_from}, merged into this record"] if merged_from else [])]),
    )
    return Access(
        user=user,
        client=client,
        event=event,
        relationship=rel,
        break_glass=break_glass,
        categories=categories,
        reason=reason if break_glass else "",
        reason_category=reason_category if break_glass else "",
        obj=obj,
    )


def refuse_anonymised(user, client: Client, *, action: str, request=None, obj=None, categories=()) -> None:
    """Write the denied row for a write about an anonymised client and raise RecordAnonymised."""
    record(
        user,
        action=action,
        outcome=Outcome.DENIED,
        client=client,
        request=request,
        obj=obj,
        categories=categories,
        detail="record anonymised: read-only",
    )
    raise RecordAnonymised(client)


def open_client_log(user, client_id, *, request=None) -> Access:
    """ "Who accessed this record": for the client's team managers and the information
    security officer only (subject access requests). Audited as HISTORY; no reason is
    needed, since the page shows the access log, not the record.
    """
    pk = _client_pk(client_id)
    client = None
    if pk is not None:
        client = _open_with_relationship(user, pk)
    allowed = client is not None and (
        getattr(user, "role", None) == Role.INFORMATION_SECURITY_OFFICER or bool(client.team_row)
    )
    if not allowed:
        record(
            user,
            action=Action.HISTORY,
            outcome=Outcome.DENIED,
            client=client,
            request=request,
            detail="only the team's managers and the information security officer see who accessed a record"
            if client
            else f"no client with id {str(client_id)[:40]!r}",
        )
        raise AccessDenied(client_id=pk)
    event = record(user, action=Action.HISTORY, outcome=Outcome.ALLOWED, client=client, request=request)
    return Access(user=user, client=client, event=event, relationship=_relationship_of(client))


# --- Break the glass: the reason kept in the session --------------------------------------


def session_reason_store(request, client_id: int, *, category: str, text: str) -> None:
    """Remember the reason given for opening this client, for BREAK_GLASS_MINUTES."""
    grants = dict(request.session.get(SESSION_KEY, {}))
    now = timezone.now()
    # Drop expired grants so the session does not grow.
    grants = {key: grant for key, grant in grants.items() if _fresh(grant, now)}
    grants[str(int(client_id))] = {"category": category, "text": text, "at": now.isoformat()}
    request.session[SESSION_KEY] = grants


def _fresh(grant: dict, now: datetime.datetime) -> bool:
    try:
        given_at = datetime.datetime.fromisoformat(grant["at"])
    except (KeyError, TypeError, ValueError):
        return False
    return now - given_at < datetime.timedelta(minutes=BREAK_GLASS_MINUTES)


def session_reason(request, client_id: int) -> tuple[str, str]:
    """(category, text) of a fresh reason given in this session for this client, or ("", "")."""
    session = getattr(request, "session", None)
    if session is None:
        return "", ""
    grant = session.get(SESSION_KEY, {}).get(str(client_id))
    if not grant or not _fresh(grant, timezone.now()):
        return "", ""
    return str(grant.get("category", "")), str(grant.get("text", ""))


def reason_url(client_id, next_url: str = "") -> str:
    url = reverse("access:reason", args=[client_id])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- Helpers for views ---------------------------------------------------------------------


def gate_client(
    request,
    client_id,
    *,
    action: str = Action.VIEW,
    obj=None,
    categories: Iterable[str] = (),
    purpose: str = "",
    team_manager_only: bool = False,
    object_missing: bool = False,
    redirect_merged: bool = False,
) -> Access:
    """`open_client` for the signed-in person of `request`, with their session's reason."""
    return open_client(
        request.user,
        client_id,
        action=action,
        request=request,
        obj=obj,
        categories=categories,
        purpose=purpose,
        team_manager_only=team_manager_only,
        object_missing=object_missing,
        redirect_merged=redirect_merged,
    )


def merged_response(request, survivor_id: int):
    """The same page of the surviving record: 302 for a page, 307 for a form post (its data goes along)."""
    match = request.resolver_match
    url = reverse(match.view_name, args=match.args, kwargs={**match.kwargs, "client_id": survivor_id})
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponseRedirect(url, status=302 if request.method in SAFE_METHODS else 307)


def denied_response(request, exc: AccessDenied):
    """What a refusal looks like: the reason page for GETs that a reason would open, a 403 saying
    why for a write about an anonymised record, else 404."""
    if isinstance(exc, RecordAnonymised):
        return anonymised_response(request, exc)
    if exc.needs_reason and exc.client_id is not None and request.method in SAFE_METHODS:
        return HttpResponseRedirect(reason_url(exc.client_id, request.get_full_path()))
    raise Http404("No client found.")


def anonymised_response(request, exc: RecordAnonymised):
    """403 with the reason: the record was anonymised, so nothing can be written about it."""
    return render(request, "access/anonymised.html", {"message": exc.message, "client_id": exc.client_id}, status=403)


def audit_unavailable_response(request):
    return render(request, "access/audit_unavailable.html", status=503)


def run_gated(request, view, open_gate):
    """Run `open_gate()` (a gate check returning what it opened) and then `view(opened)` in one
    transaction. A refusal keeps its denied row and answers as `denied_response`; an audit
    failure answers 503. For views that open the client through another object."""
    denied = None
    try:
        with transaction.atomic():
            try:
                opened = open_gate()
            except AccessDenied as exc:
                denied = exc  # caught inside the block, so the denied row commits
            else:
                return view(opened)
    except AuditUnavailable:
        return audit_unavailable_response(request)
    return denied_response(request, denied)


# True while client_view runs the gate's check inside the transaction it
# owns: if the audit row cannot be written, AuditUnavailable leaves that transaction and
# rolls all of it back, so `record` needs no savepoint (two round trips on the hot path).
_CHECK_OWNS_TRANSACTION = contextvars.ContextVar("gate_check_owns_transaction", default=False)


@contextlib.contextmanager
def _check_owns_transaction():
    token = _CHECK_OWNS_TRANSACTION.set(True)
    try:
        yield
    finally:
        _CHECK_OWNS_TRANSACTION.reset(token)


def _categories_for(categories, obj) -> list[str]:
    if callable(categories):
        return list(categories(obj)) if obj is not None else []
    return categories


def client_view(
    action: str = Action.VIEW,
    *,
    post_action: str = Action.EDIT,
    categories: Iterable[str] = (),
    purpose: str = "",
    team_manager_only: bool = False,
    load=None,
    reads_only: bool = False,
):
    """Decorate a view taking `client_id`: it is called as `view(request, access, **kwargs)`.

    `reads_only=True` says the view only reads (no locks, no writes): on a page read that
    the one statement admitted (`_open_at_once`) it then runs without a transaction of its
    own, saving BEGIN and COMMIT (the record page).

    `load(client_id, **kwargs)` fetches the object inside the client that the URL names
    (filtered by the client, e.g. `Entry.objects.filter(pk=entry_id, client_id=client_id).first()`);
    it is audited as the object and passed on as `access.obj`. A missing one is refused like
    a forbidden client. `categories` may be a callable of the loaded object (e.g. its category).
    """
    if not callable(categories):
        categories = list(categories)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, client_id, *args, **kwargs):
            loaded = ()
            if request.method in SAFE_METHODS and action not in WRITE_ACTIONS and connection.vendor == "postgresql":
                # A page read by someone the rule admits: the check and its audit row in one
                # statement, committed before the view reads anything (`_open_at_once`). The
                # form of a write (EDIT, SHARE, STATUTORY) goes the whole way, which refuses it
                # on an anonymised record (`open_client`).
                obj = load(client_id, **kwargs) if load is not None else None
                pk = _client_pk(client_id)
                if pk is not None and (load is None or obj is not None):
                    try:
                        access = _open_at_once(
                            request.user,
                            pk,
                            action=action,
                            request=request,
                            obj=obj,
                            categories=_categories_for(categories, obj),
                            purpose=purpose,
                            team_manager_only=team_manager_only,
                        )
                    except AuditUnavailable:
                        return audit_unavailable_response(request)
                    if access is not None:
                        if reads_only:
                            return view(request, access, *args, **kwargs)
                        # The view's own reads and writes (e.g. a basis locked and re-checked)
                        # still run in one transaction.
                        with transaction.atomic():
                            return view(request, access, *args, **kwargs)
                loaded = (obj,)
            denied = None
            try:
                with transaction.atomic():
                    obj = loaded[0] if loaded else load(client_id, **kwargs) if load is not None else None
                    try:
                        with _check_owns_transaction():
                            access = gate_client(
                                request,
                                client_id,
                                action=action if request.method in SAFE_METHODS else post_action,
                                obj=obj,
                                categories=_categories_for(categories, obj),
                                purpose=purpose,
                                team_manager_only=team_manager_only,
                                object_missing=load is not None and obj is None,
                                redirect_merged=True,
                            )
                    except RecordMerged as merged:
                        return merged_response(request, merged.survivor_id)
                    except AccessDenied as exc:
                        denied = exc  # caught inside the block, so the denied row commits
                    else:
                        return view(request, access, *args, **kwargs)
            except AuditUnavailable:
                return audit_unavailable_response(request)
            return denied_response(request, denied)

        wrapped.gated = True
        return wrapped

    return decorator


def decider_view(
    *,
    action: str = Action.VIEW,
    post_action: str = Action.EDIT,
    categories: Iterable[str] = (),
    purpose: str = "",
    any_team_roles: Iterable[str] = (Role.INFORMATION_SECURITY_OFFICER,),
):
    """Decorate a view taking `client_id` for the people who decide about a client: the
    client's own team managers, and people whose role is in `any_team_roles` (by default the
    information security officer, who, like everywhere, opens the client with a reason).

    The view is called as `view(request, access, **kwargs)`; the check and the view run in one
    transaction (`run_gated`): a GET is audited as `action`, anything else as `post_action`,
    each with `categories` and `purpose`. A refusal answers as `denied_response` (the reason
    page or 404, the same for an unknown id), an audit failure 503. Used by the statutory and
    rights apps for their decision pages (legal hold, subject access, erasure, rectification).
    """
    categories = list(categories)
    any_team_roles = frozenset(any_team_roles)

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, client_id, **kwargs):
            act = action if request.method in SAFE_METHODS else post_action

            def open_gate():
                return gate_client(
                    request,
                    client_id,
                    action=act,
                    categories=categories,
                    purpose=purpose,
                    team_manager_only=getattr(request.user, "role", None) not in any_team_roles,
                )

            return run_gated(request, lambda access: view(request, access, **kwargs), open_gate)

        wrapped.gated = True
        wrapped.deciders_only = True  # found by access/tests/test_decider_view.py
        return wrapped

    return decorator
