"""The sharing pages of a client: the sharing history, referrals, meetings, the disclosure
log and the tasks after a withdrawal; and the managers' list of referrals sent without a
data-sharing agreement.

Every client page reaches the client only through the gate (`access.gate.client_view`),
which audits the request and answers 404 alike for unknown and forbidden ids; objects
inside the client (a referral, a disclosure, a task) are loaded filtered by that client.
`client_view` runs the gate and the view in one transaction, so the gate's row, the
locked re-check, the disclosure and the SHARE audit row of a send commit together.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.gate import Action, client_view, record_list
from casework import references
from casework.pdf import PdfResponse
from consent.coverage import Status, status

from . import selectors, services
from .documents import referral_html
from .forms import MeetingForm, NoticeDoneForm, ReferralForm, ReferralStartForm
from .models import Disclosure
from .snapshot import empty_sections

IDENTITY = ["identity"]
MEETING_PURPOSE = "multi-agency-risk-meeting"


def _load_referral(client_id, referral_id, **_):
    return selectors.referral_for_client(client_id, referral_id)


def _load_sent_referral(client_id, referral_id, **_):
    return selectors.referral_for_client(client_id, referral_id, sent_only=True)


def _load_disclosure(client_id, disclosure_id, **_):
    return selectors.disclosure_for_client(client_id, disclosure_id)


def _load_notice(client_id, notice_id, **_):
    return selectors.notice_for_client(client_id, notice_id)


def _selected(obj) -> list[str]:
    return list(obj.selection_obj)


def _page(access, **extra) -> dict:
    return {"client": access.client, "access": access, "tab": "sharing", **extra}


def _withdrawal(disclosure: Disclosure | None):
    """The consent a disclosure relied on, when it has since been withdrawn."""
    consent = disclosure.consent if disclosure is not None else None
    if consent is not None and status(consent, timezone.now()) is Status.WITHDRAWN:
        return consent
    return None


@client_view(action=Action.VIEW, categories=IDENTITY, purpose="sharing history")
def history(request, access):
    return render(request, "sharing/history.html", _page(access, **selectors.sharing_history(access.client)))


@client_view(action=Action.VIEW, categories=IDENTITY, purpose="referral")
def referral_new(request, access):
    client = access.client
    form = ReferralStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_start(
                actor=request.user,
                client=client,
                partner=form.cleaned_data["partner"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("sharing:referral", client_id=client.pk, referral_id=referral.pk)
    return render(request, "sharing/referral_new.html", _page(access, form=form), status=400 if form.is_bound else 200)


@client_view(action=Action.VIEW, categories=_selected, purpose="referral", load=_load_referral)
def referral(request, access, referral_id):
    referral = access.obj
    referral.client = access.client  # already loaded by the gate
    if not referral.is_draft:
        return _sent_referral(request, access, referral)
    client = access.client
    status_code, decision = 200, None
    action = request.POST.get("action")
    if request.method == "POST" and action == "send_saved":
        # From the preview: send the draft exactly as saved and previewed.
        return _send(request, access, referral)
    form = ReferralForm(request.POST or None, referral=referral, case_notes=selectors.case_notes_for(client))
    if request.method == "POST":
        status_code = 400
        if form.is_valid():
            selection, reasons = form.selection_and_reasons()
            details, notes = form.details_and_notes()
            try:
                services.referral_update(
                    actor=request.user,
                    referral=referral,
                    selection=selection,
                    reasons=reasons,
                    details=details,
                    notes=notes,
                )
                if action == "send":
                    services.referral_send(actor=request.user, referral=referral, request=request)
            except ValidationError as exc:
                form.apply_errors(exc)
            except services.ShareRefused as exc:
                decision = exc.decision  # the panel below shows every reason
            else:
                if action == "preview":
                    return redirect("sharing:referral_preview", client_id=client.pk, referral_id=referral.pk)
                if referral.is_draft and getattr(referral, "approval_reset", False):
                    messages.warning(
                        request,
                        "Draft saved. What it shares has changed since a manager approved sending it without "
                        "a data-sharing agreement, so that approval no longer stands: ask a manager again.",
                    )
                elif referral.is_draft:
                    messages.success(request, "Draft saved. Check the panel, then send it.")
                else:
                    _sent_message(request, referral)
                return redirect("sharing:referral", client_id=client.pk, referral_id=referral.pk)
    if decision is None:
        decision = _decide(referral)
    return render(
        request,
        "sharing/referral_draft.html",
        _page(
            access,
            referral=referral,
            form=form,
            decision=decision,
            template=selectors.template_for(referral.purpose),
            tried_to_send=request.method == "POST" and action == "send",
            needs_approval=_needs_approval(decision),
            can_approve=_needs_approval(decision) and services.can_approve_without_agreement(request.user, referral),
        ),
        status=status_code,
    )


def _decide(referral):
    return selectors.decide_referral(
        client=referral.client,
        partner=referral.partner,
        purpose=referral.purpose,
        selection=referral.selection_obj,
        reasons=referral.reasons,
        approval=referral.unagreed_approval,
    )


def _needs_approval(decision) -> bool:
    return decision.agreement is not None and decision.agreement.approval_needed


def _sent_message(request, referral):
    if selectors.transmissions_of(referral):
        messages.success(
            request,
            f"Referral to {referral.partner.name} recorded and queued for e-mail to their registered "
            "secure address. It is in the client's sharing history.",
        )
    else:
        messages.success(
            request,
            f"Referral to {referral.partner.name} recorded, not yet transmitted: hand it over as your "
            "organisation does. It is in the client's sharing history.",
        )


def _send(request, access, referral):
    try:
        services.referral_send(actor=request.user, referral=referral, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except services.ShareRefused as exc:
        messages.error(request, "Not sent: " + " ".join(exc.decision.refusals))
    else:
        _sent_message(request, referral)
    return redirect("sharing:referral", client_id=access.client.pk, referral_id=referral.pk)


@client_view(action=Action.VIEW, categories=_selected, purpose="referral preview", load=_load_referral)
def referral_preview(request, access, referral_id):
    """Exactly what the partner will receive, from the same snapshot code as the PDF."""
    referral = access.obj
    referral.client = access.client
    if not referral.is_draft:
        return redirect("sharing:referral", client_id=access.client.pk, referral_id=referral.pk)
    if request.method == "POST" and request.POST.get("drop") in referral.selection_obj:
        services.referral_drop_item(actor=request.user, referral=referral, key=request.POST["drop"])
        if referral.approval_reset:
            messages.warning(
                request, "Removed from the referral. A manager must approve sending it without an agreement again."
            )
        else:
            messages.success(request, "Removed from the referral.")
        return redirect("sharing:referral_preview", client_id=access.client.pk, referral_id=referral.pk)
    decision = _decide(referral)
    label = (
        selectors.basis_label(decision.basis, referral.partner.name)
        if decision.basis is not None
        else "No basis covers this yet"
    )
    snapshot = services.referral_preview(actor=request.user, referral=referral, basis_label=label)
    return render(
        request,
        "sharing/referral_preview.html",
        _page(
            access,
            referral=referral,
            decision=decision,
            snapshot=snapshot,
            sections=snapshot["sections"],
            empty=empty_sections(snapshot),
        ),
    )


@require_POST
@client_view(
    action=Action.VIEW,
    categories=IDENTITY,
    purpose="approve a referral without an agreement",
    load=_load_referral,
    team_manager_only=True,
)
def referral_approve(request, access, referral_id):
    """A team manager approves sending a draft to a partner with no data-sharing agreement in force."""
    referral = access.obj
    referral.client = access.client
    try:
        services.referral_approve_without_agreement(
            actor=request.user, referral=referral, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Approved: it can be sent without a data-sharing agreement once a basis covers it.")
    return redirect("sharing:referral", client_id=access.client.pk, referral_id=referral.pk)


@require_POST
@client_view(action=Action.VIEW, categories=IDENTITY, purpose="discard referral", load=_load_referral)
def referral_discard(request, access, referral_id):
    referral = access.obj
    try:
        services.referral_discard(actor=request.user, referral=referral)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sharing:referral", client_id=access.client.pk, referral_id=referral.pk)
    messages.success(request, f"Draft {referral.reference} discarded.")
    return redirect("sharing:history", client_id=access.client.pk)


def _sent_referral(request, access, referral):
    disclosure = referral.disclosure
    notices = selectors.notices_for_disclosures([disclosure])
    transmissions = selectors.transmissions_of(referral)
    return render(
        request,
        "sharing/referral_sent.html",
        _page(
            access,
            referral=referral,
            disclosure=disclosure,
            withdrawn=_withdrawal(disclosure),
            notices=notices,
            transmissions=transmissions,
            delivery=selectors.delivery_state(transmissions),
        ),
    )


@client_view(action=Action.DOWNLOAD, categories=_selected, purpose="referral PDF", load=_load_sent_referral)
def referral_download(request, access, referral_id):
    disclosure = access.obj.disclosure
    # A copy for the file is always allowed; once the basis is gone it says it is not for sending.
    problem = services.transmission_basis_problem(disclosure)
    # Laid out after the gate's transaction ends (casework.pdf): the HTML is all it reads.
    response = PdfResponse(referral_html(disclosure, not_for_sending=problem))
    document = "referral-for-the-file" if problem else "referral"
    response["Content-Disposition"] = references.attachment_header(
        references.download_name(disclosure.reference, document, "pdf")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@client_view(
    action=Action.VIEW,
    post_action=Action.VIEW,
    categories=_selected,
    purpose="e-mail referral PDF",
    load=_load_sent_referral,
)
def referral_email(request, access, referral_id):
    """Ask for the referral to be e-mailed (again). The SHARE audit row is written when it is
    claimed for sending (or refused), naming the basis that holds at that moment."""
    referral = access.obj
    try:
        services.referral_transmit(actor=request.user, referral=referral, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except services.TransmissionRefused as exc:
        messages.error(request, f"Not sent, and nothing left the organisation: {exc.reason}")
    else:
        messages.success(
            request,
            f"The referral will be e-mailed to {referral.partner.name}'s registered secure address, "
            f"{referral.partner.secure_email}.",
        )
    return redirect("sharing:referral", client_id=access.client.pk, referral_id=referral.pk)


@client_view(action=Action.VIEW, categories=IDENTITY, purpose="multi-agency meeting")
def meeting_new(request, access):
    client = access.client
    initial = {"meeting_on": timezone.localdate()}
    purpose = selectors.active_purposes().filter(key=MEETING_PURPOSE).first()
    if purpose is not None:
        initial["purpose"] = purpose.pk
    form = MeetingForm(request.POST or None, initial=initial)
    refused, breach_url = None, ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        selection, reasons = form.selection_and_reasons()
        try:
            disclosure = services.meeting_disclosure_record(
                actor=request.user,
                client=client,
                group=data["meeting_group"],
                meeting_on=data["meeting_on"],
                present=data["present"],
                purpose=data["purpose"],
                selection=selection,
                reasons=reasons,
                request=request,
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        except services.ShareRefused as exc:
            refused = exc.decision
            if refused.cover_refusals:
                # What was said at the meeting was not covered: it may already be a breach.
                breach_url = _meeting_breach_url(client, data, selection, refused)
        else:
            messages.success(request, f"Recorded in the disclosure log as {disclosure.reference}.")
            return redirect("sharing:disclosure", client_id=client.pk, disclosure_id=disclosure.pk)
    return render(
        request,
        "sharing/meeting_new.html",
        _page(access, form=form, decision=refused, breach_url=breach_url),
        status=400 if form.is_bound else 200,
    )


@client_view(action=Action.VIEW, categories=_selected, purpose="disclosure log", load=_load_disclosure)
def disclosure(request, access, disclosure_id):
    disclosure = access.obj
    return render(
        request,
        "sharing/disclosure.html",
        _page(
            access,
            disclosure=disclosure,
            sections=disclosure.snapshot.get("sections", []),
            withdrawn=_withdrawal(disclosure),
            notices=selectors.notices_for_disclosures([disclosure]),
            breach_url=_breach_url(disclosure),
        ),
    )


def _meeting_breach_url(client, data, selection, decision) -> str:
    """The breach report, pre-filled from a meeting record that was refused as not covered."""
    present = ", ".join(partner.name for partner in data["present"])
    what = (
        f"At {data['meeting_group'].name} on {data['meeting_on']:%-d %b %Y}, {selection.describe()} about the "
        f"client was discussed with {present}, which was not covered: {' '.join(decision.cover_refusals)}"
    )
    params = [("client", client.pk), *(("categories", key) for key in selection), ("what_happened", what)]
    return f"{reverse('breaches:report')}?{urlencode(params)}"


def _breach_url(disclosure: Disclosure) -> str:
    params = [("disclosure", disclosure.pk), ("client", disclosure.client_id)]
    params += [("categories", key) for key in disclosure.selection_obj]
    params.append(
        (
            "what_happened",
            f"About disclosure {disclosure.reference} ({disclosure.get_kind_display().lower()} to "
            f"{disclosure.recipient_label}, {timezone.localtime(disclosure.disclosed_at):%d %b %Y}): ",
        )
    )
    return f"{reverse('breaches:report')}?{urlencode(params)}"


@client_view(action=Action.VIEW, categories=IDENTITY, purpose="tell the recipient to stop", load=_load_notice)
def notice(request, access, notice_id):
    notice = access.obj
    form = NoticeDoneForm(request.POST or None)
    if request.method == "POST" and not notice.is_done and form.is_valid():
        try:
            services.recipient_notice_done(
                actor=request.user,
                notice=notice,
                how=form.cleaned_data["how"],
                at=form.cleaned_data["at"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Marked done: {notice.partner.name} has been told.")
            return redirect("sharing:history", client_id=access.client.pk)
    return render(
        request,
        "sharing/notice.html",
        _page(access, notice=notice, form=form, transmissions=services.notice_transmissions(notice)),
        status=400 if form.is_bound else 200,
    )


@require_POST
@client_view(action=Action.VIEW, categories=IDENTITY, purpose="e-mail the stop notice", load=_load_notice)
def notice_send(request, access, notice_id):
    """One click: the drafted notice goes to the partner's registered secure address."""
    notice = access.obj
    try:
        services.recipient_notice_transmit(actor=request.user, notice=notice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"The notice will be e-mailed to {notice.partner.name}'s registered secure address, "
            f"{notice.partner.secure_email}; the task is marked done when it has gone.",
        )
    return redirect("sharing:notice", client_id=access.client.pk, notice_id=notice.pk)


def without_agreement(request):
    """Managers: referrals sent to partners with no data-sharing agreement in force."""
    if not selectors.can_review_unagreed(request.user):
        raise PermissionDenied
    disclosures = list(selectors.referrals_without_agreement(request.user)[:200])
    # A list of clients: audit the query, not every row.
    record_list(request.user, action=Action.LIST, request=request, detail="referrals without a data-sharing agreement")
    return render(request, "sharing/without_agreement.html", {"disclosures": disclosures})


@require_POST
def transmission_dismiss(request, transmission_id):
    """The requester has read the dashboard's message about a transmission that did not go."""
    transmission = selectors.stopped_transmission_of(request.user, transmission_id)
    if transmission is None:
        raise Http404
    services.transmission_dismiss(actor=request.user, transmission=transmission)
    return redirect("home")
