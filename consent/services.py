"""Writes: recording and withdrawing consent, recording and approving other lawful bases.

Each service runs in one transaction and leaves its audit trail there: a history row
(django-simple-history) naming the actor. The views that call them have already passed
the gate, which wrote the access row for the request.

Withdrawal hooks. Apps above `consent` (sharing) need to act when a consent is withdrawn,
e.g. to create "tell the recipient to stop using it" tasks for earlier referrals. They
register a callback once, from their AppConfig.ready():

    from consent.services import on_withdrawal
    on_withdrawal(create_tell_recipient_tasks)   # callback(consent) -> None

Callbacks run inside the withdrawal transaction, after the consent row is updated: if
one raises, the withdrawal is rolled back and the caseworker sees the error, so a
withdrawal never commits without its follow-up work. Keep them short (a few inserts);
anything slow belongs in a Celery task enqueued with transaction.on_commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from clients.categories import REGISTRY, Selection
from clients.models import TimelineEvent
from clients.services import timeline_record
from deadlines.services import outbox_queue

from . import evidence as evidence_files
from .models import (
    BasisEndReason,
    BasisPolicy,
    ConsentEvidence,
    ConsentRecord,
    ConsentReview,
    LawfulBasis,
    LawfulBasisRecord,
    MeetingGroup,
    Partner,
    PrivacyNotice,
    Purpose,
    SharingRestriction,
    consent_history,
    lawful_basis_history,
)

logger = logging.getLogger(__name__)

WithdrawalCallback = Callable[[ConsentRecord], None]
_withdrawal_callbacks: list[WithdrawalCallback] = []


def on_withdrawal(callback: WithdrawalCallback) -> WithdrawalCallback:
    """Register `callback(consent)` to run inside every withdrawal's transaction. Idempotent.

    `consent.replaced_by` is the new consent when the client changed their consent at a
    review (`consent_replace_at_review`), else None: what it still covers has not stopped.
    """
    if callback not in _withdrawal_callbacks:
        _withdrawal_callbacks.append(callback)
    return callback


NO_CAPACITY_MESSAGE = (
    "Consent cannot be recorded when the client does not have capacity to consent to this. "
    "Talk to your manager about a best-interests decision or another lawful basis, such as vital interests."
)


def _check_scope(
    errors: dict, *, partners: list[Partner], meeting_group: MeetingGroup | None, purposes, selection: Selection
) -> None:
    if partners and meeting_group is not None:
        errors["partners"] = "Name either organisations or a meeting group, not both."
    elif not partners and meeting_group is None:
        errors["partners"] = "Name the organisations the information may go to, or choose a meeting group."
    if not purposes:
        errors["purposes"] = "Choose at least one purpose."
    if not selection:
        errors["selection"] = "Choose at least one item of information."


def _save_with_scope(record, *, history, actor, partners, purposes) -> None:
    """Save a new record and its many-to-many scope, writing one creation history row."""
    record.full_clean(exclude=["partners", "purposes"])
    record.skip_history_when_saving = True
    record.save()
    record.partners.set(partners)
    record.purposes.set(purposes)
    del record.skip_history_when_saving
    record._history_user = actor
    history.create_historical_record(record, "+")


def _impossible_consent_date(given_on: dt.date, *, client, notice: PrivacyNotice) -> dict[str, str]:
    """Consent cannot be given before the client was known (their case opened) or before the
    privacy notice it cites took effect: either is a slip in the date or the wrong notice."""
    if given_on < client.opened_on:
        return {
            "given_at": "Consent cannot be given before the client was known "
            f"(case opened {client.opened_on:%-d %b %Y}): check the date."
        }
    if notice is not None and given_on < notice.effective_on:
        return {
            "notice": f"Privacy notice {notice.version} took effect on {notice.effective_on:%-d %b %Y}, after the "
            "consent was given: choose the notice the client was given then, or check the date."
        }
    return {}


@transaction.atomic
def consent_record(
    *,
    actor,
    client,
    partners: Iterable[Partner] = (),
    meeting_group: MeetingGroup | None = None,
    purposes: Iterable[Purpose],
    selection: Selection,
    method: str,
    notice: PrivacyNotice,
    given_at: dt.datetime,
    has_capacity: bool,
    evidence: evidence_files.CheckedUpload | None = None,
    witness_name: str = "",
    verbal_notes: str = "",
    explicit_statement: str = "",
    electronic_reference: str = "",
    support_used: str = "",
    review_due: dt.date | None = None,
    expires_on: dt.date | None = None,
) -> ConsentRecord:
    """Record a client's consent. Raises ValidationError (keyed by field) and saves nothing."""
    partners, purposes = list(partners), list(purposes)
    now = timezone.now()
    errors: dict[str, str] = {}
    if not has_capacity:
        # Said beside the field with every other problem, so the form is corrected in one go.
        errors["has_capacity"] = NO_CAPACITY_MESSAGE
    _check_scope(errors, partners=partners, meeting_group=meeting_group, purposes=purposes, selection=selection)
    if method == ConsentRecord.Method.WRITTEN and evidence is None:
        errors["evidence"] = "Upload the signed consent form."
    if method != ConsentRecord.Method.WRITTEN and evidence is not None:
        errors["evidence"] = "Only written consent has a signed form to upload."
    if method == ConsentRecord.Method.ELECTRONIC and not electronic_reference.strip():
        # The electronic record is the evidence, as the witness is for verbal consent.
        errors["electronic_reference"] = (
            "Enter the reference of the electronic consent (the form, message or system record)."
        )
    if method == ConsentRecord.Method.VERBAL:
        if not witness_name.strip():
            errors["witness_name"] = "Enter the name of the person who witnessed the client's consent."
        if selection.sensitive_keys() and not explicit_statement.strip():
            sensitive = ", ".join(REGISTRY[key].label.lower() for key in selection.sensitive_keys())
            errors["explicit_statement"] = (
                f"Verbal consent to share {sensitive} must be explicit: write down what the client said."
            )
    if given_at > now:
        errors["given_at"] = "The date consent was given cannot be in the future."
    given_on = timezone.localtime(given_at).date()
    if "given_at" not in errors:
        errors.update(_impossible_consent_date(given_on, client=client, notice=notice))
    if review_due is not None and review_due <= given_on:
        errors["review_due"] = "The review date must be after the date consent was given."
    if expires_on is not None and expires_on <= given_on:
        errors["expires_on"] = "The expiry date must be after the date consent was given."
    if review_due is not None and expires_on is not None and review_due > expires_on:
        errors["review_due"] = "The review date must be on or before the expiry date."
    if errors:
        raise ValidationError(errors)

    stored_name = evidence_files.store(evidence, folder=ConsentEvidence.STORAGE_FOLDER) if evidence else ""
    try:
        evidence_row = None
        if evidence is not None:
            evidence_row = ConsentEvidence.from_checked(
                evidence, stored_name=stored_name, uploaded_by=actor, client=client, uploaded_at=now
            )
            evidence_row.full_clean()
            evidence_row._history_user = actor
            evidence_row.save()
        consent = ConsentRecord(
            client=client,
            meeting_group=meeting_group,
            selection=selection.to_json(),
            method=method,
            evidence=evidence_row,
            witness_name=witness_name.strip(),
            verbal_notes=verbal_notes.strip(),
            explicit_statement=explicit_statement.strip(),
            electronic_reference=electronic_reference.strip(),
            notice=notice,
            has_capacity=True,
            support_used=support_used.strip(),
            given_at=given_at,
            recorded_by=actor,
            recorded_at=now,
            review_due=review_due,
            expires_on=expires_on,
        )
        _save_with_scope(consent, history=consent_history, actor=actor, partners=partners, purposes=purposes)
        timeline_record(
            client=client,
            kind=TimelineEvent.Kind.CONSENT_RECORDED,
            summary=f"{consent.get_method_display()} consent for "
            f"{', '.join(p.name for p in partners) or meeting_group}: {selection.describe()}",
            actor=actor,
            categories=list(selection),
            obj=consent,
            at=given_at,
        )
    except BaseException:
        # Nothing half-saved: the rows roll back with the transaction; remove the file too.
        evidence_files.remove(stored_name)
        raise
    return consent


def consent_withdraw(
    *,
    actor,
    consent: ConsentRecord,
    how: str,
    note: str = "",
    at: dt.datetime | None = None,
    replaced_by: ConsentRecord | None = None,
):
    """Withdraw a consent, at once. Blocks any share that has not yet committed.

    One UPDATE of the consent row in its own transaction, so a share that locks the row
    (basis_for_share(lock=True)) either commits before it or sees the withdrawal.
    `replaced_by` is the consent that replaces it at a review; the withdrawal callbacks see
    it as `consent.replaced_by`.
    """
    now = timezone.now()
    at = at or now
    if how not in ConsentRecord.WithdrawalMethod.values:
        raise ValidationError({"how": "Choose how the client told us."})
    if at > now:
        raise ValidationError({"at": "The withdrawal cannot be in the future."})
    with transaction.atomic():
        locked = ConsentRecord.objects.select_for_update().get(pk=consent.pk)
        if locked.withdrawn_at is not None:
            raise ValidationError("This consent has already been withdrawn.", code="already_withdrawn")
        if at < locked.given_at:
            raise ValidationError({"at": "The withdrawal cannot be before the consent was given."})
        locked.withdrawn_at = at
        locked.withdrawal_method = how
        locked.withdrawn_by = actor
        locked.withdrawal_note = note.strip()
        locked._history_user = actor
        locked.save(update_fields=["withdrawn_at", "withdrawal_method", "withdrawn_by", "withdrawal_note"])
        timeline_record(
            client=locked.client,
            kind=TimelineEvent.Kind.CONSENT_WITHDRAWN,
            summary=f"Consent withdrawn ({locked.get_withdrawal_method_display().lower()}): "
            f"{locked.selection_obj.describe()}",
            actor=actor,
            categories=list(locked.selection_obj),
            obj=locked,
            at=at,
        )
        locked.replaced_by = replaced_by
        for callback in list(_withdrawal_callbacks):
            callback(locked)
    for name in ("withdrawn_at", "withdrawal_method", "withdrawn_by", "withdrawal_note"):
        setattr(consent, name, getattr(locked, name))
    return locked


def basis_policy_for(basis: str) -> bool:
    """Whether this lawful basis needs a manager's approval (BasisPolicy, else the default)."""
    policy = BasisPolicy.objects.filter(basis=basis).first()
    if policy is None:
        return BasisPolicy.DEFAULTS.get(basis, True)
    return policy.requires_approval


@transaction.atomic
def lawful_basis_record(
    *,
    actor,
    client,
    basis: str,
    partners: Iterable[Partner] = (),
    meeting_group: MeetingGroup | None = None,
    purposes: Iterable[Purpose],
    selection: Selection,
    justification: str,
    special_condition: str = "",
    criminal_condition: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> LawfulBasisRecord:
    """Record a lawful basis other than consent. Raises ValidationError and saves nothing."""
    partners, purposes = list(partners), list(purposes)
    today = timezone.localdate()
    starts_on = starts_on or today
    errors: dict[str, str] = {}
    if basis not in LawfulBasis.values:
        errors["basis"] = "Choose the lawful basis."
    _check_scope(errors, partners=partners, meeting_group=meeting_group, purposes=purposes, selection=selection)
    if not justification.strip():
        errors["justification"] = "Explain why this basis applies to this sharing."
    special = [key for key in selection if REGISTRY[key].special]
    criminal = [key for key in selection if REGISTRY[key].criminal]
    if special and not special_condition:
        labels = ", ".join(REGISTRY[key].label.lower() for key in special)
        errors["special_condition"] = f"Choose the condition that allows sharing special-category data ({labels})."
    if criminal and not criminal_condition:
        errors["criminal_condition"] = "Choose the Schedule 1 condition that allows sharing offending history."
    if ends_on is not None and ends_on <= starts_on:
        errors["ends_on"] = "The end date must be after the start date."
    if errors:
        raise ValidationError(errors)
    record = LawfulBasisRecord(
        client=client,
        basis=basis,
        meeting_group=meeting_group,
        selection=selection.to_json(),
        justification=justification.strip(),
        special_condition=special_condition if special else "",
        criminal_condition=criminal_condition if criminal else "",
        starts_on=starts_on,
        ends_on=ends_on,
        recorded_by=actor,
        recorded_at=timezone.now(),
        requires_approval=basis_policy_for(basis),
    )
    _save_with_scope(record, history=lawful_basis_history, actor=actor, partners=partners, purposes=purposes)
    return record


def can_approve(user, record: LawfulBasisRecord) -> bool:
    """A service manager of the client's team, who did not record the basis themselves."""
    return (
        user.role == Role.SERVICE_MANAGER
        and record.recorded_by_id != user.pk
        and user.memberships.filter(team_id=record.client.team_id).exists()
    )


def lawful_basis_approve(*, actor, record: LawfulBasisRecord) -> LawfulBasisRecord:
    """A manager approves a basis that needs it; from then on it can cover shares."""
    if not can_approve(actor, record):
        raise ValidationError(
            "Only a service manager of the client's team, other than the person who recorded it, can approve this.",
            code="not_allowed",
        )
    with transaction.atomic():
        locked = LawfulBasisRecord.objects.select_for_update().get(pk=record.pk)
        if not locked.requires_approval:
            raise ValidationError("This basis does not need approval.", code="not_needed")
        if locked.approved_at is not None:
            raise ValidationError("This basis has already been approved.", code="already_approved")
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked._history_user = actor
        locked.save(update_fields=["approved_by", "approved_at"])
    record.approved_by, record.approved_at = locked.approved_by, locked.approved_at
    return locked


# --- Ending a basis and restricting sharing (UK GDPR Articles 21 and 18) ---------------------------
#
# Both stop sharing at once, like a withdrawal: apps above `consent` (sharing) register a
# callback that cancels whatever was waiting to be transmitted on the strength of it. It runs
# inside the transaction that ends the basis or records the restriction:
#
#     on_sharing_stopped(callback)  # callback(*, actor, reason, lawful_basis=None, client=None)

SharingStoppedCallback = Callable[..., object]
_stopped_callbacks: list[SharingStoppedCallback] = []


def on_sharing_stopped(callback: SharingStoppedCallback) -> SharingStoppedCallback:
    """Register `callback(*, actor, reason, lawful_basis=None, client=None)`. Idempotent."""
    if callback not in _stopped_callbacks:
        _stopped_callbacks.append(callback)
    return callback


def lawful_basis_end(*, actor, record: LawfulBasisRecord, why: str, note: str) -> LawfulBasisRecord:
    """End a lawful basis other than consent now: the client objected, or the need has passed.

    Takes `why` (a BasisEndReason value) and `note` (required: what the client said, or why the
    need has passed). Sets ends_on to today, so it covers nothing from this moment, locks the row
    that a share's re-check locks, and runs the on_sharing_stopped callbacks in the same
    transaction (pending transmissions that relied on it are cancelled). Returns the record.
    Raises ValidationError (by field) for a missing reason or note, or if it has already ended.
    Rule: UK GDPR Article 21 (right to object) for public task and legitimate interests; any
    basis ends when the processing is no longer necessary (Article 5(1)(b)-(c)).
    """
    errors = {}
    if why not in BasisEndReason.values:
        errors["why"] = "Choose why this basis is ending."
    if not note.strip():
        errors["note"] = "Say what the client said, or why the need has passed."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        locked = LawfulBasisRecord.objects.select_for_update().get(pk=record.pk)
        if locked.ended_at is not None or (locked.ends_on is not None and locked.ends_on <= today):
            raise ValidationError("This basis has already ended.", code="already_ended")
        locked.ends_on = today
        locked.ended_at, locked.ended_by = now, actor
        locked.end_reason, locked.end_note = why, note.strip()
        locked._history_user = actor
        locked.save(update_fields=["ends_on", "ended_at", "ended_by", "end_reason", "end_note"])
        from .coverage import why_not

        reason = why_not(locked, locked.selection_obj, recipient=locked.recipients_text or "the recipient", at=now)
        for callback in _stopped_callbacks:
            callback(actor=actor, reason=reason, lawful_basis=locked)
    for name in ("ends_on", "ended_at", "ended_by", "end_reason", "end_note"):
        setattr(record, name, getattr(locked, name))
    return locked


def restriction_record(*, actor, client, reason: str) -> SharingRestriction:
    """Mark a client restricted for sharing (UK GDPR Article 18), at once.

    Takes the client and `reason` (required). From now on no share on consent or another
    basis passes the gate's re-check (`selectors.restriction_problem`), and the
    on_sharing_stopped callbacks cancel pending transmissions in this transaction. Returns the
    restriction; raises ValidationError for a missing reason or one already in force.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say what the client asked for and why."})
    with transaction.atomic():
        if SharingRestriction.objects.select_for_update().filter(client=client, lifted_at__isnull=True).exists():
            raise ValidationError("Sharing about this client is already restricted.", code="already_restricted")
        restriction = SharingRestriction(client=client, reason=reason.strip(), recorded_by=actor)
        restriction.full_clean()
        restriction._history_user = actor
        restriction.save()
        from .selectors import restriction_problem

        text = restriction_problem(client)
        for callback in _stopped_callbacks:
            callback(actor=actor, reason=text, client=client)
    return restriction


def restriction_lift(*, actor, restriction: SharingRestriction, note: str) -> SharingRestriction:
    """Lift a restriction (the client agreed, or the question they raised is settled). Note required."""
    if not note.strip():
        raise ValidationError({"note": "Say why the restriction is lifted."})
    with transaction.atomic():
        locked = SharingRestriction.objects.select_for_update().get(pk=restriction.pk)
        if locked.lifted_at is not None:
            raise ValidationError("This restriction has already been lifted.", code="lifted")
        locked.lifted_at, locked.lifted_by, locked.lift_note = timezone.now(), actor, note.strip()
        locked._history_user = actor
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
    return locked


# --- Partners' registered secure addresses -------------------------------------------------------


def _domain_matches(domain: str, domains) -> str:
    """The configured domain that `domain` is, or is a subdomain of ("" for none)."""
    for candidate in domains:
        candidate = candidate.lower().lstrip(".")
        if domain == candidate or domain.endswith(f".{candidate}"):
            return candidate
    return ""


def partner_address_kind(address: str) -> str:
    """ "secure" (a recognised secure domain), "webmail" (a refused free webmail domain) or "other".

    Both lists are settings (SECURE_EMAIL_RECOGNISED_DOMAINS, SECURE_EMAIL_REFUSED_DOMAINS), so an
    organisation names its own; a subdomain counts as its domain.
    """
    domain = address.rsplit("@", 1)[-1].strip().lower()
    if _domain_matches(domain, settings.SECURE_EMAIL_RECOGNISED_DOMAINS):
        return "secure"
    if _domain_matches(domain, settings.SECURE_EMAIL_REFUSED_DOMAINS):
        return "webmail"
    return "other"


def partner_address_check(*, secure_email: str, webmail_reason: str = "") -> None:
    """Raise ValidationError({"secure_email": ...}) for a free webmail address with no recorded reason.

    Referrals and stop notices go only to this address (ICO guidance on sending personal data
    by e-mail: use a secure, organisational service). Called by the admin form's clean().
    """
    if secure_email and partner_address_kind(secure_email) == "webmail" and not webmail_reason.strip():
        domain = secure_email.rsplit("@", 1)[-1].lower()
        raise ValidationError(
            {
                "secure_email": f"{domain} is a free webmail service, not a secure address. Use the partner's "
                "secure organisational address, or record below why this one is accepted."
            }
        )


def partner_address_changed(*, actor, partner: Partner, old_address: str) -> None:
    """After an admin changed a partner's registered secure address: e-mail the information
    security officers through the outbox (queued in the caller's transaction, sent once after
    commit; an unknown outcome is shown to the ISO). (The change itself is in the partner's history, with the
    admin's name and a change reason saying from what to what.)"""
    from django.contrib.auth import get_user_model

    recipients = list(
        get_user_model()
        .objects.filter(role=Role.INFORMATION_SECURITY_OFFICER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return
    kind = partner_address_kind(partner.secure_email)
    note = {
        "secure": "It is in a recognised secure domain.",
        "webmail": f"It is a free webmail address, accepted because: {partner.webmail_reason}",
        "other": "It is not in a recognised secure domain: check it is the partner's organisational address.",
    }[kind]
    who = actor.get_full_name() or actor.get_username()
    body = (
        f"{who} changed the registered secure e-mail address of {partner.name} on "
        f"{timezone.localtime():%d %B %Y at %H:%M}.\n\n"
        f"From: {old_address or '(none)'}\nTo:   {partner.secure_email}\n\n{note}\n\n"
        "Referrals and stop notices to this partner now go to the new address. If you did not expect "
        "this change, check it with the partner by phone before anything more is sent.\n"
    )

    outbox_queue(subject=f"Partner secure address changed: {partner.name}", body=body, recipients=recipients)


# --- Reviewing a consent with the client ---------------------------------------------------


def next_review_date(*, reviewed_on: dt.date, expires_on: dt.date | None) -> dt.date | None:
    """The next review after one on `reviewed_on`: CONSENT_REVIEW_PERIOD_DAYS later.

    None when the consent expires on or before that day: its expiry reminder comes first.
    """
    due = reviewed_on + dt.timedelta(days=settings.CONSENT_REVIEW_PERIOD_DAYS)
    if expires_on is not None and due > expires_on:
        return None
    return due


def _check_review(*, how: str, reviewed_at: dt.datetime, consent: ConsentRecord) -> None:
    errors = {}
    if how not in ConsentReview.Method.values:
        errors["how"] = "Choose how the consent was reviewed with the client."
    if reviewed_at > timezone.now():
        errors["reviewed_at"] = "The review cannot be in the future."
    elif reviewed_at < consent.given_at:
        errors["reviewed_at"] = "The review cannot be before the consent was given."
    if errors:
        raise ValidationError(errors)


def _locked_in_force(consent: ConsentRecord) -> ConsentRecord:
    locked = ConsentRecord.objects.select_for_update().get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise ValidationError("This consent has been withdrawn: there is nothing to review.", code="withdrawn")
    if locked.expires_on is not None and locked.expires_on <= timezone.localdate():
        raise ValidationError("This consent has expired: record a new consent instead.", code="expired")
    return locked


@transaction.atomic
def consent_reconfirm(
    *, actor, consent: ConsentRecord, how: str, reviewed_at: dt.datetime | None = None, note: str = ""
) -> ConsentReview:
    """Record that the client reconfirmed this consent; the next review is CONSENT_REVIEW_PERIOD_DAYS later.

    Moving review_due clears the "due for review" flag on the dashboard and re-arms the
    review reminder for the new date (deadlines mechanism, consent/deadlines.py).
    Raises ValidationError (keyed by field) for bad input or a withdrawn or expired consent.
    """
    reviewed_at = reviewed_at or timezone.now()
    _check_review(how=how, reviewed_at=reviewed_at, consent=consent)
    locked = _locked_in_force(consent)
    next_due = next_review_date(reviewed_on=timezone.localtime(reviewed_at).date(), expires_on=locked.expires_on)
    locked.review_due = next_due
    locked._history_user = actor
    locked._change_reason = "Reviewed: reconfirmed"
    locked.save(update_fields=["review_due"])
    consent.review_due = next_due
    review = ConsentReview(
        consent=locked,
        outcome=ConsentReview.Outcome.RECONFIRMED,
        how=how,
        reviewed_at=reviewed_at,
        reviewed_by=actor,
        note=note.strip(),
        next_review_due=next_due,
    )
    review.full_clean()
    review.save()
    return review


def _review_method_as_withdrawal(how: str) -> str:
    return how if how in ConsentRecord.WithdrawalMethod.values else ConsentRecord.WithdrawalMethod.IN_PERSON


@transaction.atomic
def consent_end_at_review(
    *, actor, consent: ConsentRecord, how: str, reviewed_at: dt.datetime | None = None, note: str = ""
) -> ConsentReview:
    """Record a review at which the consent ended: it is withdrawn at once (consent_withdraw).

    Raises ValidationError for bad input or a consent already withdrawn or expired.
    """
    reviewed_at = reviewed_at or timezone.now()
    _check_review(how=how, reviewed_at=reviewed_at, consent=consent)
    locked = _locked_in_force(consent)
    consent_withdraw(
        actor=actor,
        consent=locked,
        how=_review_method_as_withdrawal(how),
        note=("Ended at review. " + note.strip()).strip(),
        at=reviewed_at,
    )
    consent.withdrawn_at = locked.withdrawn_at
    review = ConsentReview(
        consent=locked,
        outcome=ConsentReview.Outcome.ENDED,
        how=how,
        reviewed_at=reviewed_at,
        reviewed_by=actor,
        note=note.strip(),
    )
    review.full_clean()
    review.save()
    return review


@transaction.atomic
def consent_replace_at_review(
    *, actor, consent: ConsentRecord, how: str, note: str = "", **new_consent
) -> ConsentReview:
    """Record a review at which the client changed their consent: a new consent replaces the old.

    `new_consent` are consent_record's arguments (scope, method, given_at, …) for the new
    consent; the review time is its given_at. The old consent is withdrawn in the same
    transaction, so exactly one of them covers sharing at any moment, and the review links
    the two. Only recipients the new consent no longer covers (recipient, purpose and what
    they were sent) get a "tell the recipient to stop" task. Raises ValidationError (keyed
    by field) and saves nothing.
    """
    reviewed_at = new_consent["given_at"]
    _check_review(how=how, reviewed_at=reviewed_at, consent=consent)
    locked = _locked_in_force(consent)
    replacement = consent_record(actor=actor, client=locked.client, **new_consent)
    consent_withdraw(
        actor=actor,
        consent=locked,
        how=_review_method_as_withdrawal(how),
        note=f"Replaced by a new consent at review. {note.strip()}".strip(),
        at=reviewed_at,
        replaced_by=replacement,
    )
    consent.withdrawn_at = locked.withdrawn_at
    review = ConsentReview(
        consent=locked,
        outcome=ConsentReview.Outcome.CHANGED,
        how=how,
        reviewed_at=reviewed_at,
        reviewed_by=actor,
        note=note.strip(),
        new_consent=replacement,
    )
    review.full_clean()
    review.save()
    return review
