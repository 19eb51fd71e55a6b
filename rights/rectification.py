"""Rectification (UK GDPR Art 16) and telling the recipients of a correction (Art 19).

Art 19: a controller "shall communicate any rectification ... to each recipient to whom the
personal data have been disclosed, unless this proves impossible or involves
disproportionate effort". The disclosure log makes it possible: each `sharing.Disclosure`
keeps a snapshot of exactly what was sent, so what a recipient holds is known.

Reads
-----
`corrected_items(client)` lists every item a recipient holds in a version that is no longer
what the record says, with the recipients of that older version:

- an information entry: its summary (and, when it went at detail level, its detail) as
  sent — matched against the entry's history (the version in force when it was sent whose
  text is in the snapshot) — compared with the entry now;
- the identity and contact facts of the snapshot, compared with the same facts of the
  client now (`sharing.snapshot.client_facts`, the function the snapshot was built with);
- a case note a referral carried (snapshots name notes by id), compared with the note now.

Only what a recipient was sent is compared, and only the corrected values of what they
hold go in a notice: a fact or detail recorded since is not "a correction" they are owed
(minimisation, DESIGN.md principle 2). A constant number of queries whatever the number of
disclosures, entries and notices.

Writes
------
`rectification_notify` queues one e-mail per partner (through the deadlines outbox, so at
most once) to the partner's registered secure address, records a `RectificationNotice`
per recipient and disclosure, and audits each as a SHARE through the gate's `record`. The
corrected information goes only while the disclosure's own basis still covers it and the
client has not restricted sharing; otherwise the recipient is told that the information
was corrected, without the corrected values (docs/decisions/0017). A second click finds the
notices recorded and sends nothing. `rectification_told_otherwise` records a recipient told
by phone, letter or in person (a statutory body with no registered address).

A client's rectification request (`RectificationRequest`) is logged and decided by the
people who handle rights requests, on the one-calendar-month clock (`rights.calendar`),
registered on the shared deadline mechanism as RECTIFICATION_CLOCK.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch, Q
from django.utils import timezone

from access.gate import Action, Outcome, record
from accounts.models import Role, User
from clients.categories import REGISTRY, Level, Selection
from clients.models import Assignment, CaseNote, Client, InformationEntry
from consent import coverage
from consent.selectors import restriction_problem
from deadlines.registry import Clock, Message, Threshold, register
from deadlines.services import deadline_check, outbox_queue
from sharing.models import Disclosure, MeetingAttendance
from sharing.snapshot import client_facts

from . import selectors
from .calendar import received_on_problem, response_due
from .deadlines import due_at
from .models import RECTIFICATION_SCHEDULE, RectificationNotice, RectificationRequest
from .requesters import who_asked

Notice = RectificationNotice
PURPOSE = "rectification"
NOTICE_PURPOSE = "correction notice (UK GDPR Art 19)"
REMOVED = ""  # a corrected value of "" means the fact is no longer recorded
FACT_KEYS = ("identity", "contact")


# --- Who may do what ---------------------------------------------------------------------------


class NotAllowedToNotify(PermissionDenied):
    """Only the client's key worker or a service manager of the client's team tells recipients."""


def can_notify(user, client: Client) -> bool:
    """The client's key worker (an open key-worker assignment) or a service manager of their team.

    Anyone the gate lets open the record sees who received an older version; telling them
    is the key worker's or the team manager's job, as a referral is (docs/decisions/0017).
    """
    if not getattr(user, "pk", None) or not user.is_active:
        return False
    if selectors.can_handle(user, client.team_id) and user.role == Role.SERVICE_MANAGER:
        return True
    return Assignment.objects.filter(
        client_id=client.pk, caseworker_id=user.pk, ended_on__isnull=True, is_key_worker=True
    ).exists()


# --- What recipients hold that is no longer right ---------------------------------------------


@dataclass
class Recipient:
    """One organisation that received an older version of one item, in one disclosure."""

    disclosure: Disclosure
    partner: object  # consent.Partner, or None for a statutory body that is not a registered partner
    key: str  # "partner:<id>" or "body"
    name: str
    address: str  # the registered secure address, "" when there is none
    level: Level
    corrected: list[tuple[str, str]]  # (label, corrected value; "" = no longer recorded)
    sha256: str
    notice: RectificationNotice | None = None

    @property
    def id(self) -> str:
        """Names this recipient of this disclosure in a form: "<disclosure id>-<key>"."""
        return f"{self.disclosure.pk}-{self.key}"

    @property
    def told(self) -> bool:
        return self.notice is not None

    @property
    def is_statutory(self) -> bool:
        return self.disclosure.kind == Disclosure.Kind.STATUTORY


@dataclass
class CorrectedItem:
    """One item of the record that was sent to someone in a version it no longer has."""

    key: str  # "entry:<id>", "facts:identity", "facts:contact" or "note:<id>"
    category: str
    title: str
    current: list[tuple[str, str]]  # the item as the record now says it
    recipients: list[Recipient] = field(default_factory=list)

    @property
    def category_label(self) -> str:
        return REGISTRY[self.category].label

    @property
    def entry_id(self) -> int | None:
        kind, _, pk = self.key.partition(":")
        return int(pk) if kind == "entry" else None

    @property
    def pending(self) -> list[Recipient]:
        return [r for r in self.recipients if not r.told]

    @property
    def pending_by_email(self) -> list[Recipient]:
        return [r for r in self.pending if r.address]


def _sha256(item_key: str, corrected: list[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps([item_key, corrected], ensure_ascii=False).encode()).hexdigest()


def _recipients_of(disclosure: Disclosure) -> list[tuple[object, str, str, str]]:
    """(partner or None, key, name, registered address) for each organisation that received it."""
    if disclosure.kind == Disclosure.Kind.MEETING:
        partners = [a.partner for a in disclosure.attendances.all()]
    elif disclosure.partner_id is not None:
        partners = [disclosure.partner]
    else:
        # A statutory body that is not a registered partner: no address we may write to.
        return [(None, "body", disclosure.recipient_label, "")]
    return [(p, f"partner:{p.pk}", p.name, p.secure_email or "") for p in partners]


def _entry_versions(client: Client, entry_id: int | None) -> dict[int, list[tuple]]:
    """Each entry's versions, oldest first: (at, category, summary, detail, deleted). One query."""
    rows = InformationEntry.history.filter(client_id=client.pk)
    if entry_id is not None:
        rows = rows.filter(id=entry_id)
    versions: dict[int, list[tuple]] = defaultdict(list)
    for pk, category, summary, detail, at, kind in rows.order_by("history_date", "history_id").values_list(
        "id", "category", "summary", "detail", "history_date", "history_type"
    ):
        versions[pk].append((at, category, summary or "", detail or "", kind == "-"))
    return versions


def _held_version(versions: list[tuple], sent_at: dt.datetime, sent: set[tuple[str, str]], level: Level):
    """The version of an entry a snapshot carried: the latest one in force by `sent_at` whose text it holds."""
    for at, _category, summary, detail, deleted in reversed(versions):
        if at > sent_at or deleted:
            continue
        if (summary, detail if level is Level.DETAIL else "") in sent:
            return summary, detail
    return None


def corrected_items(client: Client, *, item: str | None = None) -> list[CorrectedItem]:
    """Every item of `client`'s record that a recipient holds in an older version, with those recipients.

    Takes the client and optionally one item key ("entry:12", "facts:identity", "note:5").
    Returns CorrectedItems in the order of the record (identity and contact first, then
    entries and notes by category), each with its recipients, oldest disclosure first, and
    the notice already recorded for this correction (None when they are still to be told).
    Recipients who were sent the corrected version are not listed. An anonymised client
    has nothing to pass on (anonymisation is not a correction). At most six queries; a disclosure
    made after the record last changed is not read.
    """
    if client.anonymised_at is not None:
        return []
    kind, _, wanted_pk = (item or "").partition(":")
    entry_filter = int(wanted_pk) if kind == "entry" and wanted_pk.isdigit() else None
    versions = _entry_versions(client, entry_filter) if kind in ("", "entry") else {}
    # Only a disclosure made before the record last changed can hold an older version: in the
    # usual case (nothing corrected since it was sent) no snapshot is read at all.
    changes = [client.updated_at, *(history[-1][0] for history in versions.values())]
    if kind in ("", "note"):
        changes.append(CaseNote.objects.filter(client_id=client.pk).aggregate(last=Max("updated_at"))["last"])
    last_change = max(filter(None, changes))
    disclosures = list(
        Disclosure.objects.filter(client_id=client.pk, disclosed_at__lt=last_change)
        .select_related("partner")
        .prefetch_related(
            Prefetch(
                "attendances", queryset=MeetingAttendance.objects.select_related("partner").order_by("partner__name")
            )
        )
        .order_by("disclosed_at", "pk")
    )
    note_ids = {
        int(note["id"])
        for d in disclosures
        for section in d.snapshot.get("sections", [])
        for note in section.get("notes", [])
        if str(note.get("id", "")).isdigit()
    }
    notes = {}
    if note_ids and kind in ("", "note"):
        notes = {n.pk: n for n in CaseNote.objects.filter(client_id=client.pk, pk__in=note_ids)}
    told = {
        (n.disclosure_id, n.recipient_key, n.item_key, n.correction_sha256): n
        for n in Notice.objects.filter(client_id=client.pk).select_related("told_by", "outbox_email")
    }

    found: dict[str, CorrectedItem] = {}

    def add(key, category, title, current, disclosure, level, corrected):
        if item is not None and key != item:
            return
        entry = found.setdefault(key, CorrectedItem(key=key, category=category, title=title, current=current))
        sha = _sha256(key, corrected)
        for partner, recipient_key, name, address in _recipients_of(disclosure):
            entry.recipients.append(
                Recipient(
                    disclosure=disclosure,
                    partner=partner,
                    key=recipient_key,
                    name=name,
                    address=address,
                    level=level,
                    corrected=corrected,
                    sha256=sha,
                    notice=told.get((disclosure.pk, recipient_key, key, sha)),
                )
            )

    for disclosure in disclosures:
        selection = Selection.from_json(disclosure.selection)
        for section in disclosure.snapshot.get("sections", []):
            category = section.get("key")
            if category not in selection or category not in REGISTRY:
                continue
            level = selection[category]
            if category in FACT_KEYS and kind in ("", "facts"):
                held = {label: value for label, value in section.get("facts", [])}
                now = dict(map(tuple, client_facts(client, category, level)))
                corrected = [
                    (label, now.get(label, REMOVED)) for label in held if now.get(label, REMOVED) != held[label]
                ]
                if corrected:
                    current = list(map(tuple, client_facts(client, category, level)))
                    add(f"facts:{category}", category, REGISTRY[category].label, current, disclosure, level, corrected)
            sent = {(e.get("summary", ""), e.get("detail", "")) for e in section.get("entries", [])}
            for pk, history in versions.items():
                _at, entry_category, summary, detail, deleted = history[-1]
                if deleted or entry_category != category or not sent:
                    continue
                held = _held_version(history, disclosure.disclosed_at, sent, level)
                if held is None:
                    continue
                corrected = []
                if held[0] != summary:
                    corrected.append(("Summary", summary))
                if level is Level.DETAIL and held[1] and held[1] != detail:
                    corrected.append(("Detail", detail))
                if corrected:
                    current = [("Summary", summary)] + ([("Detail", detail)] if detail else [])
                    title = f"{REGISTRY[category].label} entry"
                    add(f"entry:{pk}", category, title, current, disclosure, level, corrected)
            for sent_note in section.get("notes", []):
                note = notes.get(int(sent_note["id"])) if str(sent_note.get("id", "")).isdigit() else None
                if note is None or note.text == sent_note.get("text", ""):
                    continue
                title = f"Case note of {sent_note.get('written_on', '')}"
                add(f"note:{note.pk}", category, title, [("Note", note.text)], disclosure, level, [("Note", note.text)])
    order = {key: i for i, key in enumerate(REGISTRY)}
    return sorted(found.values(), key=lambda c: (c.key.split(":")[0] != "facts", order.get(c.category, 99), c.key))


def sent_before_correction(entry: InformationEntry, *, client: Client | None = None) -> CorrectedItem | None:
    """The recipients of an older version of this entry ("Sent to ... before this correction"), or None.

    `client` is the entry's client when the caller has it already (saves a query).
    """
    items = corrected_items(client or entry.client, item=f"entry:{entry.pk}")
    return items[0] if items else None


# --- Telling them ------------------------------------------------------------------------------


@dataclass
class NotifyResult:
    notices: list[RectificationNotice] = field(default_factory=list)
    emails: int = 0
    already_told: int = 0
    other_means: list[Recipient] = field(default_factory=list)


def _withheld_reason(disclosure: Disclosure, category: str, level: Level, restriction: str, now) -> str:
    """Why the corrected information may not go to this recipient now ("" when it may).

    With the disclosure's basis row locked: the basis must still cover this category at
    this level (not withdrawn, ended, expired or narrowed), and sharing about the client
    must not be restricted (Art 18). A statutory disclosure made without consent (a court
    order, an emergency) has no basis row to re-check; the restriction still applies.
    """
    if restriction:
        return restriction
    basis = disclosure.consent if disclosure.consent_id else disclosure.lawful_basis
    if basis is None:
        return ""
    locked = type(basis).objects.select_for_update().get(pk=basis.pk)
    recipient = disclosure.partner.name if disclosure.partner_id else disclosure.recipient_label
    return coverage.why_not(locked, Selection({category: level}), recipient=recipient, at=now)


def _email(recipients: list[tuple[Recipient, str]], item: CorrectedItem) -> tuple[str, str]:
    """The notice's subject and body: the reference and date of each disclosure, the category,
    and the corrected values only (no name: the reference identifies the person to them)."""
    org = settings.ORGANISATION_NAME
    references = ", ".join(sorted({r.disclosure.reference for r, _ in recipients}))
    subject = f"[{org}] Correction to information we sent you (our reference {references})"[:300]
    parts = [
        f"To {recipients[0][0].name},",
        "",
        "Information we sent you has since been corrected. Under UK GDPR Article 19 we tell "
        "everyone we disclosed it to. Please correct your records.",
    ]
    for recipient, withheld in recipients:
        parts += [
            "",
            f"Our reference {recipient.disclosure.reference}, "
            f"sent {coverage.format_date(recipient.disclosure.disclosed_at)}",
            f"Information: {item.category_label}",
        ]
        if withheld:
            parts.append(
                "We are not able to send you the corrected information. Please do not rely on the "
                f"{item.category_label.lower()} information we sent under this reference."
            )
        else:
            for label, value in recipient.corrected:
                parts.append(f"Corrected {label.lower()}: {value}" if value else f"{label}: no longer recorded")
    parts += ["", f"— {org}", "If you have questions, reply to this e-mail quoting our reference."]
    return subject, "\n".join(parts) + "\n"


def _audit(actor, *, client, obj, request, outcome, categories, basis, detail, purpose=NOTICE_PURPOSE):
    return record(
        actor,
        action=Action.SHARE,
        outcome=outcome,
        client=client,
        request=request,
        obj=obj,
        categories=categories,
        purpose=purpose[:200],
        basis=basis[:200],
        detail=detail,
    )


def _locked_item(actor, client: Client, item: str) -> tuple[Client, CorrectedItem]:
    # The client row is locked so two clicks are one after the other: the second finds the notices.
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if not can_notify(actor, locked):
        raise NotAllowedToNotify("Only the client's key worker or a service manager of their team tells recipients.")
    items = corrected_items(locked, item=item)
    if not items:
        raise ValidationError("Nobody holds an older version of this information.", code="nothing")
    return locked, items[0]


def rectification_notify(
    *, actor, client: Client, item: str, recipients: Iterable[str] | None = None, request=None
) -> NotifyResult:
    """Tell the recipients of an older version of `item` about its correction (UK GDPR Art 19).

    Takes the acting key worker or team manager, the client, the item key ("entry:12",
    "facts:identity", "note:5") and optionally the ids of the recipients to tell
    (`Recipient.id`; default: all still to be told). In one transaction, with the client
    row locked: one e-mail per partner, queued through the outbox
    (`deadlines.services.outbox_queue`, sent at most once) to the partner's registered
    secure address, naming each disclosure's reference and date, the category and the
    corrected values; one RectificationNotice per recipient and disclosure; one SHARE
    audit row each, naming the basis. Where the disclosure's basis no longer covers the
    category or sharing is restricted, the e-mail says the information was corrected
    without the corrected values, and a denied SHARE row records why they were withheld.
    Recipients already told of this correction are skipped, so a second click sends
    nothing. Recipients with no registered address (a statutory body that is not a
    partner) are returned in `other_means`. Returns a NotifyResult. Raises
    NotAllowedToNotify, or ValidationError when nobody holds an older version.
    """
    wanted = set(recipients) if recipients is not None else None
    with transaction.atomic():
        locked, corrected = _locked_item(actor, client, item)
        result = NotifyResult(already_told=sum(1 for r in corrected.recipients if r.told and _chosen(r, wanted)))
        pending = [r for r in corrected.pending if _chosen(r, wanted)]
        result.other_means = [r for r in pending if not r.address]
        by_address: dict[tuple[str, str], list[Recipient]] = defaultdict(list)
        for recipient in pending:
            if recipient.address:
                by_address[(recipient.key, recipient.address)].append(recipient)
        now = timezone.now()
        restriction = restriction_problem(locked)
        for (_key, address), group in by_address.items():
            withheld = [
                (r, _withheld_reason(r.disclosure, corrected.category, r.level, restriction, now)) for r in group
            ]
            subject, body = _email(withheld, corrected)
            email = outbox_queue(subject=subject, body=body, recipients=[address])
            result.emails += 1
            for recipient, reason in withheld:
                result.notices.append(
                    _record_notice(
                        actor, locked, corrected, recipient, email=email, reason=reason, now=now, request=request
                    )
                )
    return result


def _chosen(recipient: Recipient, wanted: set[str] | None) -> bool:
    return wanted is None or recipient.id in wanted


def _basis_text(recipient: Recipient, *, withheld: bool, how: str = "") -> str:
    if withheld:
        return "UK GDPR Art 19 (legal obligation): told of a correction, without the corrected information"
    told = f" ({how})" if how else ""
    return f"UK GDPR Art 19 (legal obligation){told}; sent under {recipient.disclosure.basis_label}"


def _record_notice(actor, client, item: CorrectedItem, recipient: Recipient, *, email, reason, now, request):
    notice = Notice(
        client=client,
        disclosure=recipient.disclosure,
        partner=recipient.partner,
        recipient_key=recipient.key,
        recipient_label=recipient.name[:300],
        item_key=item.key,
        category=item.category,
        correction_sha256=recipient.sha256,
        how=Notice.How.EMAIL_WITHOUT_VALUE if reason else Notice.How.EMAIL,
        to_address=recipient.address,
        outbox_email=email,
        basis=_basis_text(recipient, withheld=bool(reason))[:300],
        withheld_reason=reason,
        told_by=actor,
        told_at=now,
    )
    notice.full_clean()
    notice.save()
    ref = recipient.disclosure.reference
    if reason:
        _audit(
            actor,
            client=client,
            obj=notice,
            request=request,
            outcome=Outcome.DENIED,
            categories=[item.category],
            basis=recipient.disclosure.basis_label,
            detail=f"Corrected {item.category_label.lower()} of {ref} not sent to {recipient.address}: {reason}",
        )
    _audit(
        actor,
        client=client,
        obj=notice,
        request=request,
        outcome=Outcome.ALLOWED,
        categories=[] if reason else [item.category],
        basis=notice.basis,
        detail=f"Correction notice for {ref} ({item.key}) queued to {recipient.address}, e-mail {email.pk}"
        + (", without the corrected information" if reason else f", SHA-256 {recipient.sha256}"),
    )
    return notice


OTHER_MEANS = (Notice.How.PHONE, Notice.How.LETTER, Notice.How.IN_PERSON, Notice.How.OTHER)


def rectification_told_otherwise(
    *, actor, client: Client, item: str, recipient: str, how: str, note: str = "", request=None
) -> RectificationNotice:
    """Record that one recipient was told of a correction another way (phone, letter, in person...).

    For a statutory body with no registered address, or any recipient told outside the
    system. Takes the item key, the recipient's id (`Recipient.id`), how (one of
    OTHER_MEANS) and a note (required for "another way"). Writes the notice and one SHARE
    audit row. Returns the notice. Raises NotAllowedToNotify, or ValidationError (unknown
    recipient, already told of this correction, how missing).
    """
    errors = {}
    if how not in OTHER_MEANS:
        errors["how"] = "Choose how the recipient was told."
    elif how == Notice.How.OTHER and not (note or "").strip():
        errors["note"] = "Say how the recipient was told."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked, corrected = _locked_item(actor, client, item)
        target = next((r for r in corrected.recipients if r.id == recipient), None)
        if target is None:
            raise ValidationError(
                "That recipient did not receive an older version of this information.", code="unknown"
            )
        if target.told:
            raise ValidationError("This recipient has already been told of this correction.", code="told")
        label = Notice.How(how).label.lower()
        notice = Notice(
            client=locked,
            disclosure=target.disclosure,
            partner=target.partner,
            recipient_key=target.key,
            recipient_label=target.name[:300],
            item_key=corrected.key,
            category=corrected.category,
            correction_sha256=target.sha256,
            how=how,
            basis=_basis_text(target, withheld=False, how=label)[:300],
            note=(note or "").strip(),
            told_by=actor,
            told_at=timezone.now(),
        )
        notice.full_clean()
        notice.save()
        _audit(
            actor,
            client=locked,
            obj=notice,
            request=request,
            outcome=Outcome.ALLOWED,
            categories=[corrected.category],
            basis=notice.basis,
            detail=f"Recorded: {target.name} told of the correction of {corrected.key} ({target.disclosure.reference}) "
            f"by {label}",
        )
    return notice


# --- A client's rectification request (Art 16) --------------------------------------------------


class NotRightsOfficer(PermissionDenied):
    """Only a service manager of the client's team or the information security officer handles rights requests."""


def _require_handler(actor, client: Client) -> None:
    if not selectors.can_handle(actor, client.team_id):
        raise NotRightsOfficer(
            "Only a service manager of the client's team or the information security officer handles this."
        )


def _audit_request(actor, obj, *, client, request, detail):
    return record(
        actor,
        action=Action.EDIT,
        outcome=Outcome.ALLOWED,
        client=client,
        request=request,
        obj=obj,
        categories=["identity"],
        purpose=PURPOSE,
        detail=detail,
    )


def _blank(value) -> bool:
    return value is None or not str(value).strip()


@transaction.atomic
def rectification_request_log(
    *,
    actor,
    client: Client,
    received_on: dt.date | None,
    what_is_wrong: str,
    requester: str = "",
    asked_by: str = "",
    requester_relationship: str = "",
    request=None,
) -> RectificationRequest:
    """Log a client's request to correct or complete what we hold (UK GDPR Art 16).

    Takes who asked (`requester`: the client, or a representative named `asked_by` with
    their `requester_relationship`; `rights.requesters.who_asked`), what they say is wrong,
    and the local date received (not in the future). The deadline (`due_on`) is one
    calendar month from receipt (Art 12(3); `rights.calendar.response_due`), watched by
    RECTIFICATION_CLOCK. Returns the request.
    Raises NotRightsOfficer unless `actor` is a service manager of the client's team or
    the ISO, or ValidationError keyed by field.
    """
    _require_handler(actor, client)
    errors = {}
    if problem := received_on_problem(received_on, today=timezone.localdate(), right="The right to rectification"):
        errors["received_on"] = problem
    asked_by = who_asked(errors, requester=requester, name=asked_by, relationship=requester_relationship)
    if _blank(what_is_wrong):
        errors["what_is_wrong"] = "Write down what they say is wrong or incomplete."
    if errors:
        raise ValidationError(errors)
    obj = RectificationRequest(
        client=client,
        received_on=received_on,
        asked_by=asked_by,
        what_is_wrong=what_is_wrong.strip(),
        due_on=response_due(received_on),
        logged_by=actor,
        logged_at=timezone.now(),
    )
    obj._history_user = actor
    obj.full_clean()
    obj.save()
    _audit_request(
        actor,
        obj,
        client=client,
        request=request,
        detail=f"Rectification request logged: received {received_on:%d %b %Y}, due {obj.due_on:%d %b %Y}",
    )
    deadline_check(clock=RECTIFICATION_CLOCK, object_ids=[obj.pk])
    return obj


def rectification_request_decide(
    *,
    actor,
    rectification: RectificationRequest,
    decision: str,
    reason: str = "",
    outcome_on: dt.date | None = None,
    request=None,
) -> RectificationRequest:
    """Decide a rectification request: corrected, partly corrected or refused, and when the client was told.

    A refusal or a partial correction needs the reasons (Art 12(4): the client is told why
    and of their right to complain to the ICO). `outcome_on` is the local date the client
    was told the outcome (not in the future, not before receipt); deciding stops the
    clock. Correcting the record itself is done on the record (entries, details), which
    then lists the recipients to tell. Returns the request. Raises NotRightsOfficer, or
    ValidationError keyed by field (or without a field when it was decided already).
    """
    D = RectificationRequest.Decision
    errors = {}
    if decision not in D.values:
        errors["decision"] = "Choose the decision."
    elif decision != D.CORRECTED and _blank(reason):
        errors["reason"] = "Give the reasons: the client must be told why."
    if outcome_on is None:
        errors["outcome_on"] = "Enter the date the client was told the outcome."
    elif outcome_on > timezone.localdate():
        errors["outcome_on"] = "The date cannot be in the future."
    elif outcome_on < rectification.received_on:
        errors["outcome_on"] = "The client cannot have been told before the request was received."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = (
            RectificationRequest.objects.select_for_update(of=("self",))
            .select_related("client")
            .get(pk=rectification.pk)
        )
        _require_handler(actor, locked.client)
        if not locked.is_open:
            raise ValidationError("This request has already been decided.", code="decided")
        locked.status = RectificationRequest.Status.DECIDED
        locked.decision = decision
        locked.decision_reason = (reason or "").strip()
        locked.outcome_on = outcome_on
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked._history_user = actor
        locked.full_clean()
        locked.save(update_fields=["status", "decision", "decision_reason", "outcome_on", "decided_by", "decided_at"])
        late = locked.days_left(outcome_on) < 0
        _audit_request(
            actor,
            locked,
            client=locked.client,
            request=request,
            detail=f"Rectification request {locked.pk}: {locked.get_decision_display().lower()}, client told "
            f"{outcome_on:%d %b %Y}" + (f", {-locked.days_left(outcome_on)} day(s) late" if late else ", on time"),
        )
    return locked


# --- Reads for the register and the client's rights page ----------------------------------------


@dataclass(frozen=True)
class RequestRow:
    rectification: RectificationRequest
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.rectification.is_open and self.days_left < 0

    @property
    def urgent(self) -> bool:
        return self.rectification.is_open and self.days_left <= 7

    @property
    def time_left(self) -> str:
        if not self.rectification.is_open:
            return "Decided"
        if self.days_left < 0:
            return f"{-self.days_left} day{'s' if self.days_left != -1 else ''} overdue"
        if self.days_left == 0:
            return "Due today"
        return f"{self.days_left} day{'s' if self.days_left != 1 else ''} left"


def register_rows(user, *, include_decided: bool = False, client: Client | None = None) -> list[RequestRow]:
    """Rectification requests this person handles (`selectors.handled_q`), open ones first, soonest deadline first.

    One query. Optionally only one client's.
    """
    today = timezone.localdate()
    rows = RectificationRequest.objects.filter(selectors.handled_q(user)).select_related("client__team")
    if client is not None:
        rows = rows.filter(client=client)
    if not include_decided:
        rows = rows.filter(status=RectificationRequest.Status.OPEN)
    return [RequestRow(r, r.days_left(today)) for r in rows.order_by("status", "due_on", "id")]


def request_for(user, client_id, obj_id) -> RectificationRequest | None:
    """One rectification request of this client that `user` handles, else None (unknown and forbidden alike)."""
    return (
        RectificationRequest.objects.filter(selectors.handled_q(user), pk=obj_id, client_id=client_id)
        .select_related("client__team", "logged_by", "decided_by")
        .first()
    )


# --- The clock (the shared deadline mechanism) -----------------------------------------------------

RECTIFICATION_CLOCK = "rights.rectification"


def alert_days() -> list[int]:
    """RECTIFICATION_ALERT_DAYS, longest first (0 = at the deadline). Raises ValueError for a negative one."""
    days = sorted({int(d) for d in settings.RECTIFICATION_ALERT_DAYS}, reverse=True)
    if any(d < 0 for d in days):
        raise ValueError(f"RECTIFICATION_ALERT_DAYS must not be negative, not {days}")
    return days


def thresholds() -> list[Threshold]:
    return [
        Threshold(f"{d}d", dt.timedelta(days=d), f"Due within {d} days")
        if d
        else Threshold("due", dt.timedelta(0), "Overdue")
        for d in alert_days()
    ]


def running(horizon: dt.datetime, ids: list[int] | None):
    """Open rectification requests whose due time is at or before `horizon` (UTC)."""
    last_due_on = timezone.localtime(horizon, timezone.get_default_timezone()).date() - dt.timedelta(days=1)
    rows = RectificationRequest.objects.filter(status=RectificationRequest.Status.OPEN, due_on__lte=last_due_on)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return [(pk, due_at(due_on)) for pk, due_on in rows.values_list("pk", "due_on")]


def _handlers(team_id: int) -> list[str]:
    """The e-mail addresses of the team's service managers and of the information security officers."""
    people = Q(role=Role.SERVICE_MANAGER, memberships__team_id=team_id) | Q(role=Role.INFORMATION_SECURITY_OFFICER)
    return sorted(set(User.objects.filter(people, is_active=True).exclude(email="").values_list("email", flat=True)))


def message(alert, covered, now) -> Message | None:
    """The e-mail for a threshold: the client's reference only, never the name (e-mail is less safe)."""
    obj = RectificationRequest.objects.select_related("client").filter(pk=alert.object_id).first()
    if obj is None or not obj.is_open:
        return None
    left = obj.days_left(timezone.localdate(now))
    when = (
        "is overdue"
        if left < 0
        else ("is due today" if left == 0 else f"is due in {left} day{'s' if left != 1 else ''}")
    )
    org = settings.ORGANISATION_NAME
    subject = f"[{org}] A rectification request about client {obj.client.reference} {when}"
    body = (
        f"The rectification request about client {obj.client.reference}, received "
        f"{obj.received_on:%-d %B %Y}, must be answered by {obj.due_on:%A %-d %B %Y} "
        "(one calendar month, UK GDPR Article 12(3)).\n\n"
        "Decide it on the client's Rights requests tab: corrected, partly corrected or refused with "
        "the reasons, and the date the client was told.\n\n"
        f"— {org} casework\n"
    )
    return Message(subject=subject, body=body, recipients=_handlers(obj.client.team_id))


def register_clock() -> None:
    register(
        Clock(
            name=RECTIFICATION_CLOCK,
            running=running,
            thresholds=thresholds,
            message=message,
            model=RectificationRequest,
            schedule=RECTIFICATION_SCHEDULE,
            due_at=due_at,
        )
    )
