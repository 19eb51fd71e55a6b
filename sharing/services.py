"""Writes: referrals (draft, send, e-mail), meeting disclosures, agreements' documents and
the tasks that follow a withdrawal.

Sharing is the gate's `share()` (DESIGN.md), built here on the gate's primitives because
`access.gate` may not import `sharing`. The view has already passed the gate for the
client (`access.gate.client_view`, in the same transaction); `referral_send` and
`meeting_disclosure_record` then, inside one transaction:

1. lock the basis rows (`basis_for_share(..., lock=True)`) and re-check the whole
   decision — basis, data-sharing agreement, reasons;
2. write the `Disclosure` with the snapshot of exactly what is sent, and its hash;
3. write the one SHARE audit row through `access.gate.record`, naming the basis — or,
   when refused, a denied SHARE row with the explanation.

A withdrawal locks the same consent row (`consent.services.consent_withdraw`), so either
it commits first and the share sees it and is refused, or the share commits first and
the withdrawal's callback (`recipient_notices_create`) finds the new disclosure and
creates the "tell the recipient to stop" task. There is never a disclosure after a
committed withdrawal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from access.gate import Action, Outcome, record
from accounts.models import Role
from casework import references
from clients.categories import Selection
from clients.models import TimelineEvent
from clients.services import timeline_record
from consent import coverage
from consent.coverage import format_date
from consent.evidence import CheckedUpload, remove, store
from consent.models import ConsentRecord, MeetingGroup, Partner, Purpose
from deadlines.services import Delivery, mail_deliver, outbox_queue

from . import selectors
from .models import (
    AgreementDocument,
    DataSharingAgreement,
    Disclosure,
    RecipientNotice,
    Referral,
    SharingPolicy,
    Transmission,
)
from .snapshot import build_snapshot, snapshot_hash

logger = logging.getLogger(__name__)


class ShareRefused(Exception):
    """The share was not made; `decision.refusals` says why, in plain English."""

    def __init__(self, decision: selectors.ShareDecision):
        super().__init__(" ".join(decision.refusals))
        self.decision = decision


def _clean_reasons(selection: Selection, reasons: Mapping[str, str]) -> dict[str, str]:
    """Reasons for the selected items that need one; anything else is dropped."""
    return {
        key: (reasons.get(key) or "").strip()
        for key in selection
        if selectors.needs_reason(key) and (reasons.get(key) or "").strip()
    }


def _check_reasons(selection: Selection, reasons: Mapping[str, str]) -> None:
    missing = selectors.missing_reasons(selection, reasons)
    if missing:
        raise ValidationError({selectors.reason_field(key): selectors.missing_reason_message(key) for key in missing})


def _locked_decision(decide, **kwargs) -> selectors.ShareDecision:
    """Decide with the basis rows locked, as of the moment the lock was granted.

    A withdrawal that committed before the lock is in effect even if the clock of the
    server that recorded it runs ahead of this one: the share is then judged as of the
    latest withdrawal time among the candidates.
    """
    decision = decide(lock=True, **kwargs)
    withdrawals = [w for w in (getattr(r, "withdrawn_at", None) for r in decision.answer.candidates) if w]
    if withdrawals and max(withdrawals) > timezone.now():
        decision = decide(lock=True, on=max(withdrawals), **kwargs)
    return decision


def _refused_basis_label(decision: selectors.ShareDecision, recipient: str) -> str:
    """For a denied SHARE row: the basis that no longer holds (withdrawn, ended, expired), if any."""
    for basis in decision.answer.candidates:
        if coverage.status_now(basis) is not coverage.Status.ACTIVE:
            return selectors.basis_label(basis, recipient)
    return ""


def _new_reference(now) -> str:
    return references.dated("disclosure", now)


def _audit_share(
    actor, *, client, request, obj, selection: Selection, purpose: str, outcome: str, basis: str = "", detail: str = ""
):
    return record(
        actor,
        action=Action.SHARE,
        outcome=outcome,
        client=client,
        request=request,
        obj=obj,
        categories=list(selection),
        purpose=purpose,
        basis=basis,
        detail=detail,
    )


def _disclose(
    *,
    actor,
    kind: str,
    client,
    decision: selectors.ShareDecision,
    purpose: Purpose,
    recipient: str,
    reasons: dict[str, str],
    now,
    partner: Partner | None = None,
    group: MeetingGroup | None = None,
    meeting_on=None,
    present: Iterable[Partner] = (),
    content: Mapping | None = None,
) -> Disclosure:
    basis = decision.basis
    # The basis names whom it covers: the partner, or the meeting group (not everyone present).
    label = selectors.basis_label(basis, group.name if group is not None else recipient)
    reference = _new_reference(now)
    snapshot = build_snapshot(
        client=client,
        selection=decision.selection,
        reference=reference,
        recipient=recipient,
        purpose=purpose.name,
        basis=label,
        sent_at=now,
        sent_by=actor.get_full_name() or actor.get_username(),
        **(content or {}),
    )
    disclosure = Disclosure(
        kind=kind,
        reference=reference,
        client=client,
        partner=partner,
        meeting_group=group,
        meeting_on=meeting_on,
        recipient_label=recipient[:500],
        purpose=purpose,
        purpose_label=purpose.name,
        consent=basis if isinstance(basis, ConsentRecord) else None,
        lawful_basis=None if isinstance(basis, ConsentRecord) else basis,
        basis_label=label[:300],
        agreement=decision.agreement.agreement if decision.agreement is not None else None,
        selection=decision.selection.to_json(),
        reasons=reasons,
        disclosed_by=actor,
        disclosed_at=now,
        snapshot=snapshot,
        snapshot_sha256=snapshot_hash(snapshot),
    )
    disclosure.full_clean(exclude=["organisations_present"])
    disclosure.save()
    present = list(present)
    if present:
        disclosure.organisations_present.set(present)
    return disclosure


# --- Recording a disclosure, for apps above sharing (statutory, rights) ----------------------


def disclosure_reasons_check(selection: Selection, reasons: Mapping[str, str]) -> dict[str, str]:
    """Check the reasons for a selection and return those the disclosure log keeps.

    Takes the `{category: level}` selection and `{category key: reason text}`. Every
    special-category or criminal-offence item needs a reason (DESIGN.md, principle 2;
    UK GDPR Art 9 and DPA 2018 s.10-11); returns the stripped reasons of the selected
    items that need one, dropping the rest. Raises ValidationError keyed by each missing
    item's form field (`selectors.reason_field`) when one is missing.
    """
    _check_reasons(selection, reasons)
    return _clean_reasons(selection, reasons)


def share_decision_locked(decide, **kwargs) -> selectors.ShareDecision:
    """Call `decide(lock=True, **kwargs)` (which returns a ShareDecision) with the basis rows locked.

    A withdrawal committed before the lock wins even if its server's clock ran ahead: the
    decision is then taken again as of the latest withdrawal among the candidates. Call it
    inside a transaction (docs/decisions/0006).
    """
    return _locked_decision(decide, **kwargs)


def disclosure_record(
    *,
    actor,
    kind: str,
    client,
    recipient: str,
    purpose: Purpose,
    purpose_label: str,
    basis,
    basis_label: str,
    selection: Selection,
    reasons: Mapping[str, str],
    now,
    partner: Partner | None = None,
    extra: Mapping[str, object] | None = None,
) -> Disclosure:
    """Write one row of the disclosure log: what left the organisation, to whom, why, and on what basis.

    For shares decided outside this module (a police or statutory request). The caller has
    already re-checked the basis with its rows locked and writes its own SHARE audit row;
    this must run in the caller's transaction (RuntimeError otherwise), so the log row and
    the audit row commit together. `basis` is the ConsentRecord or LawfulBasisRecord that
    covered it, or None when the basis is outside consent (a court order: `basis_label`
    says so). `now` is the disclosure time (aware, UTC). `extra` is added to the snapshot
    under its own keys (it may not replace the snapshot's). Returns the saved Disclosure,
    whose snapshot and SHA-256 are final: the log is append-only.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("disclosure_record must run inside the caller's transaction.")
    reference = _new_reference(now)
    snapshot = build_snapshot(
        client=client,
        selection=selection,
        reference=reference,
        recipient=recipient,
        purpose=purpose_label,
        basis=basis_label,
        sent_at=now,
        sent_by=actor.get_full_name() or actor.get_username(),
    )
    clash = set(extra or {}) & set(snapshot)
    if clash:
        raise ValueError(f"extra may not replace the snapshot's own keys: {', '.join(sorted(clash))}")
    snapshot.update(extra or {})
    disclosure = Disclosure(
        kind=kind,
        reference=reference,
        client=client,
        partner=partner,
        recipient_label=recipient[:500],
        purpose=purpose,
        purpose_label=purpose_label[:200],
        consent=basis if isinstance(basis, ConsentRecord) else None,
        lawful_basis=None if basis is None or isinstance(basis, ConsentRecord) else basis,
        basis_label=basis_label[:300],
        selection=selection.to_json(),
        reasons=dict(reasons),
        disclosed_by=actor,
        disclosed_at=now,
        snapshot=snapshot,
        snapshot_sha256=snapshot_hash(snapshot),
    )
    disclosure.full_clean(exclude=["organisations_present"])
    disclosure.save()
    return disclosure


# --- Referrals -----------------------------------------------------------------------------


@transaction.atomic
def referral_start(*, actor, client, partner: Partner, purpose: Purpose) -> Referral:
    """A draft referral whose selection starts from the purpose's template."""
    errors = {}
    if not partner.is_active:
        errors["partner"] = "This organisation no longer receives referrals."
    if not purpose.is_active:
        errors["purpose"] = "This purpose is no longer used."
    if errors:
        raise ValidationError(errors)
    template = selectors.template_for(purpose)
    now = timezone.now()
    referral = Referral(
        client=client,
        partner=partner,
        purpose=purpose,
        selection=template.selection_obj.to_json() if template else {},
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    referral.full_clean()
    referral.save()
    return referral


REFERRAL_DETAILS = ("request", "referrer_phone", "safe_to_phone", "voicemail_ok", "letters_ok", "safe_contact_notes")


def _clean_notes(referral: Referral, selection: Selection, note_ids: Iterable) -> list[int]:
    """The chosen notes that may go: this client's, in a category chosen at detail level."""
    from clients.categories import Level
    from clients.models import CaseNote

    detail = [key for key, level in selection.items() if level is Level.DETAIL]
    wanted = {int(pk) for pk in note_ids if str(pk).isdigit()}
    if not wanted or not detail:
        return []
    return sorted(
        CaseNote.objects.filter(client_id=referral.client_id, pk__in=wanted, category__in=detail).values_list(
            "pk", flat=True
        )
    )


def referral_update(
    *,
    actor,
    referral: Referral,
    selection: Selection,
    reasons: Mapping[str, str],
    details: Mapping[str, str] | None = None,
    notes: Iterable[int] | None = None,
) -> Referral:
    """Change a draft: its selection and reasons, and optionally its `details` (the request,
    the referrer's phone, safe-contact instructions: REFERRAL_DETAILS) and chosen case `notes`
    (ids; any not of this client or not in a category chosen at detail level are dropped).
    Drafts may be incomplete; sending checks everything. Raises ValidationError once sent.

    A manager's approval to send without a data-sharing agreement
    (`referral_approve_without_agreement`) was given for what the draft held then: when
    the selection or the chosen notes change, the approval is cleared and must be given
    again (`referral.approval_reset` is then True, for the page to say so).
    """
    values = {"selection": selection.to_json(), "reasons": _clean_reasons(selection, reasons)}
    for name in REFERRAL_DETAILS:
        if details is not None and name in details:
            values[name] = (details[name] or "").strip()
    if notes is not None:
        values["notes"] = _clean_notes(referral, selection, notes)
    elif referral.notes:
        values["notes"] = _clean_notes(referral, selection, referral.notes)
    with transaction.atomic():
        # Locked, so an approval given at the same moment is either seen here and cleared,
        # or given after this change (and so for what the manager then saw).
        current = (
            Referral.objects.select_for_update()
            .filter(pk=referral.pk, status=Referral.Status.DRAFT)
            .values("selection", "notes", "unagreed_approved_at")
            .first()
        )
        if current is None:
            raise ValidationError("This referral has already been sent and can no longer be changed.", code="sent")
        reset = current["unagreed_approved_at"] is not None and (
            current["selection"] != values["selection"] or sorted(current["notes"] or []) != values.get("notes", [])
        )
        if reset:
            values.update(unagreed_approved_at=None, unagreed_approved_by=None, unagreed_reason="")
        Referral.objects.filter(pk=referral.pk).update(updated_at=timezone.now(), **values)
    for name, value in values.items():
        setattr(referral, name, value)
    referral.approval_reset = reset
    return referral


def referral_drop_item(*, actor, referral: Referral, key: str) -> Referral:
    """Remove one category from a draft's selection (e.g. one that holds nothing)."""
    selection = Selection((k, level) for k, level in referral.selection_obj.items() if k != key)
    return referral_update(actor=actor, referral=referral, selection=selection, reasons=referral.reasons)


def can_approve_without_agreement(user, referral: Referral) -> bool:
    """A service manager of the client's team who did not make the referral."""
    return (
        getattr(user, "role", None) == Role.SERVICE_MANAGER
        and referral.created_by_id != user.pk
        and user.memberships.filter(team_id=referral.client.team_id).exists()
    )


def referral_approve_without_agreement(*, actor, referral: Referral, reason: str) -> Referral:
    """A manager's approval, with a reason, to send a draft to a partner with no data-sharing
    agreement in force, where the organisation's SharingPolicy requires it. The referral is
    still sent only when a basis covers it. Raises ValidationError (not a manager of the
    client's team, the referrer themselves, no reason, not a draft). The view's gate writes
    the audit row for the request; the approval is stored on the referral and named in the
    decision the send records.
    """
    if not can_approve_without_agreement(actor, referral):
        raise ValidationError(
            "Only a service manager of the client's team, other than the referrer, can approve this.",
            code="not_allowed",
        )
    if not reason.strip():
        raise ValidationError({"reason": "Say why this referral may go without a data-sharing agreement."})
    now = timezone.now()
    with transaction.atomic():
        updated = Referral.objects.filter(pk=referral.pk, status=Referral.Status.DRAFT).update(
            unagreed_approved_at=now, unagreed_approved_by=actor, unagreed_reason=reason.strip(), updated_at=now
        )
    if not updated:
        raise ValidationError("Only a draft can be approved.", code="not_draft")
    referral.unagreed_approved_at, referral.unagreed_approved_by = now, actor
    referral.unagreed_reason = reason.strip()
    return referral


def referral_discard(*, actor, referral: Referral) -> Referral:
    """Discard a draft: it leaves the sharing history; the row stays, naming who and when.

    The view's gate writes the audit row for the request (EDIT, "discard referral").
    Raises ValidationError when the referral is not a draft.
    """
    now = timezone.now()
    with transaction.atomic():
        updated = Referral.objects.filter(pk=referral.pk, status=Referral.Status.DRAFT).update(
            status=Referral.Status.DISCARDED, discarded_at=now, discarded_by=actor, updated_at=now
        )
    if not updated:
        raise ValidationError("Only a draft can be discarded.", code="not_draft")
    referral.status, referral.discarded_at, referral.discarded_by = Referral.Status.DISCARDED, now, actor
    return referral


def referral_content(referral: Referral, *, actor) -> dict:
    """The referral's own parts of the snapshot: request, referrer, safe contact, chosen notes."""
    team = next(
        (m.team.name for m in actor.memberships.select_related("team") if m.team_id == referral.client.team_id),
        None,
    ) or next((m.team.name for m in actor.memberships.select_related("team")), "")
    referrer = {
        "name": actor.get_full_name() or actor.get_username(),
        "job_title": getattr(actor, "job_title", ""),
        "team": team,
        "phone": referral.referrer_phone,
        "email": actor.email,
    }
    safe = dict(Referral.Safe.choices)
    safe_contact = [
        [label, safe[value]]
        for label, value in (
            ("Safe to phone", referral.safe_to_phone),
            ("Safe to leave a voicemail", referral.voicemail_ok),
            ("Safe to send letters", referral.letters_ok),
        )
        if value
    ]
    if referral.safe_contact_notes:
        safe_contact.append(["Safe time or number", referral.safe_contact_notes])
    return {
        "note_ids": referral.notes,
        "request": referral.request,
        "referrer": referrer,
        "safe_contact": safe_contact,
    }


def referral_preview(*, actor, referral: Referral, basis_label: str) -> dict:
    """The snapshot the partner would receive if the draft were sent now (nothing is written).

    The same `build_snapshot` call as sending, so the preview and the PDF carry the same text.
    """
    return build_snapshot(
        client=referral.client,
        selection=referral.selection_obj,
        reference=f"{referral.reference} (draft)",
        recipient=referral.partner.name,
        purpose=referral.purpose.name,
        basis=basis_label,
        sent_at=timezone.now(),
        sent_by=actor.get_full_name() or actor.get_username(),
        **referral_content(referral, actor=actor),
    )


def referral_send(*, actor, referral: Referral, request=None) -> Referral:
    """Send a draft referral, atomically. Raises ValidationError (missing reasons, already
    sent) or ShareRefused (with the explanation); a refusal is audited as a denied share.
    """
    refused = None
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("client", "partner", "purpose", "unagreed_approved_by")
            .get(pk=referral.pk)
        )
        if not locked.is_draft:
            raise ValidationError("This referral has already been sent.", code="sent")
        client, partner, purpose = locked.client, locked.partner, locked.purpose
        selection = locked.selection_obj
        if not selection:
            raise ValidationError({"selection": "Choose at least one item of information to share."})
        _check_reasons(selection, locked.reasons)
        decision = _locked_decision(
            selectors.decide_referral,
            client=client,
            partner=partner,
            purpose=purpose,
            selection=selection,
            reasons=locked.reasons,
            approval=locked.unagreed_approval,
        )
        now = timezone.now()
        share_purpose = f"{purpose.name}: referral {locked.reference} to {partner.name}"
        if not decision.allowed:
            # Written, and committed, even though nothing is shared: every decision is audited.
            _audit_share(
                actor,
                client=client,
                request=request,
                obj=locked,
                selection=selection,
                purpose=share_purpose,
                outcome=Outcome.DENIED,
                basis=_refused_basis_label(decision, partner.name),
                detail=" ".join(decision.refusals),
            )
            refused = decision
        else:
            disclosure = _disclose(
                actor=actor,
                kind=Disclosure.Kind.REFERRAL,
                client=client,
                decision=decision,
                purpose=purpose,
                recipient=partner.name,
                reasons=_clean_reasons(selection, locked.reasons),
                now=now,
                partner=partner,
                content=referral_content(locked, actor=actor),
            )
            _audit_share(
                actor,
                client=client,
                request=request,
                obj=disclosure,
                selection=selection,
                purpose=share_purpose,
                outcome=Outcome.ALLOWED,
                basis=disclosure.basis_label,
                detail=f"Disclosure {disclosure.reference}, SHA-256 {disclosure.snapshot_sha256}",
            )
            locked.status = Referral.Status.SENT
            locked.disclosure = disclosure
            locked.updated_at = now
            locked.save(update_fields=["status", "disclosure", "updated_at"])
            timeline_record(
                client=client,
                kind=TimelineEvent.Kind.REFERRAL_SENT,
                summary=f"Referral {locked.reference} to {partner.name}: {selection.describe()}",
                actor=actor,
                categories=list(selection),
                obj=locked,
                at=now,
            )
            if SharingPolicy.current().referral_delivery == SharingPolicy.Delivery.EMAIL:
                # "Sent" means sent: queued in this transaction, e-mailed by the worker on commit.
                _queue(actor=actor, disclosure=disclosure, kind=Transmission.Kind.REFERRAL, referral=locked, now=now)
    if refused is not None:
        raise ShareRefused(refused)
    referral.status, referral.disclosure, referral.updated_at = locked.status, locked.disclosure, locked.updated_at
    return locked


# --- Transmission ------------------------------------------------------------------------------
#
# Recording a disclosure and transmitting it are two steps, and each holds a covering basis
# at its moment (DESIGN.md, "Leaving the organisation"). A transmission is requested
# (queued) with the basis rows locked, then claimed by the worker with a conditional update
# in a transaction that first locks the basis rows again and re-checks; the claim commits
# before anything is sent. Locks are always taken basis rows first, then transmission rows,
# as a withdrawal does (consent row, then its callback cancels transmissions), so the two
# never deadlock: either the claim commits first and the data leaves under a basis that held
# then, or the withdrawal commits first and the claim finds the transmission cancelled.


class TransmissionRefused(Exception):
    """Nothing was transmitted: `reason` says why in plain English (the basis no longer holds)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransmissionFailed(Exception):
    """The mail server did not take the message; the transmission is marked failed.

    `retry_at` (aware, UTC) is when it is retried, or None when it has used its
    TRANSMISSION_MAX_ATTEMPTS and waits for someone to press "Send again".
    """

    def __init__(self, reason: str, *, retry_at: dt.datetime | None = None):
        super().__init__(reason)
        self.retry_at = retry_at


def transmission_retry_at(*, attempts: int, failed_at: dt.datetime) -> dt.datetime | None:
    """When a transmission that failed at `failed_at` after `attempts` tries is tried again:
    TRANSMISSION_RETRY_SECONDS after the first failure, doubling each time; None once it has
    had TRANSMISSION_MAX_ATTEMPTS tries."""
    if attempts >= settings.TRANSMISSION_MAX_ATTEMPTS:
        return None
    return failed_at + dt.timedelta(seconds=settings.TRANSMISSION_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def _fresh_basis(decision: selectors.ShareDecision, basis):
    """The disclosure's basis as just read (and locked) among the decision's candidates."""
    if basis is None:
        return None
    return next((r for r in decision.answer.candidates if r.kind == basis.kind and r.pk == basis.pk), None)


def transmission_basis_problem(disclosure: Disclosure) -> str:
    """Why a referral disclosure may no longer leave ("" when it may), with the basis rows locked.

    Takes a referral `Disclosure`; must run inside `transaction.atomic()` (the rows stay
    locked until it ends). The disclosure's own basis must still cover exactly what it
    holds at this moment — not withdrawn, ended, expired or narrowed — and the client must
    not be restricted for sharing (UK GDPR Art. 18). Another basis recorded since does not
    count: the disclosure log names the basis the information left under.
    """
    selection = disclosure.selection_obj
    decision = _locked_decision(
        selectors.decide_referral,
        client=disclosure.client,
        partner=disclosure.partner,
        purpose=disclosure.purpose,
        selection=selection,
        reasons=disclosure.reasons,
    )
    recipient = disclosure.partner.name
    basis = _fresh_basis(decision, disclosure.basis)
    if basis is None:
        return f"{disclosure.basis_label} no longer names {recipient} for {disclosure.purpose_label.lower()}."
    moments = [
        timezone.now(),
        *(w for w in (getattr(r, "withdrawn_at", None) for r in decision.answer.candidates) if w),
    ]
    problem = coverage.why_not(basis, selection, recipient=recipient, at=max(moments))
    if problem:
        return problem
    return decision.restriction


def _transmission_audit(actor, transmission: Transmission, *, outcome: str, detail: str, request=None):
    disclosure = transmission.disclosure
    return _audit_share(
        actor,
        client=disclosure.client,
        request=request,
        obj=transmission,
        selection=disclosure.selection_obj if transmission.kind == Transmission.Kind.REFERRAL else Selection(),
        purpose=f"{transmission.get_kind_display()} {disclosure.reference} to {transmission.partner.name}"[:200],
        outcome=outcome,
        basis=disclosure.basis_label if transmission.kind == Transmission.Kind.REFERRAL else "",
        detail=detail,
    )


def _enqueue_transmission(transmission_id: int) -> None:
    from .tasks import transmit

    try:
        transmit.delay(transmission_id)
    except Exception:  # the broker is down: it stays queued, and "Send again" queues it again
        logger.warning("Could not queue transmission %s.", transmission_id)


def _queue(*, actor, disclosure: Disclosure, kind: str, referral=None, notice=None, now) -> Transmission:
    partner = notice.partner if notice is not None else disclosure.partner
    transmission = Transmission(
        kind=kind,
        disclosure=disclosure,
        referral=referral,
        notice=notice,
        client_id=disclosure.client_id,
        partner=partner,
        to_address=partner.secure_email,
        consent=disclosure.consent if kind == Transmission.Kind.REFERRAL else None,
        lawful_basis=disclosure.lawful_basis if kind == Transmission.Kind.REFERRAL else None,
        requested_by=actor,
        requested_at=now,
    )
    transmission.save()
    transmission_id = transmission.pk
    transaction.on_commit(lambda: _enqueue_transmission(transmission_id))
    return transmission


def _pending(*, disclosure: Disclosure, partner: Partner, kind: str) -> Transmission | None:
    return (
        Transmission.objects.filter(
            disclosure=disclosure, partner=partner, kind=kind, status__in=[*Transmission.PENDING, "sending"]
        )
        .select_for_update()
        .first()
    )


def referral_transmit(*, actor, referral: Referral, request=None) -> Transmission:
    """Ask for a sent referral to be e-mailed (again) to the partner's registered secure address.

    Re-checks the disclosure's basis with its rows locked (`transmission_basis_problem`). A
    refusal writes a denied SHARE audit row naming the basis and why, commits it, and raises
    TransmissionRefused. When a transmission is already queued or failed, it is queued again
    (the worker's claim makes a second run harmless); one being sent raises ValidationError.
    Returns the queued `Transmission`; the worker sends it after this transaction commits.
    """
    if referral.is_draft:
        raise ValidationError("Send the referral before e-mailing it.", code="draft")
    refused = ""
    with transaction.atomic():
        disclosure = Disclosure.objects.select_related("client", "partner", "purpose", "consent", "lawful_basis").get(
            pk=referral.disclosure_id
        )
        problem = transmission_basis_problem(disclosure)
        if problem:
            transmission = _pending(disclosure=disclosure, partner=disclosure.partner, kind=Transmission.Kind.REFERRAL)
            if transmission is not None:
                _cancel(transmission, reason=problem, actor=actor, now=timezone.now())
            _audit_share(
                actor,
                client=disclosure.client,
                request=request,
                obj=referral,
                selection=disclosure.selection_obj,
                purpose=f"Referral {disclosure.reference} to {disclosure.partner.name}",
                outcome=Outcome.DENIED,
                basis=disclosure.basis_label,
                detail=f"Not e-mailed to {disclosure.partner.secure_email}: {problem}",
            )
            refused = problem
        else:
            transmission = _pending(disclosure=disclosure, partner=disclosure.partner, kind=Transmission.Kind.REFERRAL)
            if transmission is not None and transmission.status == Transmission.Status.SENDING:
                raise ValidationError("The referral is being e-mailed now.", code="sending")
            if transmission is not None:
                transmission_id = transmission.pk
                transaction.on_commit(lambda: _enqueue_transmission(transmission_id))
            else:
                transmission = _queue(
                    actor=actor,
                    disclosure=disclosure,
                    kind=Transmission.Kind.REFERRAL,
                    referral=referral,
                    now=timezone.now(),
                )
    if refused:
        raise TransmissionRefused(refused)
    return transmission


def _message(transmission: Transmission) -> dict:
    """The e-mail of one transmission: subject, body and attachments, for deadlines.services.mail_deliver."""
    from .documents import referral_pdf

    disclosure = transmission.disclosure
    if transmission.kind == Transmission.Kind.NOTICE:
        notice = transmission.notice
        return {"subject": notice.subject, "body": notice.message, "attachments": []}
    context = {
        "disclosure": disclosure,
        "partner": transmission.partner,
        "organisation_name": settings.ORGANISATION_NAME,
    }
    return {
        "subject": render_to_string("sharing/email/referral_subject.txt", context).strip(),
        "body": render_to_string("sharing/email/referral_body.txt", context),
        "attachments": [(f"referral-{disclosure.reference}.pdf", referral_pdf(disclosure), "application/pdf")],
    }


def transmission_send(*, transmission_id: int) -> str:
    """The worker's send of one transmission (and of each retry). Returns the status it leaves.

    1. In one transaction: lock the basis rows and re-check (`transmission_basis_problem`);
       refused, the transmission is cancelled with the reason, a denied SHARE row names the
       basis, and the requester is told; allowed, a conditional update claims it
       (queued or failed -> sending, one more attempt) and an allowed SHARE row names the
       basis. The transaction commits before anything is sent.
    2. Send to the partner's registered address as read at the claim
       (`deadlines.services.mail_deliver`). Then sent; or failed, when the mail server
       certainly did not take it, with its reason (raises TransmissionFailed so the task
       retries; the retry claims and re-checks again); or unknown, when the connection
       broke mid-send (never resent automatically).
    A transmission found "sending" longer than TRANSMISSION_CLAIM_TIMEOUT_SECONDS was left by a
    worker that died after claiming: it may have left, so it is marked unknown, never sent
    again. Safe to run twice.
    """
    transmission = (
        Transmission.objects.select_related(
            "disclosure__client", "disclosure__partner", "disclosure__purpose", "partner", "notice", "requested_by"
        )
        .filter(pk=transmission_id)
        .first()
    )
    if transmission is None:
        return ""
    if transmission.status == Transmission.Status.SENDING:
        stale = timezone.now() - dt.timedelta(seconds=settings.TRANSMISSION_CLAIM_TIMEOUT_SECONDS)
        Transmission.objects.filter(pk=transmission.pk, status="sending", claimed_at__lt=stale).update(
            status=Transmission.Status.UNKNOWN,
            failure_reason="The worker stopped while sending: it may or may not have reached the partner.",
        )
        return Transmission.objects.values_list("status", flat=True).get(pk=transmission.pk)
    if transmission.status not in Transmission.PENDING:
        return transmission.status
    if transmission.attempts >= settings.TRANSMISSION_MAX_ATTEMPTS:
        return transmission.status
    disclosure = transmission.disclosure
    with transaction.atomic():
        problem = ""
        if transmission.kind == Transmission.Kind.REFERRAL:
            problem = transmission_basis_problem(disclosure)
        now = timezone.now()
        if problem:
            if _cancel(transmission, reason=problem, actor=transmission.requested_by, now=now):
                return Transmission.Status.CANCELLED
            return Transmission.objects.values_list("status", flat=True).get(pk=transmission.pk)
        address = Partner.objects.values_list("secure_email", flat=True).get(pk=transmission.partner_id)
        claimed = Transmission.objects.filter(pk=transmission.pk, status__in=Transmission.PENDING).update(
            status=Transmission.Status.SENDING,
            attempts=F("attempts") + 1,
            claimed_at=now,
            to_address=address,
            retry_due_at=None,
        )
        if not claimed:
            return Transmission.objects.values_list("status", flat=True).get(pk=transmission.pk)
        _transmission_audit(
            transmission.requested_by,
            transmission,
            outcome=Outcome.ALLOWED,
            detail=f"Transmission {transmission.pk} claimed for e-mail to {address}",
        )
    # Committed: the claim and its audit row. Only now does anything leave.
    try:
        message = _message(transmission)
    except Exception as exc:  # nothing was handed to the mail server: safe to try again
        outcome = Delivery(Delivery.FAILED, f"{type(exc).__name__}: {exc}")
    else:
        outcome = mail_deliver(to=[address], **message)
    if outcome.status == Delivery.UNKNOWN:
        # The connection broke when the server may already have taken it: never resent
        # automatically; the requester's dashboard and the ISO's say to check with the partner.
        Transmission.objects.filter(pk=transmission.pk, status=Transmission.Status.SENDING).update(
            status=Transmission.Status.UNKNOWN, failure_reason=outcome.error[:1000]
        )
        return Transmission.Status.UNKNOWN
    if outcome.status == Delivery.FAILED:
        # The claim added one attempt to what was read before it (the claim is conditional).
        retry_at = transmission_retry_at(attempts=transmission.attempts + 1, failed_at=timezone.now())
        Transmission.objects.filter(pk=transmission.pk, status=Transmission.Status.SENDING).update(
            status=Transmission.Status.FAILED, failure_reason=outcome.error[:1000], retry_due_at=retry_at
        )
        raise TransmissionFailed(outcome.error, retry_at=retry_at)
    sent_at = timezone.now()
    with transaction.atomic():
        Transmission.objects.filter(pk=transmission.pk, status=Transmission.Status.SENDING).update(
            status=Transmission.Status.SENT, sent_at=sent_at, failure_reason=""
        )
        if transmission.notice_id is not None:
            RecipientNotice.objects.filter(pk=transmission.notice_id, done_at__isnull=True).update(
                done_at=sent_at,
                done_by=transmission.requested_by,
                done_how=RecipientNotice.How.EMAIL,
                done_note=f"E-mailed to {address}.",
            )
    return Transmission.Status.SENT


def _enqueue_transmissions(transmission_ids: list[int]) -> int:
    """Publish send tasks from beat (which may wait on the broker); stops at the first failure."""
    from .tasks import transmit

    published = 0
    for transmission_id in transmission_ids:
        try:
            transmit.delay(transmission_id)
        except Exception:  # the broker is down: they stay queued for the next sweep
            logger.warning("Could not queue transmission %s; the next sweep tries again.", transmission_id)
            break
        published += 1
    return published


def transmissions_requeue(*, now: dt.datetime) -> int:
    """The deadline sweep's chore for transmissions (sharing/deadlines.py). Returns how many it acted on.

    - A transmission still "queued" TRANSMISSION_REQUEUE_MINUTES after it was requested
      (its task was lost: Redis down when it was queued, a worker that dropped it), or
      "failed" with attempts left TRANSMISSION_REQUEUE_MINUTES after its retry was due (the
      retry message was lost), is handed to the worker again after commit. The worker's send re-checks the basis with
      its rows locked and claims it, so a withdrawal in the meantime stops it and a
      duplicate task sends nothing.
    - One left "sending" longer than TRANSMISSION_CLAIM_TIMEOUT_SECONDS (its worker died
      after claiming it) becomes "unknown": it may have left, so it is never sent again
      automatically; the requester's dashboard and the ISO's list it
      (selectors.transmissions_needing_attention).
    `now` is aware (UTC). Runs inside the sweep's transaction; safe to run twice or at once.
    """
    unknown = Transmission.objects.filter(
        status=Transmission.Status.SENDING,
        claimed_at__lt=now - dt.timedelta(seconds=settings.TRANSMISSION_CLAIM_TIMEOUT_SECONDS),
    ).update(
        status=Transmission.Status.UNKNOWN,
        failure_reason="The worker stopped while sending: it may or may not have reached the partner.",
    )
    late = now - dt.timedelta(minutes=settings.TRANSMISSION_REQUEUE_MINUTES)
    stuck = list(
        Transmission.objects.filter(
            Q(status=Transmission.Status.QUEUED, requested_at__lt=late)
            | Q(status=Transmission.Status.FAILED, retry_due_at__lt=late)
        )
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    if stuck:
        transaction.on_commit(partial(_enqueue_transmissions, stuck))
    return unknown + len(stuck)


def _cancel(transmission: Transmission, *, reason: str, actor, now) -> bool:
    """Cancel one pending transmission (conditional update), audit it, tell its requester."""
    cancelled = Transmission.objects.filter(pk=transmission.pk, status__in=Transmission.PENDING).update(
        status=Transmission.Status.CANCELLED, cancelled_at=now, cancel_reason=reason
    )
    if not cancelled:
        return False
    _transmission_audit(
        actor,
        transmission,
        outcome=Outcome.DENIED,
        detail=f"Transmission {transmission.pk} to {transmission.to_address} cancelled, nothing sent: {reason}",
    )
    _tell_requester(transmission, reason=reason)
    return True


def transmissions_cancel(*, actor, reason: str, consent=None, lawful_basis=None, client=None) -> int:
    """Cancel the pending referral transmissions that relied on a basis, or all of a client's.

    Called inside the transaction that ends the basis (a withdrawal's callback, ending a
    lawful basis, marking a client restricted), after its row is locked, so a worker's
    claim (which locks the same basis rows first) either committed before or finds them
    cancelled. Each cancellation writes a denied SHARE row naming the basis and `reason`,
    and tells the requester (dashboard and, on commit, an e-mail). Returns how many.
    """
    queryset = Transmission.objects.filter(kind=Transmission.Kind.REFERRAL, status__in=Transmission.PENDING)
    if consent is not None:
        queryset = queryset.filter(consent=consent)
    elif lawful_basis is not None:
        queryset = queryset.filter(lawful_basis=lawful_basis)
    elif client is not None:
        queryset = queryset.filter(client=client)
    else:
        raise ValueError("Name the consent, the lawful basis or the client.")
    now = timezone.now()
    count = 0
    for transmission in queryset.select_related("disclosure__client", "partner").order_by("pk"):
        count += _cancel(transmission, reason=reason, actor=actor, now=now)
    return count


def transmissions_cancel_on_withdrawal(consent: ConsentRecord) -> None:
    """The withdrawal hook (consent.services.on_withdrawal): cancel what relied on the consent."""
    disclosure = Disclosure.objects.filter(consent=consent).select_related("partner").first()
    recipient = disclosure.partner.name if disclosure is not None and disclosure.partner_id else "the recipient"
    reason = coverage.why_not(consent, consent.selection_obj, recipient=recipient, at=consent.withdrawn_at)
    transmissions_cancel(actor=consent.withdrawn_by, reason=reason, consent=consent)


def _tell_requester(transmission: Transmission, *, reason: str) -> None:
    """Queue, in the cancelling transaction, the e-mail telling the requester a transmission
    was stopped (no client details): sent through the outbox once the cancellation commits."""
    requester = transmission.requested_by
    if not requester.email:
        return
    transmission.status, transmission.cancel_reason = Transmission.Status.CANCELLED, reason
    context = {
        "transmission": transmission,
        "disclosure": transmission.disclosure,
        "link": f"{settings.SITE_URL}{_transmission_url(transmission)}",
        "organisation_name": settings.ORGANISATION_NAME,
    }
    outbox_queue(
        subject=render_to_string("sharing/email/stopped_subject.txt", context).strip(),
        body=render_to_string("sharing/email/stopped_body.txt", context),
        recipients=[requester.email],
    )


def _transmission_url(transmission: Transmission) -> str:
    from django.urls import reverse

    if transmission.referral_id:
        return reverse("sharing:referral", args=[transmission.client_id, transmission.referral_id])
    return reverse("sharing:disclosure", args=[transmission.client_id, transmission.disclosure_id])


@transaction.atomic
def transmission_dismiss(*, actor, transmission: Transmission) -> None:
    """The requester has read the dashboard's message about a stopped transmission."""
    Transmission.objects.filter(pk=transmission.pk, requested_by=actor, dismissed_at__isnull=True).update(
        dismissed_at=timezone.now()
    )


# --- Multi-agency meetings -------------------------------------------------------------------


def meeting_disclosure_record(
    *,
    actor,
    client,
    group: MeetingGroup,
    meeting_on,
    present: Iterable[Partner],
    purpose: Purpose,
    selection: Selection,
    reasons: Mapping[str, str],
    request=None,
) -> Disclosure:
    """Record that the client was discussed at a meeting: the same lock, re-check and log as a referral."""
    present = sorted(set(present), key=lambda partner: partner.name)
    errors = {}
    if not present:
        errors["present"] = "Choose the organisations present at the meeting."
    if not selection:
        errors["selection"] = "Choose at least one item of information shared at the meeting."
    if meeting_on is not None and meeting_on > timezone.localdate():
        errors["meeting_on"] = "The meeting date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    _check_reasons(selection, reasons)
    names = ", ".join(partner.name for partner in present)
    recipient = f"{group.name} ({names})"
    share_purpose = f"{purpose.name}: {group.name} on {format_date(meeting_on)}"
    refused = None
    with transaction.atomic():
        decision = _locked_decision(
            selectors.decide_meeting,
            client=client,
            group=group,
            present=present,
            purpose=purpose,
            selection=selection,
            reasons=reasons,
        )
        now = timezone.now()
        if not decision.allowed:
            _audit_share(
                actor,
                client=client,
                request=request,
                obj=None,
                selection=selection,
                purpose=share_purpose,
                outcome=Outcome.DENIED,
                basis=_refused_basis_label(decision, group.name),
                detail=" ".join(decision.refusals),
            )
            refused = decision
        else:
            disclosure = _disclose(
                actor=actor,
                kind=Disclosure.Kind.MEETING,
                client=client,
                decision=decision,
                purpose=purpose,
                recipient=recipient,
                reasons=_clean_reasons(selection, reasons),
                now=now,
                group=group,
                meeting_on=meeting_on,
                present=present,
            )
            _audit_share(
                actor,
                client=client,
                request=request,
                obj=disclosure,
                selection=selection,
                purpose=share_purpose,
                outcome=Outcome.ALLOWED,
                basis=disclosure.basis_label,
                detail=f"Disclosure {disclosure.reference}, SHA-256 {disclosure.snapshot_sha256}",
            )
    if refused is not None:
        raise ShareRefused(refused)
    return disclosure


# --- After a withdrawal ------------------------------------------------------------------------


def _notice_text(disclosure: Disclosure, partner: Partner, consent: ConsentRecord) -> tuple[str, str]:
    """The drafted message: no more about the client than the recipient was already sent."""
    identity = next((s for s in disclosure.snapshot.get("sections", []) if s["key"] == "identity"), None)
    name = next((value for label, value in identity["facts"] if label == "Name"), "") if identity else ""
    about = f"{name} (our reference {disclosure.reference})" if name else f"our reference {disclosure.reference}"
    context = {
        "partner": partner,
        "disclosure": disclosure,
        "about": about,
        "sent_on": format_date(disclosure.disclosed_at),
        "withdrawn_on": format_date(consent.withdrawn_at),
        "organisation_name": settings.ORGANISATION_NAME,
    }
    subject = render_to_string("sharing/email/notice_subject.txt", context).strip()
    return subject[:200], render_to_string("sharing/email/notice_body.txt", context)


def _still_covered(replacement: ConsentRecord, disclosure: Disclosure, recipients: list[Partner], at) -> bool:
    """Does the consent that replaced the disclosure's cover it all: each recipient (or the
    meeting group), its purpose, and every item at the level sent, at `at`?"""
    if disclosure.purpose_id is None or not replacement.purposes.filter(pk=disclosure.purpose_id).exists():
        return False
    if disclosure.meeting_group_id is not None:
        if replacement.meeting_group_id != disclosure.meeting_group_id:
            return False
    elif not recipients or replacement.partners.filter(pk__in=[p.pk for p in recipients]).count() != len(recipients):
        return False
    return coverage.covers(replacement, disclosure.selection_obj, at)


def recipient_notices_create(consent: ConsentRecord) -> list[RecipientNotice]:
    """The withdrawal hook (consent.services.on_withdrawal), run inside the withdrawal's transaction.

    For every disclosure that relied on the consent, one task per recipient organisation,
    assigned to the person who made the disclosure. Running it twice creates nothing new.
    When the client changed their consent at a review (`consent.replaced_by`), a recipient
    the new consent still covers — for the same purpose and everything it was sent — keeps
    what it has: no task for it.
    """
    disclosures = list(
        Disclosure.objects.filter(consent=consent)
        .select_related("partner")
        .prefetch_related("organisations_present")
        .order_by("disclosed_at", "pk")
    )
    notices = []
    now = timezone.now()
    replacement = getattr(consent, "replaced_by", None)
    for disclosure in disclosures:
        recipients = [disclosure.partner] if disclosure.partner_id else list(disclosure.organisations_present.all())
        if replacement is not None and _still_covered(replacement, disclosure, recipients, now):
            continue
        for partner in recipients:
            subject, message = _notice_text(disclosure, partner, consent)
            notices.append(
                RecipientNotice(
                    disclosure=disclosure,
                    consent=consent,
                    partner=partner,
                    client_id=disclosure.client_id,
                    assigned_to_id=disclosure.disclosed_by_id,
                    created_at=now,
                    to_address=partner.secure_email,
                    subject=subject,
                    message=message,
                )
            )
    RecipientNotice.objects.bulk_create(notices, ignore_conflicts=True)
    return notices


def recipient_notice_transmit(*, actor, notice: RecipientNotice) -> Transmission:
    """One click: e-mail the "stop using it" notice to the partner's registered secure address.

    Queues a notice `Transmission` (the worker sends it and then marks the task done, "by
    secure e-mail"); asking again while one is queued or failed queues that one again.
    It carries nothing the recipient was not already sent, so no basis is re-checked.
    Raises ValidationError when the task is already done or an e-mail is being sent now.
    """
    if notice.is_done:
        raise ValidationError("This recipient has already been told.", code="done")
    with transaction.atomic():
        pending = _pending(disclosure=notice.disclosure, partner=notice.partner, kind=Transmission.Kind.NOTICE)
        if pending is not None and pending.status == Transmission.Status.SENDING:
            raise ValidationError("The notice is being e-mailed now.", code="sending")
        if pending is not None:
            transmission_id = pending.pk
            transaction.on_commit(lambda: _enqueue_transmission(transmission_id))
            return pending
        return _queue(
            actor=actor, disclosure=notice.disclosure, kind=Transmission.Kind.NOTICE, notice=notice, now=timezone.now()
        )


def notice_transmissions(notice: RecipientNotice) -> list[Transmission]:
    return list(notice.transmissions.order_by("-requested_at", "-pk"))


@transaction.atomic
def recipient_notice_done(*, actor, notice: RecipientNotice, how: str, at=None, note: str = "") -> RecipientNotice:
    """Mark a tell-the-recipient task done: when and how the recipient was told."""
    now = timezone.now()
    at = at or now
    errors = {}
    if how not in RecipientNotice.How.values:
        errors["how"] = "Choose how the recipient was told."
    if at > now:
        errors["at"] = "The time the recipient was told cannot be in the future."
    elif at < notice.disclosure.disclosed_at:
        errors["at"] = "The recipient cannot have been told before the information was shared with them."
    if errors:
        raise ValidationError(errors)
    updated = RecipientNotice.objects.filter(pk=notice.pk, done_at__isnull=True).update(
        done_at=at, done_by=actor, done_how=how, done_note=note.strip()
    )
    if not updated:
        raise ValidationError("This task has already been marked done.", code="done")
    notice.done_at, notice.done_by, notice.done_how, notice.done_note = at, actor, how, note.strip()
    return notice


# --- Agreements ------------------------------------------------------------------------------------


def agreement_document_attach(*, actor, agreement: DataSharingAgreement, checked: CheckedUpload) -> AgreementDocument:
    """Store the signed agreement privately and attach it (replacing any earlier copy's link)."""
    stored_name = store(checked, folder=AgreementDocument.STORAGE_FOLDER)
    try:
        with transaction.atomic():
            document = AgreementDocument.from_checked(checked, stored_name=stored_name, uploaded_by=actor)
            document.full_clean()
            document.save()
            # A locked save, not QuerySet.update(), so the agreement's history records it.
            locked = DataSharingAgreement.objects.select_for_update().get(pk=agreement.pk)
            locked.document = document
            locked._history_user = actor
            locked.save(update_fields=["document"])
            agreement.document = document
    except BaseException:
        remove(stored_name)
        raise
    return document


# --- Removing a disclosure's personal content (docs/decisions/0014) ----------------------------

NOTICE_SUBJECT_REMOVED = "Notice about a disclosure whose content was removed"


def disclosure_content_remove(*, disclosure_ids: Iterable[int], reason: str, actor=None) -> list[Disclosure]:
    """Remove the personal content of these disclosures, once, keeping the record that they happened.

    The disclosure log is append-only (docs/decisions/0006); its one admitted change is this
    removal, when what was sent is no longer kept under the legal-claims exemption (UK GDPR
    Art 17(3)(e)): the caller (rights.retention's sweep) chooses the disclosures. Takes their
    ids, why (written into each audit row) and the acting person (None for the beat sweep).
    In one transaction, set-based: locks those not removed yet; replaces each snapshot with
    `snapshot.content_removed` (reference, recipient, purpose, basis, dates, categories and
    levels: no fact, entry, note or referral text), empties the reasons given for special-category
    items and sets `content_removed_at`; blanks the subject, message and note of the
    withdrawal notices about them (they named the client). `snapshot_sha256`, the hash of
    what was sent, stays, so a recipient's copy can still be matched. The database refuses
    any other change and a second removal (a trigger, and the app's role may write only
    these columns). Writes one EDIT audit row per disclosure. Returns the disclosures changed.
    """
    from access.models import AccessEvent

    from .snapshot import content_removed

    with transaction.atomic():
        now = timezone.now()
        found = list(
            Disclosure.objects.select_for_update()
            .filter(pk__in=set(disclosure_ids), content_removed_at__isnull=True)
            .order_by("pk")
        )
        if not found:
            return []
        for disclosure in found:
            disclosure.snapshot = content_removed(disclosure.snapshot, removed_at=now)
            disclosure.reasons = {}
            disclosure.content_removed_at = now
        Disclosure.objects.bulk_update(found, list(Disclosure.CONTENT_REMOVAL_FIELDS), batch_size=500)
        RecipientNotice.objects.filter(disclosure__in=found).update(
            subject=NOTICE_SUBJECT_REMOVED, message="", done_note=""
        )
        AccessEvent.objects.bulk_create(
            [
                AccessEvent(
                    at=now,
                    actor=actor if getattr(actor, "pk", None) else None,
                    action=Action.EDIT,
                    outcome=Outcome.ALLOWED,
                    client_id=disclosure.client_id,
                    object_type=Disclosure._meta.label,
                    object_id=str(disclosure.pk),
                    categories=list(disclosure.selection),
                    purpose="retention",
                    detail=f"Personal content of disclosure {disclosure.reference} removed: {reason.strip()}. "
                    f"Kept: reference, recipient, date, basis and the SHA-256 of what was sent "
                    f"({disclosure.snapshot_sha256})",
                )
                for disclosure in found
            ],
            batch_size=500,
        )
    return found
