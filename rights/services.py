"""Writes for clients' rights: the subject access register, erasure requests and anonymisation.

Every service runs in one transaction and writes its audit row there (`access.gate.record`,
the request or the client as the object). The views have already passed the gate for the
client; the services check the role again (a service manager of the client's team, or the
information security officer), so an admin action or a task cannot go round it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from access.gate import Action, Outcome, record
from casework import references
from clients.models import Client
from deadlines.services import deadline_check

from . import selectors
from .calendar import MAX_EXTENSION_MONTHS, received_on_problem, response_due
from .deadlines import CLOCK as SAR_CLOCK
from .models import SubjectAccessRequest
from .requesters import who_asked

logger = logging.getLogger(__name__)
SAR = SubjectAccessRequest
PURPOSE = "subject access request"


class NotRightsOfficer(PermissionDenied):
    """Only a service manager of the client's team or the information security officer handles rights requests."""


def _require(actor, client: Client) -> None:
    if not selectors.can_handle(actor, client.team_id):
        raise NotRightsOfficer(
            "Only a service manager of the client's team or the information security officer handles this."
        )


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _audit(actor, obj, *, client, request, detail: str, purpose: str = PURPOSE):
    return record(
        actor,
        action=Action.EDIT,
        outcome=Outcome.ALLOWED,
        client=client,
        request=request,
        obj=obj,
        categories=["identity"],
        purpose=purpose,
        detail=detail,
    )


# --- Subject access requests (UK GDPR Art 15) ------------------------------------------------


def _check_sar(errors: dict, *, today: dt.date, values: dict) -> None:
    v = values
    if v["requester"] not in SAR.Requester.values:
        errors["requester"] = "Say whether the client is asking, or someone acting for them."
    elif v["requester"] == SAR.Requester.REPRESENTATIVE:
        if _blank(v["requester_name"]):
            errors["requester_name"] = "Enter the name of the person acting for the client."
        if v["authority"] not in SAR.Authority.values:
            errors["authority"] = "Say what authority they have to act for the client."
        elif v["authority"] == SAR.Authority.OTHER and _blank(v["authority_note"]):
            errors["authority_note"] = "Describe the authority they hold."
    if v["verification"] not in SAR.Verification.values:
        errors["verification"] = "Say how the requester's identity was verified."
    elif v["verification"] == SAR.Verification.OTHER_DOCUMENTS and _blank(v["verification_note"]):
        errors["verification_note"] = "Name the documents seen."
    if _blank(v["asked_for"]):
        errors["asked_for"] = "Write down what they asked for."
    if problem := received_on_problem(v["received_on"], today=today, right="Subject access"):
        errors["received_on"] = problem


def _new_reference(now: dt.datetime) -> str:
    return references.dated("subject_access_request", now)


@transaction.atomic
def sar_log(
    *,
    actor,
    client: Client,
    requester: str,
    verification: str,
    asked_for: str,
    received_on: dt.date | None,
    requester_name: str = "",
    requester_relationship: str = "",
    authority: str = "",
    authority_note: str = "",
    verification_note: str = "",
    request=None,
) -> SubjectAccessRequest:
    """Log a subject access request (UK GDPR Art 15) about `client` in the register.

    Takes who asked (`requester`: the client, or a representative with `requester_name`
    and `authority`), how their identity was verified, what they asked for, and the local
    date received. The deadline (`due_on`) is one calendar month from receipt
    (`rights.calendar.response_due`, ICO guidance on time limits). Returns the saved
    request. Raises NotRightsOfficer unless `actor` is a service manager of the client's
    team or the ISO, and ValidationError keyed by field for missing or impossible answers.
    Starts the request's clock (rights.deadlines): a threshold already passed is raised at once.
    """
    _require(actor, client)
    now = timezone.now()
    values = {
        "requester": requester,
        "requester_name": requester_name,
        "authority": authority,
        "authority_note": authority_note,
        "verification": verification,
        "verification_note": verification_note,
        "asked_for": asked_for,
        "received_on": received_on,
    }
    errors: dict = {}
    _check_sar(errors, today=timezone.localdate(now), values=values)
    if errors:
        raise ValidationError(errors)
    is_client = requester == SAR.Requester.CLIENT
    sar = SAR(
        reference=_new_reference(now),
        client=client,
        requester=requester,
        requester_name="" if is_client else requester_name.strip(),
        requester_relationship="" if is_client else requester_relationship.strip(),
        authority="" if is_client else authority,
        authority_note="" if is_client else authority_note.strip(),
        verification=verification,
        verification_note=verification_note.strip(),
        asked_for=asked_for.strip(),
        received_on=received_on,
        due_on=response_due(received_on),
        logged_by=actor,
        logged_at=now,
    )
    sar._history_user = actor
    sar.full_clean()
    sar.save()
    _audit(
        actor,
        sar,
        client=client,
        request=request,
        detail=f"Logged {sar.reference}: received {received_on:%d %b %Y}, due {sar.due_on:%d %b %Y}; "
        f"asked by {sar.requester_label}; identity: {sar.get_verification_display().lower()}",
    )
    # A request logged late may already be past a threshold: say so now, not at the next sweep.
    deadline_check(clock=SAR_CLOCK, object_ids=[sar.pk], now=now)
    return sar


def _locked(sar: SubjectAccessRequest) -> SubjectAccessRequest:
    return SAR.objects.select_for_update(of=("self",)).select_related("client").get(pk=sar.pk)


@transaction.atomic
def sar_extend(
    *, actor, sar: SubjectAccessRequest, months: int, reason: str, told_on: dt.date | None, request=None
) -> SubjectAccessRequest:
    """Extend an open request's deadline by `months` (so that the total is at most two further months).

    UK GDPR Art 12(3): only when the request is complex or one of many, and the requester
    must be told within the first month, with the reasons. Takes the number of further
    months (1 or 2 in total), the reason and the local date the requester was told (not
    in the future, not after the original deadline). Recomputes `due_on` and re-times the
    clock's alerts (deadline_check). Raises NotRightsOfficer, or ValidationError keyed by field.
    """
    locked = _locked(sar)
    _require(actor, locked.client)
    if not locked.is_open:
        raise ValidationError("This request has been answered.", code="closed")
    today = timezone.localdate()
    errors: dict = {}
    total = locked.extension_months + (months or 0)
    if not months:
        errors["months"] = "Choose how long to extend by."
    elif months < 1 or total > MAX_EXTENSION_MONTHS:
        errors["months"] = (
            f"A request can be extended by at most {MAX_EXTENSION_MONTHS} further months in all "
            f"({MAX_EXTENSION_MONTHS - locked.extension_months} left)."
        )
    if _blank(reason):
        errors["reason"] = "Say why the request is complex enough to need longer."
    if told_on is None:
        errors["told_on"] = "Enter the date the requester was told of the extension and why."
    elif told_on > today:
        errors["told_on"] = "The date they were told cannot be in the future."
    elif told_on > locked.original_due_on:
        errors["told_on"] = (
            f"The requester must be told within the first month (by {locked.original_due_on:%d %b %Y}): "
            "an extension cannot be made after that."
        )
    if errors:
        raise ValidationError(errors)
    was = locked.due_on
    locked.extension_months = total
    locked.extension_reason = "\n".join(r for r in (locked.extension_reason, reason.strip()) if r)
    locked.extension_told_on = told_on
    locked.due_on = response_due(locked.received_on, extension_months=total)
    locked._history_user = actor
    locked.full_clean()
    locked.save(update_fields=["extension_months", "extension_reason", "extension_told_on", "due_on"])
    _audit(
        actor,
        locked,
        client=locked.client,
        request=request,
        detail=f"Extended {locked.reference} by {months} month(s): due {was:%d %b %Y} -> {locked.due_on:%d %b %Y}. "
        f"Told {told_on:%d %b %Y}. {reason.strip()}",
    )
    # The due time moved: the thresholds not yet passed under the new one are armed again now.
    deadline_check(clock=SAR_CLOCK, object_ids=[locked.pk])
    return locked


@transaction.atomic
def sar_complete(
    *, actor, sar: SubjectAccessRequest, completed_on: dt.date | None, note: str = "", request=None
) -> SubjectAccessRequest:
    """Record that the request was answered on `completed_on` (a local date, not in the future).

    Raises NotRightsOfficer, or ValidationError when it is already answered or the date is missing.
    """
    locked = _locked(sar)
    _require(actor, locked.client)
    if not locked.is_open:
        raise ValidationError("This request has already been answered.", code="closed")
    if completed_on is None:
        raise ValidationError({"completed_on": "Enter the date the response was sent."})
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "The date it was answered cannot be in the future."})
    if completed_on < locked.received_on:
        raise ValidationError({"completed_on": "The date it was answered cannot be before it was received."})
    locked.status = SAR.Status.COMPLETED
    locked.completed_on = completed_on
    locked.completion_note = (note or "").strip()
    locked._history_user = actor
    locked.full_clean()
    locked.save(update_fields=["status", "completed_on", "completion_note"])
    late = locked.days_left(completed_on) < 0
    _audit(
        actor,
        locked,
        client=locked.client,
        request=request,
        detail=f"Answered {locked.reference} on {completed_on:%d %b %Y}"
        + (f", {-locked.days_left(completed_on)} day(s) late" if late else ", on time"),
    )
    return locked


# --- Erasure and anonymisation (UK GDPR Art 17) ------------------------------------------------
# What anonymisation removes and what it keeps is decided in docs/decisions/0014.

# The stub a client row becomes: counts by team, status and dates still add up.
STUB_FIRST_NAME = "Anonymised"
STUB_LAST_NAME = "client"
CLIENT_IDENTIFYING = {
    "first_name": STUB_FIRST_NAME,
    "last_name": STUB_LAST_NAME,
    "preferred_name": "",
    "date_of_birth": None,
    "gender": "",
    "pronouns": "",
    "national_insurance_number": "",
    "nhs_number": "",
    "phone": "",
    "email": "",
    "address": "",
    "preferred_contact": "",
    "closure_reason": "",
    "source": "",
}
ENTRY_TEXT = {"summary": "", "detail": ""}
NOTE_TEXT = {"text": ""}
CONSENT_TEXT = {
    "witness_name": "",
    "verbal_notes": "",
    "explicit_statement": "",
    "electronic_reference": "",
    "support_used": "",
    "withdrawal_note": "",
}
BASIS_TEXT = {"justification": ""}
RESTRICTION_TEXT = {"reason": "", "lift_note": ""}
EVIDENCE_TEXT = {"display_name": "Deleted when the client was anonymised"}
SAR_TEXT = {
    "requester_name": "",
    "requester_relationship": "",
    "authority_note": "",
    "verification_note": "",
    "asked_for": "",
    "extension_reason": "",
    "completion_note": "",
}
ERASURE_TEXT = {"asked_by": "", "asked_text": ""}
WITHHOLDING_NOTE_REMOVED = "Removed when the client was anonymised"
RECTIFICATION_TEXT = {"asked_by": "", "what_is_wrong": "", "decision_reason": ""}


class AlreadyAnonymised(ValidationError):
    """The client was anonymised already."""


class KeptByCaller(ValidationError):
    """The caller's own re-check keeps this client (a retention batch: reopened, no longer past retention)."""


ALERT_TEXT = {"text": "", "end_reason": ""}
NOTICE_TEXT = {"note": ""}
MOVE_TEXT = {"reason": ""}


def _scrubbed_models() -> list[tuple[str, type, dict]]:
    """(what the audit row calls them, model, the values that replace their free text): every model
    with a foreign key to the client holding text about them, in the order the audit row lists them."""
    from clients.models import Alert, CaseNote, InformationEntry
    from consent.models import ConsentRecord, LawfulBasisRecord, SharingRestriction

    from .models import ErasureRequest, RectificationNotice, RectificationRequest

    return [
        ("information entries", InformationEntry, ENTRY_TEXT),
        ("case notes", CaseNote, NOTE_TEXT),
        ("alerts", Alert, ALERT_TEXT),
        ("consents", ConsentRecord, CONSENT_TEXT),
        ("other bases", LawfulBasisRecord, BASIS_TEXT),
        ("sharing restrictions", SharingRestriction, RESTRICTION_TEXT),
        ("subject access requests", SAR, SAR_TEXT),
        ("erasure requests", ErasureRequest, ERASURE_TEXT),
        ("rectification requests", RectificationRequest, RECTIFICATION_TEXT),
        ("correction notices", RectificationNotice, NOTICE_TEXT),
    ]


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _history_write(model, rows: list, *, actor, now: dt.datetime) -> None:
    """Write one "changed" history row per object in `rows` (as `save()` would through simple-history),
    with its many-to-many scope where the history keeps one: a bulk INSERT per table, not one per row."""
    history = model.history
    created = history.bulk_history_create(rows, update=True, default_user=actor, default_date=now, batch_size=500)
    m2m_fields = getattr(history.model, "_history_m2m_fields", ())
    if not m2m_fields:
        return
    by_object = {entry.id: entry for entry in created}
    for field in m2m_fields:
        m2m_history = getattr(history.model, field.name).model
        through = field.remote_field.through
        own = next(f for f in through._meta.fields if f.related_model is model)
        copied = [f.attname for f in through._meta.fields]
        m2m_history.objects.bulk_create(
            [
                m2m_history(
                    history=by_object[getattr(link, own.attname)], **{name: getattr(link, name) for name in copied}
                )
                for link in through.objects.filter(**{f"{own.attname}__in": list(by_object)}).order_by("pk")
            ],
            batch_size=1000,
        )


def _scrub(model, rows: QuerySet, values: dict, *, actor, now: dt.datetime, history_values: dict | None = None) -> list:
    """Blank `values` on every row of `rows` (locked first), set-based: one UPDATE of the live rows, one
    of every earlier history row of those objects (`history_values`, by default `values`), and one
    INSERT of a history row per object recording the removal (as a locked save would,
    docs/decisions/0014). Returns the rows as they now are."""
    found = list(rows.select_for_update(of=("self",)).order_by("pk"))
    if not found:
        return found
    changes = dict(values)
    if _has_field(model, "updated_at"):
        changes["updated_at"] = now
    for row in found:
        for name, value in changes.items():
            setattr(row, name, value)
    pks = [row.pk for row in found]
    # The history rows are written just below, so this update loses none.
    model.objects.filter(pk__in=pks).update(**changes)
    if getattr(model, "history", None) is not None:
        # Historical rows have no history of their own: a plain update is the removal.
        model.history.filter(id__in=pks).update(**(values if history_values is None else history_values))
        _history_write(model, found, actor=actor, now=now)
    return found


@dataclass(frozen=True)
class Anonymisation:
    """What `clients_anonymise` did: the stubs it made, and why each other client was left as it was."""

    anonymised: list[Client]
    refused: dict[int, ValidationError | PermissionDenied]


def _refusal(client: Client, *, actor, handled: dict[int, bool], keep) -> ValidationError | PermissionDenied | None:
    """Why `client` (read under its lock) must not be anonymised now, or None. Legal hold comes first."""
    from clients.services import UnderLegalHold, client_erasure_check

    if client.legal_hold_since is not None:
        try:
            client_erasure_check(client=client)  # says why, in the words every path uses
        except UnderLegalHold as exc:
            return exc
    if keep is not None and (why := keep(client)):
        return KeptByCaller(why, code="kept")
    if client.team_id not in handled:
        handled[client.team_id] = selectors.can_handle(actor, client.team_id)
    if not handled[client.team_id]:
        return NotRightsOfficer(
            "Only a service manager of the client's team or the information security officer handles this."
        )
    if client.anonymised_at is not None:
        return AlreadyAnonymised("This client was anonymised already.", code="anonymised")
    return None


def clients_anonymise(
    *, actor, client_ids: Iterable[int], reason: str, keep: Callable[[Client], str] | None = None, request=None
) -> Anonymisation:
    """Anonymise clients together, with set-based work per model: a retention batch, or one client.

    Takes the acting manager or ISO, the clients' ids, why (an erasure request, a retention
    batch), and optionally `keep(client) -> str`, the caller's own re-check of each client as
    read under its lock (a reason to leave it, or ""). In one transaction: locks the clients
    (one query, in id order); leaves, with the reason, each one under legal hold
    (`clients.services.client_erasure_check`'s UnderLegalHold), kept by `keep`, outside the
    actor's teams (NotRightsOfficer) or anonymised already (AlreadyAnonymised); and for the
    rest does what docs/decisions/0014 says, a few statements per kind of record whatever the
    number of clients: blanks the identifying fields (each client becomes a stub with
    `anonymised_at`), the text of their information entries, case notes and alerts, the free
    text of their consents, other bases, restrictions and rights requests, and the reasons of
    their referral drafts, in the live rows and in every history row (a history row records
    each removal, who and when, as a save would); removes the reviewers' notes on their
    compiled subject access packs; and deletes their consent evidence files and compiled pack
    files from storage once the transaction commits. Audit rows and seals, disclosure
    snapshots, released subject access packs and the requests of statutory bodies are kept
    (UK GDPR Art 17(3)(b) and (e)). Writes one EDIT audit row per client anonymised.
    Returns an Anonymisation (stubs, and refusals by client id). Raises nothing for a
    refused client; AuditUnavailable or a database error rolls everything back.
    """
    from clients.models import ClientMove, TimelineEvent
    from consent.evidence import remove
    from consent.models import ConsentEvidence
    from sharing.models import Referral

    from .models import SarPack, SarWithholding

    with transaction.atomic():
        now = timezone.now()
        locked = list(Client.objects.select_for_update().filter(pk__in=set(client_ids)).order_by("pk"))
        handled: dict[int, bool] = {}
        refused: dict[int, ValidationError | PermissionDenied] = {}
        chosen: list[Client] = []
        for client in locked:
            refusal = _refusal(client, actor=actor, handled=handled, keep=keep)
            if refusal is None:
                chosen.append(client)
            else:
                refused[client.pk] = refusal
        if not chosen:
            return Anonymisation([], refused)
        ids = [client.pk for client in chosen]
        counts: dict[str, Counter] = {}
        for label, model, values in _scrubbed_models():
            rows = _scrub(model, model.objects.filter(client_id__in=ids), values, actor=actor, now=now)
            counts[label] = Counter(row.client_id for row in rows)
        # Compiled subject access packs are working copies: their files go, and a reviewer's notes
        # on them. A released pack is kept, like a disclosure snapshot (docs/decisions/0014).
        packs = SarPack.objects.filter(client_id__in=ids)
        stored_names = [name for pair in packs.values_list("pdf_name", "archive_name") for name in pair if name]
        packs.exclude(pdf_name="", archive_name="").update(pdf_name="", archive_name="")
        notes = SarWithholding.objects.filter(pack__client_id__in=ids).exclude(note=WITHHOLDING_NOTE_REMOVED)
        counts["subject access review notes"] = Counter(notes.values_list("pack__client_id", flat=True))
        notes.update(note=WITHHOLDING_NOTE_REMOVED)
        evidence = _scrub(
            ConsentEvidence, ConsentEvidence.objects.filter(client_id__in=ids), EVIDENCE_TEXT, actor=actor, now=now
        )
        stored_names += [row.stored_name for row in evidence]
        counts["evidence files"] = Counter(row.client_id for row in evidence)
        # Moves keep their teams and dates, the timeline its kinds and times, referrals their
        # recipients: none has a history of its own, so a plain update is the removal.
        ClientMove.objects.filter(client_id__in=ids).exclude(reason="").update(**MOVE_TEXT)
        TimelineEvent.objects.filter(client_id__in=ids).exclude(summary="").update(summary="")
        Referral.objects.filter(client_id__in=ids).exclude(reasons={}).update(reasons={})
        stub = {**CLIENT_IDENTIFYING, "anonymised_at": now}
        stubs = _scrub(
            Client, Client.objects.filter(pk__in=ids), stub, actor=actor, now=now, history_values=CLIENT_IDENTIFYING
        )
        # Records of the same person merged into one of these are tombstones holding their old details.
        merged = _scrub(Client, Client.objects.filter(merged_into_id__in=ids), stub, actor=actor, now=now)
        counts["merged records"] = Counter(row.merged_into_id for row in merged)
        _audit_anonymised(actor, stubs, counts, reason=reason, request=request, now=now)
        # Files go only once the removal is committed, so a rollback loses nothing.
        transaction.on_commit(lambda: [remove(name) for name in stored_names])
    return Anonymisation(stubs, refused)


def _audit_anonymised(actor, clients: list[Client], counts: dict[str, Counter], *, reason: str, request, now) -> None:
    """One EDIT audit row per client anonymised, naming what was removed: a single INSERT for a batch.
    Through `record` when a person asked in a request (one client), so the row carries its metadata."""
    from access.models import AccessEvent

    def detail(client: Client) -> str:
        summary = ", ".join(f"{n[client.pk]} {what}" for what, n in counts.items() if n[client.pk])
        return f"Anonymised: {reason.strip()}" + (f" ({summary})" if summary else "")

    if request is not None:
        for client in clients:
            _audit(actor, client, client=client, request=request, purpose="anonymisation", detail=detail(client))
        return
    label = Client._meta.label
    AccessEvent.objects.bulk_create(
        [
            AccessEvent(
                at=now,
                actor=actor,
                action=Action.EDIT,
                outcome=Outcome.ALLOWED,
                client=client,
                object_type=label,
                object_id=str(client.pk),
                categories=["identity"],
                purpose="anonymisation",
                detail=detail(client),
            )
            for client in clients
        ],
        batch_size=500,
    )


def client_anonymise(*, actor, client: Client, reason: str, request=None) -> Client:
    """Remove everything that identifies `client`, keeping the rows that counts and statistics need.

    Takes the acting manager or ISO, the client and why (an erasure request). The work is
    `clients_anonymise` for this one client (what is removed and what is kept:
    docs/decisions/0014); its one audit row carries the request's metadata. Returns the stub
    (and updates `client` in place). Raises NotRightsOfficer (before anything is read),
    UnderLegalHold naming the hold's reason, or AlreadyAnonymised.
    """
    _require(actor, client)
    with transaction.atomic():
        done = clients_anonymise(actor=actor, client_ids=[client.pk], reason=reason, request=request)
        if client.pk in done.refused:
            raise done.refused[client.pk]
        if not done.anonymised:
            raise Client.DoesNotExist(f"No client {client.pk}.")
    stub = done.anonymised[0]
    client.__dict__.update({k: getattr(stub, k) for k in (*CLIENT_IDENTIFYING, "anonymised_at", "updated_at")})
    return stub


def _release_content_removed(content: dict, *, removed_at: dt.datetime) -> dict:
    """A released pack's content without anything about the client: its title, dates, the kinds of
    exemption the client was told of, and how many items each section held (no item)."""
    sections = content.get("sections", {})
    return {
        **{key: content[key] for key in ("title", "organisation", "generated_at", "released_at") if key in content},
        "draft": False,
        "withheld": content.get("withheld", []),
        "sections": {name: [] for name in sections},
        "counts": {name: len(rows) for name, rows in sections.items()},
        "content_removed_at": removed_at.isoformat(),
    }


def sar_releases_content_remove(*, release_ids: Iterable[int], reason: str, actor=None) -> list:
    """Remove the personal content of released subject access packs, once, keeping the record of the release.

    A released pack is frozen (docs/decisions/0016) and kept after the client is anonymised
    as the evidence of what the organisation answered (Art 17(3)(e), legal claims), for the
    period the caller decides (rights.retention's sweep). Its one admitted change is this
    removal: the content keeps its title, dates, exemption kinds and each section's number
    of items; the decisions keep key, section, exemption, who and when but lose the
    reviewer's note; the PDF and archive are deleted from storage once the transaction
    commits. The SHA-256 of the content, the PDF and the archive stay, so a copy produced
    later can still be matched. The database refuses any other change and a second removal.
    Takes the releases' ids, why (into each audit row) and the acting person (None for the
    beat sweep). Writes one EDIT audit row per release. Returns the releases changed.
    """
    from access.models import AccessEvent
    from consent.evidence import remove

    from .models import SarRelease

    with transaction.atomic():
        now = timezone.now()
        found = list(
            SarRelease.objects.select_for_update(of=("self",))
            .filter(pk__in=set(release_ids), content_removed_at__isnull=True)
            .select_related("sar")
            .order_by("pk")
        )
        stored = [name for release in found for name in (release.pdf_name, release.archive_name) if name]
        for release in found:
            # One row each: the content differs per release, and releases are one per request.
            SarRelease.objects.filter(pk=release.pk).content_remove(
                removed_at=now,
                content=_release_content_removed(release.content, removed_at=now),
                withheld=[{k: v for k, v in decision.items() if k != "note"} for decision in release.withheld],
            )
        AccessEvent.objects.bulk_create(
            [
                AccessEvent(
                    at=now,
                    actor=actor if getattr(actor, "pk", None) else None,
                    action=Action.EDIT,
                    outcome=Outcome.ALLOWED,
                    client_id=release.sar.client_id,
                    object_type=SarRelease._meta.label,
                    object_id=str(release.pk),
                    categories=["identity"],
                    purpose="retention",
                    detail=f"Personal content of the pack released for {release.sar.reference} removed: "
                    f"{reason.strip()}. Kept: dates, exemptions and the SHA-256 of the content "
                    f"({release.content_sha256}), PDF ({release.pdf_sha256}) and archive ({release.archive_sha256})",
                )
                for release in found
            ],
            batch_size=500,
        )
        transaction.on_commit(lambda: [remove(name) for name in stored])
    return found


@transaction.atomic
def erasure_request_log(
    *,
    actor,
    client: Client,
    received_on: dt.date | None,
    asked_text: str,
    requester: str = "",
    asked_by: str = "",
    requester_relationship: str = "",
    request=None,
):
    """Log a request to erase the client's information (Art 17). Returns the ErasureRequest.

    Who asked is `requester` (the client, or a representative named `asked_by` with their
    `requester_relationship`; `rights.requesters.who_asked`). Raises NotRightsOfficer, or
    ValidationError keyed by field.
    """
    from .models import ErasureRequest

    _require(actor, client)
    errors: dict = {}
    if problem := received_on_problem(received_on, today=timezone.localdate(), right="The right to erasure"):
        errors["received_on"] = problem
    asked_by = who_asked(errors, requester=requester, name=asked_by, relationship=requester_relationship)
    if _blank(asked_text):
        errors["asked_text"] = "Write down what they asked for."
    if errors:
        raise ValidationError(errors)
    erasure = ErasureRequest(
        client=client,
        received_on=received_on,
        asked_by=asked_by,
        asked_text=asked_text.strip(),
        logged_by=actor,
        logged_at=timezone.now(),
    )
    erasure._history_user = actor
    erasure.full_clean()
    erasure.save()
    _audit(actor, erasure, client=client, request=request, purpose="erasure request", detail="Erasure request logged")
    return erasure


def erasure_request_decide(
    *, actor, erasure_request, grant: bool | None, ground: str = "", exemption: str = "", note: str = "", request=None
):
    """A service manager of the client's team (or the ISO) decides an erasure request (Art 17).

    Granted, with the ground that applies (Art 17(1)): the client is anonymised by
    `client_anonymise` in the same transaction. Refused, with the exemption that applies
    (Art 17(3)), and a note. Under legal hold a grant is refused with the hold's reason
    (UnderLegalHold) and nothing changes. Returns the decided ErasureRequest. Raises
    NotRightsOfficer, ValidationError keyed by field, or UnderLegalHold.
    """
    from .models import ErasureRequest

    errors: dict = {}
    if grant is None:
        errors["decision"] = "Choose whether to grant or refuse the request."
    elif grant and ground not in ErasureRequest.Ground.values:
        errors["ground"] = "Choose the ground for erasure that applies."
    elif not grant and exemption not in ErasureRequest.Exemption.values:
        errors["exemption"] = "Choose the exemption that means the information is kept."
    if _blank(note):
        errors["note"] = "Give the reasons for the decision."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = (
            ErasureRequest.objects.select_for_update(of=("self",)).select_related("client").get(pk=erasure_request.pk)
        )
        _require(actor, locked.client)
        if locked.status != ErasureRequest.Status.OPEN:
            raise ValidationError("This request has already been decided.", code="decided")
        locked.status = ErasureRequest.Status.GRANTED if grant else ErasureRequest.Status.REFUSED
        locked.ground = ground if grant else ""
        locked.exemption = "" if grant else exemption
        locked.decision_note = note.strip()
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked._history_user = actor
        locked.full_clean()
        locked.save()
        _audit(
            actor,
            locked,
            client=locked.client,
            request=request,
            purpose="erasure request",
            detail=f"Erasure request {locked.reference} {locked.get_status_display().lower()}: "
            f"{locked.get_ground_display() if grant else locked.get_exemption_display()}",
        )
        if grant:
            client_anonymise(
                actor=actor, client=locked.client, reason=f"erasure request {locked.pk} granted", request=request
            )
    return locked


# --- Subject access packs ---------------------------------------------------------------------


def sar_pack_request(*, actor, sar: SubjectAccessRequest, request=None):
    """Queue a pack for `sar` (compiled by `rights.tasks.compile_sar_pack`, enqueued on commit).

    Returns the SarPack (status "queued"). If the broker is down the pack waits and the
    pack page says so; requesting again queues it again. Raises NotRightsOfficer, or
    PackReleased once a pack of the request has been released (what the requester got is
    final; a new request is a new SAR).
    """
    from .models import SarPack

    with transaction.atomic():
        locked = _locked(sar)
        _require(actor, locked.client)
        _refuse_if_released(locked)
        pack = SarPack.objects.create(sar=locked, client=locked.client, requested_by=actor, requested_at=timezone.now())
        _audit(actor, pack, client=locked.client, request=request, detail=f"Pack requested for {locked.reference}")
        transaction.on_commit(partial(_enqueue_pack, pack.pk))
    return pack


def _enqueue_pack(pack_id: int) -> None:
    from .tasks import compile_sar_pack

    try:
        compile_sar_pack.delay(pack_id)
    except Exception:  # the broker is down: the pack page says it is waiting
        logger.warning("Could not queue subject access pack %s.", pack_id)


def sar_pack_compile(*, pack_id: int) -> bool:
    """Compile one pack: gather, render the PDF and the JSON+CSV zip, store both privately.

    Idempotent: claims the pack with a conditional update (queued -> running), so a second
    run finds it taken and returns False; a ready pack is never rebuilt. Progress is
    written as it goes. Returns whether this call compiled it.
    """
    from consent.evidence import private_storage

    from .models import SarPack
    from .pack import pack_archive, pack_pdf, pack_sections

    claimed = SarPack.objects.filter(pk=pack_id, status=SarPack.Status.QUEUED).update(
        status=SarPack.Status.RUNNING, progress=1, step="Starting"
    )
    if not claimed:
        return False
    pack = SarPack.objects.select_related("client__team").get(pk=pack_id)

    def progress(percent: int, step: str) -> None:
        SarPack.objects.filter(pk=pack_id).update(progress=percent, step=step[:100])

    try:
        data = pack_sections(pack.client, on_progress=progress)
        progress(93, "Rendering the PDF")
        pdf = pack_pdf(data)
        progress(97, "Writing the archive")
        archive = pack_archive(data)
        storage = private_storage()
        pdf_name = storage.save(f"sar/{uuid.uuid4().hex}.pdf", ContentFile(pdf))
        archive_name = storage.save(f"sar/{uuid.uuid4().hex}.zip", ContentFile(archive))
    except Exception as exc:
        SarPack.objects.filter(pk=pack_id).update(
            status=SarPack.Status.FAILED, error=str(exc)[:1000], finished_at=timezone.now()
        )
        raise
    SarPack.objects.filter(pk=pack_id).update(
        status=SarPack.Status.READY,
        progress=100,
        step="Ready",
        finished_at=timezone.now(),
        pdf_name=pdf_name,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        archive_name=archive_name,
        archive_sha256=hashlib.sha256(archive).hexdigest(),
    )
    return True


# --- Review before release (UK GDPR Art 15(4); DPA 2018 Sch 2) --------------------------------


class PackReleased(ValidationError):
    """The request's pack has been released: it is frozen, and no other pack is compiled or released."""


def _refuse_if_released(sar: SubjectAccessRequest) -> None:
    from .models import SarRelease

    if SarRelease.objects.filter(sar_id=sar.pk).exists():
        raise PackReleased(
            "The pack for this request has been released: it cannot be changed, and no other pack is compiled.",
            code="released",
        )


def _refuse_if_releasing(pack) -> None:
    if pack.releasing:
        raise ValidationError(
            "The pack is being released with the decisions as they stand: they cannot change now.", code="releasing"
        )


def _locked_pack(pack):
    """The request locked first (the order every review service keeps), then the pack, for `actor` to review."""
    from .models import SarPack

    sar = _locked(pack.sar)
    return sar, SarPack.objects.select_for_update().get(pk=pack.pk, sar_id=sar.pk)


@transaction.atomic
def sar_item_withhold(*, actor, pack, item_key: str, exemption: str, note: str, request=None):
    """Withhold one item of a compiled pack from the requester, with the exemption that applies and why.

    UK GDPR Art 15(4) and the DPA 2018 Sch 2 exemptions (third-party information, Part 3
    para 16; crime and taxation, Part 1 para 2; legal professional privilege, Part 4 para
    19). Takes the pack, the item's key in the compiled pack (`rights.pack.KEY`), the
    exemption (SarWithholding.Exemption) and a note. Withholding an item again replaces
    the exemption and note. Writes one audit row (the key and exemption; the note stays on
    the decision). Returns the SarWithholding. Raises NotRightsOfficer; PackReleased once
    the request's pack is released; ValidationError keyed by field for an unknown item,
    exemption or a missing note, or when the pack is not ready.
    """
    from .models import SarWithholding

    sar, locked = _locked_pack(pack)
    _require(actor, sar.client)
    _refuse_if_released(sar)
    _refuse_if_releasing(locked)
    if not locked.is_ready:
        raise ValidationError("The pack is not compiled yet.", code="not_ready")
    errors: dict = {}
    if item_key not in selectors.pack_item_keys(locked):
        errors["item_key"] = "There is no such item in this pack."
    if exemption not in SarWithholding.Exemption.values:
        errors["exemption"] = "Choose the exemption that applies."
    if _blank(note):
        errors["note"] = "Say why the exemption applies to this item."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    withholding, created = SarWithholding.objects.get_or_create(
        pack=locked,
        item_key=item_key,
        defaults={"exemption": exemption, "note": note.strip(), "withheld_by": actor, "withheld_at": now},
    )
    if not created:
        withholding.exemption, withholding.note = exemption, note.strip()
        withholding.withheld_by, withholding.withheld_at = actor, now
        withholding.full_clean()
        withholding.save(update_fields=["exemption", "note", "withheld_by", "withheld_at"])
    _audit(
        actor,
        locked,
        client=sar.client,
        request=request,
        detail=f"Withheld {item_key} from the pack for {sar.reference}: {withholding.get_exemption_display()}",
    )
    return withholding


@transaction.atomic
def sar_item_include(*, actor, pack, item_key: str, request=None) -> bool:
    """Undo a withholding before release: the item goes back into the pack. Returns whether one was undone.

    Writes one audit row when it undoes one. Raises NotRightsOfficer, PackReleased once
    released, or ValidationError while it is being released.
    """
    from .models import SarWithholding

    sar, locked = _locked_pack(pack)
    _require(actor, sar.client)
    _refuse_if_released(sar)
    _refuse_if_releasing(locked)
    deleted, _ = SarWithholding.objects.filter(pack=locked, item_key=item_key).delete()
    if deleted:
        _audit(
            actor,
            locked,
            client=sar.client,
            request=request,
            detail=f"Put {item_key} back into the pack for {sar.reference}",
        )
    return bool(deleted)


def sar_pack_release(*, actor, pack, request=None):
    """Release a reviewed pack to the requester: build it without the withheld items and freeze it.

    In one transaction, with the request locked: refuses a second release (PackReleased);
    reads the compiled pack back (its archive's SHA-256 checked), drops every withheld
    item, renders the client's PDF and the JSON+CSV archive, stores both privately and
    writes the SarRelease row (content, the withholding decisions, SHA-256 of the canonical
    content, the PDF and the archive), which is never changed afterwards; writes one audit
    row. Files stored for a release that then fails are removed. Rendering takes about as
    long as the compile's (the PDF dominates), so pages ask for it with
    `sar_pack_release_request` and the worker calls this (`sar_pack_release_run`).
    Returns the SarRelease. Raises NotRightsOfficer, PackReleased, ValidationError (pack
    not ready) or selectors.PackUnreadable (the compiled files are missing or changed).
    """
    from consent.evidence import private_storage
    from sharing.snapshot import snapshot_hash

    from .models import SarRelease, SarWithholding
    from .pack import pack_archive, pack_pdf, released_pack

    storage = private_storage()
    stored: list[str] = []
    try:
        with transaction.atomic():
            sar, locked = _locked_pack(pack)
            _require(actor, sar.client)
            _refuse_if_released(sar)
            if not locked.is_ready:
                raise ValidationError("The pack is not compiled yet.", code="not_ready")
            compiled = selectors.compiled_pack(locked)
            withholdings = list(
                SarWithholding.objects.filter(pack=locked).select_related("withheld_by").order_by("item_key")
            )
            now = timezone.now()
            told = sorted({SarWithholding.TOLD_TO_CLIENT.get(w.exemption, "") for w in withholdings} - {""})
            content = released_pack(
                compiled,
                withheld={w.item_key for w in withholdings},
                explained=told,
                released_at=timezone.localtime(now).strftime("%d %b %Y %H:%M"),
            )
            pdf, archive = pack_pdf(content), pack_archive(content)
            stored.append(storage.save(f"sar/released-{uuid.uuid4().hex}.pdf", ContentFile(pdf)))
            stored.append(storage.save(f"sar/released-{uuid.uuid4().hex}.zip", ContentFile(archive)))
            release = SarRelease.objects.create(
                sar=sar,
                pack=locked,
                released_by=actor,
                released_at=now,
                content=content,
                content_sha256=snapshot_hash(content),
                withheld=[
                    {
                        "key": w.item_key,
                        "section": w.section,
                        "exemption": w.exemption,
                        "exemption_label": w.get_exemption_display(),
                        "note": w.note,
                        "by": w.withheld_by.get_full_name() or w.withheld_by.get_username(),
                        "at": w.withheld_at.isoformat(),
                    }
                    for w in withholdings
                ],
                pdf_name=stored[0],
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                archive_name=stored[1],
                archive_sha256=hashlib.sha256(archive).hexdigest(),
            )
            _audit(
                actor,
                release,
                client=sar.client,
                request=request,
                detail=f"Released the pack for {sar.reference}: {len(withholdings)} item(s) withheld; "
                f"PDF SHA-256 {release.pdf_sha256}, archive SHA-256 {release.archive_sha256}",
            )
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise
    return release


def sar_pack_release_request(*, actor, pack, request=None):
    """Ask for a reviewed pack to be released; the worker renders and freezes it (`sar_pack_release`).

    Rendering the client's copy takes as long as compiling it, so it runs as a task
    (`rights.tasks.release_sar_pack`, enqueued on commit) and the review page shows it
    waiting. Asking again while it waits or runs changes nothing; after a failure it is
    queued again. Writes one audit row. Returns the pack. Raises NotRightsOfficer,
    PackReleased, or ValidationError when the pack is not ready.
    """
    with transaction.atomic():
        sar, locked = _locked_pack(pack)
        _require(actor, sar.client)
        _refuse_if_released(sar)
        if not locked.is_ready:
            raise ValidationError("The pack is not compiled yet.", code="not_ready")
        if locked.releasing:
            return locked
        locked.release_status, locked.release_requested_by, locked.release_error = "queued", actor, ""
        locked.save(update_fields=["release_status", "release_requested_by", "release_error"])
        _audit(actor, locked, client=sar.client, request=request, detail=f"Release asked for {sar.reference}")
        transaction.on_commit(partial(_enqueue_release, locked.pk))
    return locked


def _enqueue_release(pack_id: int) -> None:
    from .tasks import release_sar_pack

    try:
        release_sar_pack.delay(pack_id)
    except Exception:  # the broker is down: the page says it is waiting; asking again after a failure retries
        logger.warning("Could not queue the release of subject access pack %s.", pack_id)


def sar_pack_release_run(*, pack_id: int) -> bool:
    """The worker's part of a release: claim the queued release, then `sar_pack_release` as the person who asked.

    Idempotent: claims with a conditional update (queued -> running), so a second run
    returns False. The asker's permission is checked again (they may have changed role
    since). A refusal or failure is recorded on the pack ("failed", with the reason) and
    a PackReleased (released meanwhile) clears the request. Returns whether this call released it.
    """
    from .models import SarPack

    claimed = SarPack.objects.filter(pk=pack_id, release_status="queued").update(release_status="running")
    if not claimed:
        return False
    pack = SarPack.objects.select_related("sar", "release_requested_by").get(pk=pack_id)
    try:
        sar_pack_release(actor=pack.release_requested_by, pack=pack)
    except PackReleased:
        SarPack.objects.filter(pk=pack_id).update(release_status="")
        return False
    except (PermissionDenied, ValidationError, selectors.PackUnreadable) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        SarPack.objects.filter(pk=pack_id).update(release_status="failed", release_error=message[:1000])
        return False
    except Exception as exc:
        SarPack.objects.filter(pk=pack_id).update(release_status="failed", release_error=str(exc)[:1000])
        raise
    SarPack.objects.filter(pk=pack_id).update(release_status="")
    return True
