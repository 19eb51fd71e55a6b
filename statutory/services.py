"""Writes for police and statutory requests: log, decide, the emergency exception, the
manager's review of it, and the legal hold.

Every step runs in one transaction and writes its audit row there (`access.gate.record`,
action STATUTORY, the request as the object). A disclosure follows the same road as a
referral (docs/decisions/0006): the view has passed the gate for the client; the
service locks the request row, re-checks the decision — the disclosed selection must
lie within the request's limit (a warrant's scope; for an emergency, what serves it;
otherwise what was asked for), and where only consent can cover it (Immigration
Enforcement, or no basis claimed) the client's consent is locked and re-checked with
`consent.selectors.basis_for_share` — then writes the `Disclosure` with its snapshot and
hash through sharing's public `disclosure_record` (linked here by `StatutoryDisclosure`),
and one SHARE audit row naming the request as the basis. A refusal writes a denied
SHARE row with the explanation, committed although nothing was disclosed.

Caseworkers cannot decide or disclose. The one exception (`statutory_emergency_disclose`):
life is at risk and no manager or information security officer can be reached. It
discloses only what the emergency needs, is recorded as such at once, e-mails the
client's team managers and the ISO, and stays on the queue until a manager reviews it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from access.gate import Action, Outcome, record
from casework import references
from clients.categories import Selection
from clients.models import Client, TimelineEvent
from clients.services import timeline_record
from consent.coverage import format_date
from consent.evidence import CheckedUpload, remove, store
from consent.models import ConsentRecord, Partner, Purpose
from consent.selectors import basis_for_share, restriction_allows_statutory
from deadlines.services import deadline_check
from sharing import selectors as sharing_selectors
from sharing.models import Disclosure
from sharing.services import disclosure_reasons_check, disclosure_record, share_decision_locked

from . import selectors
from .deadlines import EMERGENCY_REQUEST, EMERGENCY_REVIEW
from .models import StatutoryDisclosure, StatutoryDocument, StatutoryRequest

logger = logging.getLogger(__name__)

Basis = StatutoryRequest.Basis
Body = StatutoryRequest.Body
Status = StatutoryRequest.Status
Result = StatutoryRequest.Outcome

# Clocks of a phone, a browser and the server disagree a little.
CLOCK_SLACK = dt.timedelta(minutes=5)


class StatutoryRefused(Exception):
    """Nothing was disclosed. `explanation` says why; `outside` names the items beyond the limit."""

    def __init__(self, explanation: str, *, outside: Selection | None = None):
        super().__init__(explanation)
        self.explanation = explanation
        self.outside = outside or Selection()


class NotADecider(PermissionDenied):
    """Only a service manager of the client's team or the information security officer decides."""


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _audit(actor, statutory_request: StatutoryRequest, *, request, detail: str, categories=(), purpose: str = ""):
    return record(
        actor,
        action=Action.STATUTORY,
        outcome=Outcome.ALLOWED,
        client=statutory_request.client,
        request=request,
        obj=statutory_request,
        categories=list(categories),
        purpose=purpose or f"statutory request {statutory_request.reference}",
        basis=statutory_request.basis_claim_label,
        detail=detail,
    )


def _audit_share(
    actor, statutory_request, *, request, selection: Selection, outcome: str, basis="", detail="", obj=None
):
    return record(
        actor,
        action=Action.SHARE,
        outcome=outcome,
        client=statutory_request.client,
        request=request,
        obj=obj or statutory_request,
        categories=list(selection),
        purpose=f"{statutory_request.get_body_display()} request {statutory_request.reference}"[:200],
        basis=basis,
        detail=detail,
    )


# --- Logging a request ---------------------------------------------------------------------


def _required(errors: dict, field: str, value, message: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = message


def _check_log(errors: dict, *, now: dt.datetime, values: dict) -> None:
    v = values
    if v["body"] not in Body.values:
        errors["body"] = "Choose who is asking."
    _required(errors, "body_name", v["body_name"], "Name the police force or organisation.")
    _required(errors, "requester_name", v["requester_name"], "Enter the name of the person asking.")
    _required(errors, "requester_contact", v["requester_contact"], "Enter how to contact them.")
    if v["verification"] not in StatutoryRequest.Verification.values:
        errors["verification"] = "Say how their identity was verified (or that it has not been yet)."
    if v["received_at"] is None:
        errors["received_at"] = "Enter when the request was received."
    elif v["received_at"] > now + CLOCK_SLACK:
        errors["received_at"] = "The time received cannot be in the future."
    if v["channel"] not in StatutoryRequest.Channel.values:
        errors["channel"] = "Choose how the request reached us."
    if v["period_from"] and v["period_to"] and v["period_to"] < v["period_from"]:
        errors["period_to"] = "The end of the period cannot be before its start."
    _required(errors, "asked_text", v["asked_text"], "Write down what they asked for, in their words.")
    _required(errors, "why_needed", v["why_needed"], "Write down why they say they need it.")
    if v["prejudice"] not in StatutoryRequest.Prejudice.values:
        errors["prejudice"] = "Say whether telling the client would prejudice the investigation."
    basis = v["basis"]
    if basis not in Basis.values:
        errors["basis"] = "Choose the basis they claim (or that they claim none)."
    elif basis == Basis.COURT_ORDER:
        if v["order_kind"] not in StatutoryRequest.OrderKind.values:
            errors["order_kind"] = "Choose what kind of order it is."
        _required(errors, "order_reference", v["order_reference"], "Enter the order's reference.")
        _required(errors, "order_court", v["order_court"], "Enter the court that issued it.")
        if v["order_date"] is None:
            errors["order_date"] = "Enter the date of the order."
        elif v["order_date"] > timezone.localdate(now):
            errors["order_date"] = "The date of the order cannot be in the future."
        if not v["scope"]:
            errors["scope"] = "Choose what the order covers: nothing wider can be disclosed."
        if v["order_copy"] is None:
            errors["order_copy"] = "Upload a copy of the warrant or court order (a photo or scan will do)."
    elif basis == Basis.EMERGENCY:
        if v["emergency_kind"] not in StatutoryRequest.EmergencyKind.values:
            errors["emergency_kind"] = "Choose what the emergency is."
        _required(errors, "emergency_urgency", v["emergency_urgency"], "Say why it is urgent.")
        if not v["scope"]:
            errors["scope"] = "Choose what the emergency needs: nothing more can be disclosed."
    elif basis == Basis.SCHEDULE_2:
        _required(
            errors, "authorising_officer_rank", v["authorising_officer_rank"], "Enter the authorising officer's rank."
        )
        if v["schedule_2_form"] is None:
            errors["schedule_2_form"] = "Upload the signed Schedule 2 request form."
        _required(
            errors,
            "why_not_otherwise",
            v["why_not_otherwise"],
            "Say why the information cannot be obtained another way.",
        )


def _basis_fields(basis: str, values: dict) -> dict:
    """Keep only the details of the basis claimed, so the record never mixes two bases."""
    blank = {
        "order_kind": "",
        "order_reference": "",
        "order_court": "",
        "order_date": None,
        "scope": Selection(),
        "emergency_kind": "",
        "emergency_urgency": "",
        "authorising_officer_name": "",
        "authorising_officer_rank": "",
    }
    keep = {
        Basis.COURT_ORDER: ("order_kind", "order_reference", "order_court", "order_date", "scope"),
        Basis.EMERGENCY: ("emergency_kind", "emergency_urgency", "scope"),
        Basis.SCHEDULE_2: ("authorising_officer_name", "authorising_officer_rank"),
    }.get(basis, ())
    fields = {name: (values[name] if name in keep else empty) for name, empty in blank.items()}
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


def _new_request_reference(now) -> str:
    return references.dated("statutory_request", now)


def statutory_request_log(
    *,
    actor,
    client: Client,
    body: str,
    body_name: str,
    requester_name: str,
    requester_contact: str,
    verification: str,
    received_at: dt.datetime | None,
    channel: str,
    asked_text: str,
    basis: str,
    why_needed: str,
    prejudice: str,
    partner: Partner | None = None,
    requester_rank: str = "",
    requester_number: str = "",
    verification_note: str = "",
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    asked_selection: Selection | None = None,
    broad: bool = False,
    order_kind: str = "",
    order_reference: str = "",
    order_court: str = "",
    order_date: dt.date | None = None,
    scope: Selection | None = None,
    emergency_kind: str = "",
    emergency_urgency: str = "",
    authorising_officer_name: str = "",
    authorising_officer_rank: str = "",
    why_not_otherwise: str = "",
    prejudice_note: str = "",
    order_copy: CheckedUpload | None = None,
    schedule_2_form: CheckedUpload | None = None,
    request=None,
) -> StatutoryRequest:
    """Log a request about one client. Any member of staff may; it goes straight to the queue of
    the client's team managers and the ISO, and an emergency e-mails them at once (on commit).

    A warrant or court order (including a production order or notice of an application
    for one) places the client's records under legal hold. Raises ValidationError keyed by
    field; nothing is saved then, and no file is kept.
    """
    now = timezone.now()
    asked_selection = asked_selection or Selection()
    # Every argument by name, for the checks (which name the form's fields the same way).
    values = {k: v for k, v in locals().items() if k not in ("actor", "client", "request", "now")}
    values["scope"] = scope or Selection()
    errors: dict = {}
    _check_log(errors, now=now, values=values)
    if errors:
        raise ValidationError(errors)
    details = _basis_fields(basis, values)
    stored: list[tuple[str, CheckedUpload, str]] = []
    try:
        if basis == Basis.COURT_ORDER:
            stored.append((StatutoryDocument.Kind.ORDER, order_copy, store(order_copy, folder="statutory")))
        if basis == Basis.SCHEDULE_2:
            stored.append(
                (StatutoryDocument.Kind.SCHEDULE_2_FORM, schedule_2_form, store(schedule_2_form, folder="statutory"))
            )
        with transaction.atomic():
            statutory_request = StatutoryRequest(
                reference=_new_request_reference(now),
                client=client,
                body=body,
                body_name=body_name.strip(),
                partner=partner,
                requester_name=requester_name.strip(),
                requester_rank=requester_rank.strip(),
                requester_number=requester_number.strip(),
                requester_contact=requester_contact.strip(),
                verification=verification,
                verification_note=verification_note.strip(),
                received_at=received_at,
                received_by=actor,
                channel=channel,
                logged_at=now,
                period_from=period_from,
                period_to=period_to,
                asked_selection=asked_selection.to_json(),
                asked_text=asked_text.strip(),
                broad=bool(broad) or selectors.is_broad(asked_selection, asked_text),
                confidential_notes=selectors.confidential_notes_count(client),
                basis=basis,
                **{**details, "scope": details["scope"].to_json()},
                why_needed=why_needed.strip(),
                why_not_otherwise=why_not_otherwise.strip(),
                prejudice=prejudice,
                prejudice_note=prejudice_note.strip(),
            )
            statutory_request._history_user = actor
            statutory_request.full_clean()
            statutory_request.save()
            for kind, checked, stored_name in stored:
                document = StatutoryDocument.from_checked(
                    checked,
                    stored_name=stored_name,
                    uploaded_by=actor,
                    statutory_request=statutory_request,
                    client=client,
                    kind=kind,
                )
                document.full_clean()
                document.save()
            flags = [
                f
                for f, on in (("broad request", statutory_request.broad), ("emergency", basis == Basis.EMERGENCY))
                if on
            ]
            _audit(
                actor,
                statutory_request,
                request=request,
                categories=list(asked_selection),
                detail=(
                    f"Logged {statutory_request.reference}: {statutory_request.get_body_display()} "
                    f"({statutory_request.body_name}), {statutory_request.basis_claim_label}"
                    + (f"; {', '.join(flags)}" if flags else "")
                    + (f"; {len(stored)} document(s) stored" if stored else "")
                ),
            )
            timeline_record(
                client=client,
                kind=TimelineEvent.Kind.STATUTORY_LOGGED,
                summary=f"{statutory_request.reference} from {statutory_request.body_name} "
                f"({statutory_request.basis_claim_label})",
                actor=actor,
                categories=list(asked_selection or ()),
                obj=statutory_request,
                at=now,
            )
            if basis == Basis.COURT_ORDER:
                placed = _legal_hold_place(actor=actor, statutory_request=statutory_request, request=request, now=now)
                if placed:
                    # A save, not QuerySet.update(), so the request's history shows the hold.
                    statutory_request.placed_legal_hold = True
                    statutory_request._history_user = actor
                    statutory_request.save(update_fields=["placed_legal_hold"])
            if basis == Basis.EMERGENCY:
                # The managers and the ISO are e-mailed once, after commit (statutory/deadlines.py).
                deadline_check(clock=EMERGENCY_REQUEST, object_ids=[statutory_request.pk], now=now)
    except BaseException:
        for _kind, _checked, stored_name in stored:
            remove(stored_name)
        raise
    return statutory_request


# --- Legal hold ----------------------------------------------------------------------------


def _legal_hold_place(*, actor, statutory_request: StatutoryRequest, request, now) -> bool:
    """Put the client's records under legal hold, unless they already are. Returns whether it did."""
    client = Client.objects.select_for_update().get(pk=statutory_request.client_id)
    if client.legal_hold_since is not None:
        _audit(
            actor,
            statutory_request,
            request=request,
            detail=(
                f"Legal hold already in place since {format_date(client.legal_hold_since)}: {client.legal_hold_reason}"
            ),
        )
        return False
    reason = f"{statutory_request.basis_claim_label} (statutory request {statutory_request.reference})"
    client.legal_hold_since = now
    client.legal_hold_reason = reason[:300]
    client._history_user = actor
    client.save(update_fields=["legal_hold_since", "legal_hold_reason", "updated_at"])
    statutory_request.client.legal_hold_since = client.legal_hold_since
    statutory_request.client.legal_hold_reason = client.legal_hold_reason
    _audit(actor, statutory_request, request=request, detail=f"Legal hold placed: {client.legal_hold_reason}")
    return True


@transaction.atomic
def legal_hold_lift(*, actor, client: Client, reason: str, request=None) -> Client:
    """Lift the legal hold on a client's records: a service manager of the client's team or the ISO.

    Refused while a warrant or court-order request about the client is still open.
    """
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if not selectors.can_decide_for_team(actor, locked.team_id):
        raise NotADecider(
            "Only a service manager of the client's team or the information security officer can lift a legal hold."
        )
    if locked.legal_hold_since is None:
        raise ValidationError("This client's records are not under legal hold.", code="no_hold")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the hold can be lifted, for example that the case has concluded."})
    open_orders = list(selectors.open_court_orders(locked).values_list("reference", flat=True))
    if open_orders:
        raise ValidationError(
            f"Decide the open warrant or court-order request first ({', '.join(open_orders)}).", code="open_order"
        )
    was = locked.legal_hold_reason
    locked.legal_hold_since = None
    locked.legal_hold_reason = ""
    locked._history_user = actor
    locked.save(update_fields=["legal_hold_since", "legal_hold_reason", "updated_at"])
    record(
        actor,
        action=Action.STATUTORY,
        outcome=Outcome.ALLOWED,
        client=locked,
        request=request,
        obj=locked,
        purpose="legal hold lifted",
        basis=was[:200],
        detail=f"Legal hold lifted: {reason.strip()}",
    )
    client.legal_hold_since, client.legal_hold_reason = None, ""
    return locked


# --- Deciding ------------------------------------------------------------------------------


def _locked(statutory_request: StatutoryRequest) -> StatutoryRequest:
    return (
        StatutoryRequest.objects.select_for_update(of=("self",))
        .select_related("client__team", "partner")
        .get(pk=statutory_request.pk)
    )


def _check_told(errors: dict, client_told, not_told_reason: str) -> None:
    if client_told is None:
        errors["client_told"] = "Say whether the client will be told."
    elif client_told is False and not (not_told_reason or "").strip():
        errors["client_not_told_reason"] = (
            "Say why the client will not be told, for example that it would prejudice an investigation."
        )


def _limit_refusal(statutory_request: StatutoryRequest, selection: Selection) -> StatutoryRefused | None:
    """The selection must lie within the request's limit; the refusal names the items beyond it."""
    limit = statutory_request.limit
    if limit.covers(selection):
        return None
    outside = limit.missing(selection)
    name = statutory_request.limit_name
    allowed = limit.describe() or "nothing from the client's record"
    return StatutoryRefused(
        f"{name[:1].upper()}{name[1:]} covers {allowed}. It does not cover {outside.describe()}: "
        "remove or reduce those items. Nothing wider than that can be disclosed.",
        outside=outside,
    )


def _required_by_law(statutory_request: StatutoryRequest) -> bool:
    """May this disclosure pass a client's sharing restriction when a manager decides it?

    UK GDPR Art. 18(2): restricted data may still be processed for legal claims, "for the
    protection of the rights of another natural person" or an important public interest.
    A warrant or court order is required by law; a genuine emergency (life at risk) protects
    another person. A Schedule 2 request is discretionary, and consent is what the
    restriction has set aside, so neither passes.
    """
    return statutory_request.is_court_order or statutory_request.is_emergency


def _restriction_refusal(statutory_request: StatutoryRequest, *, decided_by) -> StatutoryRefused | None:
    """The refusal when the client is restricted for sharing and this disclosure may not pass
    (consent.selectors.restriction_allows_statutory), else None."""
    problem = restriction_allows_statutory(
        statutory_request.client, required_by_law=_required_by_law(statutory_request), decided_by=decided_by
    )
    return StatutoryRefused(problem) if problem else None


def _decide_on_consent(*, client, partner, purpose, selection, on=None, lock=False) -> sharing_selectors.ShareDecision:
    answer = basis_for_share(client=client, partner=partner, purpose=purpose, selection=selection, on=on, lock=lock)
    return sharing_selectors.ShareDecision(selection, answer, None, ())


def _consent_for(statutory_request: StatutoryRequest, selection: Selection) -> tuple[ConsentRecord | None, str]:
    """Where only consent can cover it: the client's consent (locked), or why there is none."""
    if statutory_request.is_immigration:
        lead = (
            "There is no legal obligation to disclose to Immigration Enforcement, so only the client's "
            "consent can cover a disclosure."
        )
    else:
        lead = "No legal basis was claimed, so only the client's consent can cover a disclosure."
    purpose = _purpose()
    if statutory_request.partner is None:
        return None, (
            f"{lead} {statutory_request.body_name} is not named on this request as a registered organisation, "
            "so no consent can name it. Refuse the request."
        )
    decision = share_decision_locked(
        _decide_on_consent,
        client=statutory_request.client,
        partner=statutory_request.partner,
        purpose=purpose,
        selection=selection,
    )
    if decision.answer.covered:
        return decision.basis, ""
    return None, f"{lead} {decision.answer.explanation} Refuse the request unless the client consents."


def _basis_label(statutory_request: StatutoryRequest, consent: ConsentRecord | None, *, exception: bool) -> str:
    ref = f"statutory request {statutory_request.reference}"
    if consent is not None:
        return f"{sharing_selectors.basis_label(consent, statutory_request.body_name)} ({ref})"[:300]
    if exception:
        return (
            f"Emergency exception (life at risk, no manager reachable): "
            f"{statutory_request.get_emergency_kind_display().lower()} ({ref})"
        )[:300]
    return f"{statutory_request.basis_claim_label} ({ref})"[:300]


def _told_text(statutory_request: StatutoryRequest) -> str:
    if statutory_request.client_told is None:
        return "To be decided at the manager's review"
    if statutory_request.client_told:
        return "Yes"
    return f"No: {statutory_request.client_not_told_reason}"


def _record_facts(statutory_request: StatutoryRequest, *, decided_by) -> dict:
    """The request and decision, as the disclosure record (and its PDF) keeps them."""
    r = statutory_request
    return {
        "request_reference": r.reference,
        "body": r.get_body_display(),
        "body_name": r.body_name,
        "requester": r.requester_label,
        "requester_contact": r.requester_contact,
        "verification": r.get_verification_display(),
        "received": f"{format_date(r.received_at)}, {r.get_channel_display().lower()}",
        "received_by": _name(r.received_by),
        "asked": r.asked_obj.describe(),
        "asked_text": r.asked_text,
        "basis_claimed": r.basis_claim_label,
        "limit_name": r.limit_name,
        "limit": r.limit.describe(),
        "why_needed": r.why_needed,
        "outcome": r.get_outcome_display(),
        "decided_by": _name(decided_by),
        "decision_reasons": r.decision_reasons,
        "client_told": _told_text(r),
        "emergency_exception": r.emergency_exception,
        "managers_tried": r.emergency_managers_tried,
    }


def _purpose() -> Purpose:
    """The purpose statutory disclosures are logged under; made again if it was ever removed."""
    return Purpose.objects.get_or_create(
        key=selectors.STATUTORY_PURPOSE, defaults=selectors.STATUTORY_PURPOSE_DEFAULTS
    )[0]


def _disclose(*, actor, statutory_request, selection, reasons, consent, now, exception: bool) -> Disclosure:
    """Record the disclosure through sharing's public service and link it to the request."""
    purpose_label = f"{statutory_request.get_body_display()} request {statutory_request.reference}"
    if statutory_request.is_emergency and statutory_request.emergency_kind:
        purpose_label += f": {statutory_request.get_emergency_kind_display().lower()}"
    disclosure = disclosure_record(
        actor=actor,
        kind=Disclosure.Kind.STATUTORY,
        client=statutory_request.client,
        partner=statutory_request.partner,
        recipient=statutory_request.recipient_label,
        purpose=_purpose(),
        purpose_label=purpose_label,
        basis=consent,
        basis_label=_basis_label(statutory_request, consent, exception=exception),
        selection=selection,
        reasons=reasons,
        now=now,
        extra={"statutory": _record_facts(statutory_request, decided_by=actor)},
    )
    StatutoryDisclosure.objects.create(statutory_request=statutory_request, disclosure=disclosure)
    return disclosure


def _refuse_share(actor, statutory_request, *, request, selection, refusal: StatutoryRefused) -> StatutoryRefused:
    # Written, and committed, although nothing is disclosed: every decision is audited.
    _audit_share(
        actor,
        statutory_request,
        request=request,
        selection=selection,
        outcome=Outcome.DENIED,
        detail=refusal.explanation,
    )
    return refusal


def _selection_problem(outcome: str, selection: Selection, limit: Selection) -> str:
    """What is wrong with the selection for this outcome ('' when nothing): in full needs a
    limit that names something; in part needs a selection, smaller than the limit."""
    if outcome == Result.DISCLOSED_FULL and not limit:
        return "The request names nothing from the client's record that could be disclosed."
    if outcome == Result.DISCLOSED_PART:
        if not selection:
            return "Choose the part of the information to disclose: nothing is selected."
        if selection == limit:
            return (
                "“Disclose in part” needs less than the request asks for, and every item it asks for is "
                "selected: narrow the selection, or choose “Disclose in full”."
            )
    return ""


def statutory_request_decide(
    *,
    actor,
    statutory_request: StatutoryRequest,
    outcome: str,
    decision_reasons: str,
    client_told: bool | None,
    client_not_told_reason: str = "",
    selection: Selection | None = None,
    reasons: dict[str, str] | None = None,
    request=None,
) -> StatutoryRequest:
    """Refuse, disclose in full or disclose in part, with reasons; record whether the client is told.

    "In full" discloses exactly the request's limit; "in part" a smaller selection within
    it. Raises NotADecider, ValidationError (by field), or StatutoryRefused (a selection
    beyond the limit; a client restricted for sharing when the disclosure is not one that
    passes a restriction, `_required_by_law`; or no consent where only consent can cover
    it) after writing a denied SHARE row.
    """
    selection = selection or Selection()
    reasons = reasons or {}
    errors: dict = {}
    if outcome not in Result.values:
        errors["outcome"] = "Choose whether to refuse, disclose in full or disclose in part."
    _required(errors, "decision_reasons", decision_reasons, "Give the reasons for the decision.")
    _check_told(errors, client_told, client_not_told_reason)
    # What the selection needs is said with every other problem of the form, not after them.
    selection_problem = _selection_problem(outcome, selection, statutory_request.limit)
    if selection_problem:
        errors["outcome"] = selection_problem
    if errors:
        raise ValidationError(errors)
    refused = None
    with transaction.atomic():
        locked = _locked(statutory_request)
        if not selectors.can_decide(actor, locked):
            raise NotADecider(
                "Only a service manager of the client's team or the information security officer decides."
            )
        if locked.status == Status.AWAITING_REVIEW:
            raise ValidationError("A caseworker has made an emergency disclosure: review it instead.", code="review")
        if not locked.is_open:
            raise ValidationError("This request has already been decided.", code="decided")
        now = timezone.now()
        locked.outcome = outcome
        locked.decided_by, locked.decided_at = actor, now
        locked.decision_reasons = decision_reasons.strip()
        locked.client_told = client_told
        locked.client_not_told_reason = "" if client_told else client_not_told_reason.strip()
        locked.status = Status.CLOSED
        disclosure = None
        if outcome != Result.REFUSED:
            limit = locked.limit
            if outcome == Result.DISCLOSED_FULL:
                selection = limit
            refusal = _limit_refusal(locked, selection) if selection else None
            problem = _selection_problem(outcome, selection, limit) if refusal is None else ""
            if problem:
                raise ValidationError({"outcome": problem})
            consent = None
            if refusal is None:
                refusal = _restriction_refusal(locked, decided_by=actor)
            if refusal is None:
                reasons = disclosure_reasons_check(selection, reasons)
                if locked.needs_consent:
                    consent, why_not = _consent_for(locked, selection)
                    if consent is None:
                        refusal = StatutoryRefused(why_not)
            if refusal is not None:
                refused = _refuse_share(actor, locked, request=request, selection=selection, refusal=refusal)
            else:
                disclosure = _disclose(
                    actor=actor,
                    statutory_request=locked,
                    selection=selection,
                    reasons=reasons,
                    consent=consent,
                    now=now,
                    exception=False,
                )
        if refused is None:
            locked._history_user = actor
            locked.full_clean()
            locked.save()
            if disclosure is not None:
                _audit_share(
                    actor,
                    locked,
                    request=request,
                    selection=selection,
                    outcome=Outcome.ALLOWED,
                    basis=disclosure.basis_label,
                    obj=disclosure,
                    detail=f"Disclosure {disclosure.reference}, SHA-256 {disclosure.snapshot_sha256}",
                )
            _audit(
                actor,
                locked,
                request=request,
                categories=list(selection) if disclosure else [],
                detail=f"Decided: {locked.get_outcome_display().lower()}"
                + (f" ({selection.describe()})" if disclosure else "")
                + f". Client told: {_told_text(locked)}. Reasons: {locked.decision_reasons}",
            )
            timeline_record(
                client=locked.client,
                kind=TimelineEvent.Kind.STATUTORY_DECIDED,
                summary=f"{locked.reference} decided: {locked.get_outcome_display().lower()}"
                + (f" ({selection.describe()})" if disclosure else ""),
                actor=actor,
                categories=list(selection) if disclosure else [],
                obj=locked,
                at=now,
            )
    if refused is not None:
        raise refused
    return locked


# --- The emergency exception ---------------------------------------------------------------


def statutory_emergency_disclose(
    *,
    actor,
    statutory_request: StatutoryRequest,
    selection: Selection,
    reasons: dict[str, str],
    life_at_risk: str,
    managers_tried: str,
    request=None,
) -> StatutoryRequest:
    """A caseworker's emergency disclosure: life at risk, no manager or ISO reachable.

    Only within what the emergency needs (the request's scope). Recorded as such at once,
    e-mailed to the client's team managers and the ISO, and left on the queue until a
    manager reviews it (`statutory_emergency_review`). When the client is restricted for
    sharing (UK GDPR Art. 18) it still goes ahead, since a life is at risk (Art. 18(2)),
    but the SHARE and request audit rows say the restriction was passed without a manager,
    for the review.
    """
    errors: dict = {}
    _required(errors, "life_at_risk", life_at_risk, "Say whose life is at risk and how.")
    _required(
        errors,
        "managers_tried",
        managers_tried,
        "Say which managers and information security officers you tried to reach, and when.",
    )
    if not selection:
        errors["selection"] = "Choose only the information the emergency needs."
    if errors:
        raise ValidationError(errors)
    refused = None
    with transaction.atomic():
        locked = _locked(statutory_request)
        if not locked.is_emergency:
            raise ValidationError("Only an emergency request can be answered without a manager.", code="not_emergency")
        if not locked.is_open:
            raise ValidationError("This request has already been answered.", code="decided")
        if selectors.can_decide(actor, locked):
            raise ValidationError("You decide requests for this client: use the decision page.", code="decider")
        now = timezone.now()
        refusal = _limit_refusal(locked, selection)
        if refusal is None and locked.needs_consent:
            refusal = StatutoryRefused(
                "Only the client's consent can cover a disclosure to this body, and a manager must decide that."
            )
        # A restricted client's emergency disclosure by a caseworker (life at risk, nobody
        # who may decide it reachable) goes ahead, flagged for the manager's review.
        restricted = restriction_allows_statutory(locked.client, required_by_law=True, decided_by=actor)
        flag = f" Flagged for the review: {restricted}" if restricted else ""
        if refusal is not None:
            refused = _refuse_share(actor, locked, request=request, selection=selection, refusal=refusal)
        else:
            reasons = disclosure_reasons_check(selection, reasons)
            locked.status = Status.AWAITING_REVIEW
            locked.outcome = Result.DISCLOSED_FULL if selection == locked.limit else Result.DISCLOSED_PART
            locked.decided_by, locked.decided_at = actor, now
            locked.decision_reasons = life_at_risk.strip()
            locked.emergency_exception = True
            locked.emergency_life_at_risk = life_at_risk.strip()
            locked.emergency_managers_tried = managers_tried.strip()
            locked.emergency_restriction_passed = restricted or ""
            disclosure = _disclose(
                actor=actor,
                statutory_request=locked,
                selection=selection,
                reasons=reasons,
                consent=None,
                now=now,
                exception=True,
            )
            locked._history_user = actor
            locked.full_clean()
            locked.save()
            _audit_share(
                actor,
                locked,
                request=request,
                selection=selection,
                outcome=Outcome.ALLOWED,
                basis=disclosure.basis_label,
                obj=disclosure,
                detail=f"Disclosure {disclosure.reference}, SHA-256 {disclosure.snapshot_sha256}.{flag}",
            )
            _audit(
                actor,
                locked,
                request=request,
                categories=list(selection),
                detail=(
                    f"Emergency disclosure by a caseworker under the emergency exception ({selection.describe()}); "
                    f"awaiting a manager's review. Life at risk: {locked.emergency_life_at_risk}. "
                    f"Tried to reach: {locked.emergency_managers_tried}.{flag}"
                ),
            )
            # The review clock starts: e-mailed once now, and again if the review is late.
            deadline_check(clock=EMERGENCY_REVIEW, object_ids=[locked.pk], now=now)
    if refused is not None:
        raise refused
    return locked


@transaction.atomic
def statutory_emergency_review(
    *,
    actor,
    statutory_request: StatutoryRequest,
    upheld: bool | None,
    note: str,
    client_told: bool | None,
    client_not_told_reason: str = "",
    request=None,
) -> StatutoryRequest:
    """A manager reviews a caseworker's emergency disclosure: was it justified, and is the client told."""
    errors: dict = {}
    if upheld is None:
        errors["upheld"] = "Say whether the emergency disclosure was justified."
    _required(errors, "note", note, "Record your review.")
    _check_told(errors, client_told, client_not_told_reason)
    if errors:
        raise ValidationError(errors)
    locked = _locked(statutory_request)
    if not selectors.can_decide(actor, locked):
        raise NotADecider("Only a service manager of the client's team or the information security officer reviews.")
    if locked.status != Status.AWAITING_REVIEW:
        raise ValidationError("There is no emergency disclosure awaiting review on this request.", code="no_review")
    now = timezone.now()
    late = " (more than 24 hours after the disclosure)" if locked.review_overdue(now) else ""
    locked.status = Status.CLOSED
    locked.reviewed_by, locked.reviewed_at = actor, now
    locked.review_upheld = upheld
    locked.review_note = note.strip()
    locked.client_told = client_told
    locked.client_not_told_reason = "" if client_told else client_not_told_reason.strip()
    locked._history_user = actor
    locked.full_clean()
    locked.save()
    _audit(
        actor,
        locked,
        request=request,
        detail=f"Emergency disclosure reviewed{late}: {'justified' if upheld else 'not justified'}. "
        f"Client told: {_told_text(locked)}. {locked.review_note}",
    )
    return locked
