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

import logging
import secrets
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from access.gate import Action, Outcome, record
from clients.categories import Selection
from consent.coverage import format_date
from consent.evidence import CheckedUpload, remove, store
from consent.models import ConsentRecord, MeetingGroup, Partner, Purpose

from . import selectors
from .models import AgreementDocument, DataSharingAgreement, Disclosure, RecipientNotice, Referral
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


def _new_reference(now) -> str:
    return f"D-{timezone.localtime(now):%Y%m%d}-{secrets.token_hex(3).upper()}"


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


def referral_update(*, actor, referral: Referral, selection: Selection, reasons: Mapping[str, str]) -> Referral:
    """Change a draft's selection and reasons. Drafts may be incomplete; sending checks everything."""
    with transaction.atomic():
        updated = Referral.objects.filter(pk=referral.pk, status=Referral.Status.DRAFT).update(
            selection=selection.to_json(), reasons=_clean_reasons(selection, reasons), updated_at=timezone.now()
        )
    if not updated:
        raise ValidationError("This referral has already been sent and can no longer be changed.", code="sent")
    referral.selection, referral.reasons = selection.to_json(), _clean_reasons(selection, reasons)
    return referral


def referral_send(*, actor, referral: Referral, request=None) -> Referral:
    """Send a draft referral, atomically. Raises ValidationError (missing reasons, already
    sent) or ShareRefused (with the explanation); a refusal is audited as a denied share.
    """
    refused = None
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("client", "partner", "purpose")
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
    if refused is not None:
        raise ShareRefused(refused)
    referral.status, referral.disclosure, referral.updated_at = locked.status, locked.disclosure, locked.updated_at
    return locked


def _enqueue_referral_email(referral_id: int) -> None:
    from .tasks import email_referral

    try:
        email_referral.delay(referral_id)
    except Exception:  # the broker is down: the page offers to try again while emailed_at is empty
        logger.warning("Could not queue the e-mail of referral %s.", referral_id)


@transaction.atomic
def referral_email_request(*, actor, referral: Referral) -> Referral:
    """Queue the referral PDF for e-mail to the partner's registered secure address, on commit.

    There is no address to type: the task sends only to `Partner.secure_email`.
    """
    if referral.is_draft:
        raise ValidationError("Send the referral before e-mailing it.", code="draft")
    if referral.emailed_at is not None:
        raise ValidationError("This referral has already been e-mailed.", code="emailed")
    now = timezone.now()
    Referral.objects.filter(pk=referral.pk, emailed_at__isnull=True).update(
        email_requested_at=now, email_requested_by=actor
    )
    referral.email_requested_at, referral.email_requested_by = now, actor
    transaction.on_commit(lambda: _enqueue_referral_email(referral.pk))
    return referral


def referral_email_send(*, referral_id: int) -> bool:
    """E-mail one sent referral's PDF, exactly once. Returns whether this call sent it.

    The claim (a conditional update of emailed_at) and the send share a transaction: a
    second worker waits on the row and then finds it claimed; a failed send rolls the claim
    back so that asking again retries it.
    """
    from .documents import referral_pdf

    referral = (
        Referral.objects.select_related("partner", "disclosure")
        .filter(pk=referral_id, status=Referral.Status.SENT)
        .first()
    )
    if referral is None or referral.emailed_at is not None or referral.email_requested_at is None:
        return False
    address = referral.partner.secure_email
    disclosure = referral.disclosure
    with transaction.atomic():
        claimed = Referral.objects.filter(pk=referral.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now(), emailed_to=address
        )
        if not claimed:
            return False
        context = {
            "referral": referral,
            "disclosure": disclosure,
            "partner": referral.partner,
            "organisation_name": settings.ORGANISATION_NAME,
        }
        message = EmailMessage(
            subject=render_to_string("sharing/email/referral_subject.txt", context).strip(),
            body=render_to_string("sharing/email/referral_body.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        message.attach(f"referral-{disclosure.reference}.pdf", referral_pdf(disclosure), "application/pdf")
        message.send()
    return True


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


def recipient_notices_create(consent: ConsentRecord) -> list[RecipientNotice]:
    """The withdrawal hook (consent.services.on_withdrawal), run inside the withdrawal's transaction.

    For every disclosure that relied on the consent, one task per recipient organisation,
    assigned to the person who made the disclosure. Running it twice creates nothing new.
    """
    disclosures = list(
        Disclosure.objects.filter(consent=consent)
        .select_related("partner")
        .prefetch_related("organisations_present")
        .order_by("disclosed_at", "pk")
    )
    notices = []
    now = timezone.now()
    for disclosure in disclosures:
        recipients = [disclosure.partner] if disclosure.partner_id else list(disclosure.organisations_present.all())
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
