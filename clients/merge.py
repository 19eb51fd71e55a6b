"""Merging two records of the same person, and the registry that says what happens to
every row that points at a client.

`client_merge` keeps one record (the survivor) and turns the other into a tombstone:
closed, `merged_into` the survivor, its pages redirecting there (access.gate). What
points at the tombstone is handled per foreign key, as registered:

- MOVE: the rows follow to the survivor (consents, bases, entries, notes, referrals,
  statutory requests, alerts, assignments, ...). History-tracked rows are saved one by
  one, so each move writes a history row naming who merged;
- STAY: the rows keep pointing at the tombstone, because they are append-only by design
  (the audit log `access.AccessEvent`, the disclosure log `sharing.Disclosure`: the
  database refuses UPDATE) or they are history (every simple-history table: the past as
  it was recorded). Pages about the survivor read through the merge with
  `record_ids(client)`: the survivor and every record merged into it;
- a function of your own, `handler(*, actor, survivor, tombstone)`, for rows that need
  more than a move (assignments and the permission rows that follow them, below).

`clients` sits below the apps that point at it, so each app registers its own foreign
keys, in its AppConfig.ready()::

    from clients.merge import Policy, on_merge
    on_merge("sharing.Referral", policy=Policy.MOVE)             # field "client" by default
    on_merge("sharing.Disclosure", policy=Policy.STAY)            # append-only
    on_merge("statutory.Thing", field="subject", handler=my_fn)   # anything else

A merge refuses to run while any foreign key to Client is unregistered (`unhandled()`),
and clients/tests/test_merge.py walks the model graph and fails on one, so a new model
cannot silently leave rows on a tombstone.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role

from .models import Assignment, Client, ClientUserObjectPermission, InformationEntry, TimelineEvent
from .services import DETAIL_FIELDS, assignment_grant_access, timeline_record


class Policy(enum.StrEnum):
    MOVE = "move"
    STAY = "stay"


Handler = Callable[..., None]


@dataclass(frozen=True)
class Registration:
    model: str  # "app_label.ModelName"
    field: str
    policy: Policy | None
    handler: Handler | None


_REGISTRY: dict[tuple[str, str], Registration] = {}


def on_merge(model: str, *, field: str = "client", policy: Policy | None = None, handler: Handler | None = None):
    """Register what a merge does with `model.field`, a foreign key to Client.

    Give a `policy` (MOVE or STAY) or a `handler(*, actor, survivor, tombstone)` that runs
    inside the merge's transaction. Registering the same key again replaces it (harmless
    on reload). Raises ValueError when neither or both are given.
    """
    if (policy is None) == (handler is None):
        raise ValueError("on_merge needs a policy or a handler, not both.")
    _REGISTRY[(model, field)] = Registration(model, field, Policy(policy) if policy else None, handler)


def client_foreign_keys() -> list[tuple[type[models.Model], models.Field]]:
    """Every ForeignKey / OneToOneField to Client in every installed model (M2M tables included)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if field.concrete and (field.many_to_one or field.one_to_one) and field.related_model is Client:
                found.append((model, field))
    return found


def registration_for(model, field) -> Registration | None:
    """How a merge handles `model.field`; historical models always STAY."""
    registered = _REGISTRY.get((model._meta.label, field.name))
    if registered is not None:
        return registered
    if _history_model(model):
        return Registration(model._meta.label, field.name, Policy.STAY, None)
    return None


def _history_model(model) -> bool:
    return getattr(model, "instance_type", None) is not None and "history_id" in {
        f.name for f in model._meta.concrete_fields
    }


def unhandled() -> list[str]:
    """'app.Model.field' of every foreign key to Client that no one registered (should be [])."""
    return sorted(
        f"{model._meta.label}.{field.name}"
        for model, field in client_foreign_keys()
        if registration_for(model, field) is None
    )


def record_ids(client) -> QuerySet:
    """The ids of `client` and of every record merged into it, as a subquery.

    Use it where rows STAY on a tombstone: `Disclosure.objects.filter(client_id__in=record_ids(client))`.
    """
    pk = client.pk if isinstance(client, Client) else client
    return Client.objects.filter(Q(pk=pk) | Q(merged_into_id=pk)).values("pk")


# --- The merge ----------------------------------------------------------------------------


class MergeRefused(ValidationError):
    """The two records cannot be merged; the message says why, for the person merging."""


def _refuse(message: str, code: str):
    raise MergeRefused(message, code=code)


def _move_rows(model, field: str, *, actor, survivor: Client, tombstone: Client) -> int:
    rows = model._default_manager.filter(**{field: tombstone})
    if not hasattr(model, "history"):
        # Not history-tracked: one UPDATE is the whole record of it.
        return rows.update(**{field: survivor})
    moved = 0
    for row in rows.select_for_update().order_by("pk"):
        setattr(row, field, survivor)
        row._history_user = actor
        row._change_reason = f"merged from {tombstone.reference} into {survivor.reference}"
        row.save(update_fields=[model._meta.get_field(field).attname])
        moved += 1
    return moved


def _merge_assignments(*, actor, survivor: Client, tombstone: Client) -> None:
    """Assignments follow; a caseworker on both records keeps the survivor's. The survivor's
    key worker stays key worker. Caseworkers gain access to the survivor as they lose the tombstone."""
    today = timezone.localdate()
    survivor_open = {
        assignment.caseworker_id: assignment
        for assignment in Assignment.objects.select_for_update().filter(client=survivor, ended_on__isnull=True)
    }
    has_key_worker = any(assignment.is_key_worker for assignment in survivor_open.values())
    for assignment in Assignment.objects.select_for_update().filter(client=tombstone).order_by("pk"):
        assignment._history_user = actor
        assignment._change_reason = f"merged from {tombstone.reference} into {survivor.reference}"
        fields = ["client"]
        assignment.client = survivor
        if assignment.ended_on is None and assignment.caseworker_id in survivor_open:
            assignment.ended_on, assignment.ended_by = max(today, assignment.started_on), actor
            fields += ["ended_on", "ended_by"]
        elif assignment.ended_on is None and assignment.is_key_worker and has_key_worker:
            assignment.is_key_worker = False
            fields.append("is_key_worker")
        assignment.save(update_fields=fields)
        if assignment.ended_on is None:
            assignment_grant_access(assignment)
    # Nobody reaches the tombstone through a caseload any more. Its team's managers keep
    # their rows, so they can still read who accessed it.
    ClientUserObjectPermission.objects.filter(content_object=tombstone).delete()


def _nothing_to_move(**kwargs) -> None:
    """Handled elsewhere in the merge (see the registrations below)."""


on_merge("clients.InformationEntry", policy=Policy.MOVE)
on_merge("clients.CaseNote", policy=Policy.MOVE)
on_merge("clients.Assignment", handler=_merge_assignments)
# Warnings and the timeline are about the person, so they follow them to the survivor.
on_merge("clients.Alert", policy=Policy.MOVE)
on_merge("clients.TimelineEvent", policy=Policy.MOVE)
# A team move is a record of what happened to that record, never edited: it stays.
on_merge("clients.ClientMove", policy=Policy.STAY)
# Guardian rows: a caseworker's follow their assignment (above); the team managers' rows
# stay on the tombstone, so they can still read who accessed it, and the survivor's team
# managers hold theirs already.
on_merge("clients.ClientUserObjectPermission", field="content_object", handler=_nothing_to_move)
on_merge("clients.ClientGroupObjectPermission", field="content_object", handler=_nothing_to_move)
# A tombstone's own merged_into points at the survivor; records merged into the tombstone
# earlier are re-pointed by client_merge itself, so record_ids stays one level deep.
on_merge("clients.Client", field="merged_into", handler=_nothing_to_move)


def _manages_both(actor, survivor: Client, tombstone: Client) -> bool:
    if getattr(actor, "role", None) != Role.SERVICE_MANAGER:
        return False
    teams = {survivor.team_id, tombstone.team_id}
    return actor.memberships.filter(team_id__in=teams).values("team_id").distinct().count() == len(teams)


# simple-history's history_change_reason column holds 100 characters.
_REASON_CHARS = 100

# Which information category a tombstone's differing detail is kept in on the survivor.
_KEPT_DETAILS = {
    "identity": (
        "preferred_name",
        "date_of_birth",
        "gender",
        "pronouns",
        "national_insurance_number",
        "nhs_number",
    ),
    "contact": ("phone", "email", "address", "preferred_contact"),
}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(client: Client, name: str) -> str:
    value = getattr(client, name)
    if hasattr(value, "strftime"):
        return value.strftime("%-d %B %Y")
    display = getattr(client, f"get_{name}_display", None)
    return str(display() if display else value)


def _keep_differing_details(*, actor, survivor: Client, tombstone: Client) -> list[InformationEntry]:
    """Keep the tombstone's identity and contact details that differ from the survivor's as
    information entries on the survivor, so nothing held about the person is hidden by the
    merge. Returns the entries written (none when nothing differs)."""
    written = []
    for category, names in _KEPT_DETAILS.items():
        parts = []
        if category == "identity":
            other_name = f"{tombstone.first_name} {tombstone.last_name}".strip()
            if other_name and other_name != f"{survivor.first_name} {survivor.last_name}".strip():
                parts.append(f"other name {other_name}")
        for name in names:
            # A blank on the survivor is filled from the tombstone instead (client_merge).
            ours, theirs = getattr(survivor, name), getattr(tombstone, name)
            if ours and theirs and theirs != ours:
                label = str(Client._meta.get_field(name).verbose_name)
                parts.append(f"{label} {_shown(tombstone, name)}")
        if parts:
            entry = InformationEntry(
                client=survivor,
                category=category,
                summary=f"From merged record {tombstone.reference}: {'; '.join(parts)}",
                recorded_by=actor,
            )
            entry._history_user = actor
            entry._change_reason = _short(f"kept from merged record {tombstone.reference}", _REASON_CHARS)
            entry.save()
            written.append(entry)
    return written


@transaction.atomic
def client_merge(*, actor, survivor: Client, duplicate: Client, reason: str) -> Client:
    """Merge `duplicate` into `survivor`: one person, one record.

    Takes the service manager merging (a manager of both records' teams), the two clients
    and why they are the same person. Everything registered MOVE follows to the survivor;
    blank identity and contact details of the survivor are filled from the duplicate; the
    duplicate becomes a closed tombstone, `merged_into` the survivor, whose pages redirect.
    Both records' history and access logs remain. Returns the survivor, re-fetched.

    Raises MergeRefused when: the two are the same record, either is already merged,
    either is under legal hold (a warrant or production order: records must stay as they
    are until a manager lifts the hold), the actor does not manage both teams, or no
    reason is given. Raises ImproperlyConfigured when a foreign key to Client has no merge
    registration (nothing is changed then).
    """
    if survivor.pk == duplicate.pk:
        _refuse("Choose two different records.", "same")
    if not reason.strip():
        raise MergeRefused({"reason": "Say why these two records are the same person."}, code="reason")
    missing = unhandled()
    if missing:
        raise ImproperlyConfigured(f"Merging would leave rows behind: no merge registration for {', '.join(missing)}.")
    # Lock both in id order, so two merges of the same pair cannot deadlock.
    locked = {
        c.pk: c for c in Client.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk]).order_by("pk")
    }
    survivor, tombstone = locked[survivor.pk], locked[duplicate.pk]
    for client in (survivor, tombstone):
        if client.is_merged:
            _refuse(f"{client.reference} has already been merged into another record.", "merged")
        if client.under_legal_hold:
            _refuse(
                f"{client.reference} is under legal hold since {timezone.localtime(client.legal_hold_since):%d %B %Y} "
                f"({client.legal_hold_reason or 'a warrant or production order'}): its records must stay exactly "
                "as they are, "
                "so it cannot be merged until a manager lifts the hold.",
                "legal_hold",
            )
    if not _manages_both(actor, survivor, tombstone):
        _refuse("Only a service manager of both records' teams can merge them.", "not_manager")

    note = _short(f"merged from {tombstone.reference} into {survivor.reference}: {reason.strip()}", _REASON_CHARS)
    for (label, field), registration in sorted(_REGISTRY.items()):
        model = apps.get_model(label)
        if registration.handler is not None:
            registration.handler(actor=actor, survivor=survivor, tombstone=tombstone)
        elif registration.policy == Policy.MOVE:
            _move_rows(model, field, actor=actor, survivor=survivor, tombstone=tombstone)

    # Records merged into the tombstone earlier now belong to the survivor, one level deep.
    for earlier in Client.objects.select_for_update().filter(merged_into=tombstone).order_by("pk"):
        earlier.merged_into = survivor
        earlier._history_user, earlier._change_reason = actor, note
        earlier.save(update_fields=["merged_into", "updated_at"])

    _keep_differing_details(actor=actor, survivor=survivor, tombstone=tombstone)
    filled = [name for name in DETAIL_FIELDS if not getattr(survivor, name) and getattr(tombstone, name)]
    for name in filled:
        setattr(survivor, name, getattr(tombstone, name))
    survivor._history_user, survivor._change_reason = actor, note
    survivor.save(update_fields=[*filled, "updated_at"])

    now = timezone.now()
    tombstone.merged_into, tombstone.merged_at = survivor, now
    fields = ["merged_into", "merged_at", "updated_at"]
    if not tombstone.is_closed:
        tombstone.status, tombstone.closed_on = Client.Status.CLOSED, max(timezone.localdate(), tombstone.opened_on)
        tombstone.closure_reason = f"Merged into {survivor.reference}"[:200]
        fields += ["status", "closed_on", "closure_reason"]
    tombstone._history_user, tombstone._change_reason = actor, note
    tombstone.save(update_fields=fields)
    timeline_record(
        client=survivor,
        kind=TimelineEvent.Kind.CASE_MERGED,
        summary=f"Record {tombstone.reference} merged into this one: {reason.strip()}",
        actor=actor,
        obj=tombstone,
        at=now,
    )
    return Client.objects.get(pk=survivor.pk)
