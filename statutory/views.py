"""Police and statutory requests: logging one on the client's record, the request page, the
decision, the emergency exception and its review, the legal hold, the managers' queue and
the transparency report.

Every page about a request passes the gate for its client, in one transaction with the
view (like `access.gate.client_view`). Before that, the request is looked up with the one
rule of `statutory.selectors` (seen by the ISO, the client's team managers and whoever
logged it; decided by the ISO and the team managers only). A request someone may not see
is refused like an unknown one: one denied audit row and a 404.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from access.gate import (
    SAFE_METHODS,
    AccessDenied,
    Action,
    Outcome,
    client_view,
    decider_view,
    gate_client,
    record,
    record_list,
    run_gated,
)
from accounts.models import Role
from casework import references
from casework.pdf import PdfResponse
from clients.categories import Selection
from clients.models import Client
from consent.evidence import file_response
from consent.selectors import basis_for_share
from sharing.forms import level_field

from . import selectors, services
from .documents import statutory_disclosure_html
from .forms import (
    DecisionForm,
    EmergencyDisclosureForm,
    LegalHoldLiftForm,
    ReportForm,
    ReviewForm,
    StatutoryRequestForm,
)
from .models import StatutoryRequest

IDENTITY = ["identity"]
Result = StatutoryRequest.Outcome


def _is_iso(user) -> bool:
    return getattr(user, "role", None) == Role.INFORMATION_SECURITY_OFFICER


def _refuse_unseen(request, *, action: str, client_id, request_id) -> AccessDenied:
    """One denied row (naming the client, when the request is theirs) and the ordinary 404."""
    client_pk = (
        StatutoryRequest.objects.filter(pk=request_id, client_id=client_id).values_list("client_id", flat=True).first()
    )
    record(
        request.user,
        action=action,
        outcome=Outcome.DENIED,
        client=Client.objects.filter(pk=client_pk).first() if client_pk else None,
        request=request,
        purpose="statutory request",
        detail=f"no statutory request {str(request_id)[:20]} this person may see for client {str(client_id)[:20]}",
    )
    return AccessDenied(client_id=None)


def request_view(
    action: str = Action.VIEW,
    *,
    post_action: str = Action.EDIT,
    deciders_only: bool = False,
    purpose: str = "statutory request",
    find=None,
    categories=None,
):
    """Decorate a view taking `client_id` and `request_id`: called as `view(request, access, statutory_request)`.

    `find(statutory_request, **kwargs)` picks the object the URL names inside the request
    (a document, the disclosure); None is refused like an unknown request.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, client_id, request_id, **kwargs):
            act = action if request.method in SAFE_METHODS else post_action

            def open_gate():
                found = selectors.request_for(request.user, client_id, request_id, deciders_only=deciders_only)
                obj = found
                if found is not None and find is not None:
                    obj = find(found, **kwargs)
                if obj is None:
                    raise _refuse_unseen(request, action=act, client_id=client_id, request_id=request_id)
                access = gate_client(
                    request,
                    client_id,
                    action=act,
                    obj=obj,
                    categories=categories(obj) if categories else IDENTITY,
                    purpose=purpose,
                    team_manager_only=deciders_only and not _is_iso(request.user),
                )
                return access, found

            return run_gated(request, lambda opened: view(request, *opened, **kwargs), open_gate)

        wrapped.gated = True
        return wrapped

    return decorator


def _page(access, **extra) -> dict:
    return {"client": access.client, "access": access, "tab": "statutory", **extra}


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _apply_refusal(form, refusal: services.StatutoryRefused) -> None:
    """The explanation above the form, and "outside the limit" beside each item that is."""
    form.add_error(None, refusal.explanation)
    for key in refusal.outside:
        name = level_field(key)
        if name in form.fields:
            form.add_error(name, "Outside the limit: it cannot be disclosed.")


def _to_detail(statutory_request):
    return redirect("statutory:request", client_id=statutory_request.client_id, request_id=statutory_request.pk)


# --- On the client's record ------------------------------------------------------------------


@client_view(action=Action.VIEW, categories=IDENTITY, purpose="statutory requests")
def client_requests(request, access):
    client = access.client
    return render(
        request,
        "statutory/client.html",
        _page(
            access,
            requests=selectors.requests_for_client(request.user, client),
            can_decide=selectors.can_decide_for_team(request.user, client.team_id),
        ),
    )


@client_view(action=Action.VIEW, categories=IDENTITY, purpose="log a statutory request")
def new(request, access):
    client = access.client
    form = StatutoryRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            logged = services.statutory_request_log(
                actor=request.user, client=client, request=request, **form.service_kwargs()
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"Request {logged.reference} logged. It is on the queue of the client's service managers and the "
                "information security officer"
                + (", who have been e-mailed now" if logged.is_emergency else "")
                + ". Do not disclose anything yourself.",
            )
            return _to_detail(logged)
    return render(
        request,
        "statutory/new.html",
        _page(access, form=form),
        status=400 if form.is_bound else 200,
    )


# --- One request --------------------------------------------------------------------------


def _consent_answer(statutory_request: StatutoryRequest, selection: Selection):
    """Where only consent can cover a disclosure: whether the client's consent covers `selection`."""
    if not statutory_request.needs_consent or statutory_request.partner is None or not selection:
        return None
    purpose = selectors.consent_purpose()
    if purpose is None:
        return None
    return basis_for_share(
        client=statutory_request.client, partner=statutory_request.partner, purpose=purpose, selection=selection
    )


@request_view(action=Action.VIEW)
def detail(request, access, statutory_request):
    now = timezone.now()
    can_decide = selectors.can_decide_for_team(request.user, access.client.team_id)
    return render(
        request,
        "statutory/detail.html",
        _page(
            access,
            sr=statutory_request,
            documents=list(statutory_request.documents.all()),
            disclosures=list(statutory_request.disclosures.all()),
            confidential_now=selectors.confidential_notes_count(access.client),
            can_decide=can_decide,
            review_overdue=statutory_request.review_overdue(now),
            consent=_consent_answer(statutory_request, statutory_request.limit),
        ),
    )


def _immigration_default(statutory_request: StatutoryRequest, consent) -> str:
    if statutory_request.is_immigration:
        head = "There is no legal obligation to disclose information to Immigration Enforcement"
    else:
        head = "No legal basis for disclosure was claimed"
    tail = "and the client has not consented to this disclosure." if consent is None or not consent.covered else ""
    return f"{head}, {tail}" if tail else f"{head}."


@request_view(action=Action.VIEW, deciders_only=True, purpose="decide a statutory request")
def decide(request, access, statutory_request):
    if not statutory_request.is_open:
        return _to_detail(statutory_request)
    limit = statutory_request.limit
    consent = _consent_answer(statutory_request, limit)
    initial = {}
    if statutory_request.needs_consent and (consent is None or not consent.covered):
        # Refusal by default: nothing compels a disclosure and the client has not consented.
        initial = {"outcome": Result.REFUSED, "decision_reasons": _immigration_default(statutory_request, consent)}
    form = DecisionForm(request.POST or None, selection=limit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            decided = services.statutory_request_decide(
                actor=request.user, statutory_request=statutory_request, request=request, **form.service_kwargs()
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.StatutoryRefused as exc:
            _apply_refusal(form, exc)
        except services.NotADecider as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, f"Decision recorded: {decided.get_outcome_display().lower()}.")
            return _to_detail(decided)
    return render(
        request,
        "statutory/decide.html",
        _page(access, sr=statutory_request, form=form, limit=limit, consent=consent),
        status=400 if form.is_bound else 200,
    )


@request_view(action=Action.VIEW, purpose="emergency disclosure")
def emergency(request, access, statutory_request):
    if selectors.can_decide_for_team(request.user, access.client.team_id):
        return redirect("statutory:decide", client_id=statutory_request.client_id, request_id=statutory_request.pk)
    available = statutory_request.is_emergency and statutory_request.is_open and not statutory_request.needs_consent
    form = EmergencyDisclosureForm(request.POST or None, selection=statutory_request.scope_obj) if available else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.statutory_emergency_disclose(
                actor=request.user, statutory_request=statutory_request, request=request, **form.service_kwargs()
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.StatutoryRefused as exc:
            _apply_refusal(form, exc)
        else:
            messages.success(
                request,
                "Emergency disclosure recorded. The client's service managers and the information security officer "
                "have been e-mailed; a manager will review it within 24 hours.",
            )
            return _to_detail(statutory_request)
    return render(
        request,
        "statutory/emergency.html",
        _page(access, sr=statutory_request, form=form),
        status=400 if form is not None and form.is_bound else 200,
    )


@request_view(action=Action.VIEW, deciders_only=True, purpose="review an emergency disclosure")
def review(request, access, statutory_request):
    if statutory_request.status != StatutoryRequest.Status.AWAITING_REVIEW:
        return _to_detail(statutory_request)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.statutory_emergency_review(
                actor=request.user,
                statutory_request=statutory_request,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.NotADecider as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, "Review recorded.")
            return _to_detail(statutory_request)
    return render(
        request,
        "statutory/review.html",
        _page(
            access,
            sr=statutory_request,
            form=form,
            disclosures=list(statutory_request.disclosures.all()),
            review_overdue=statutory_request.review_overdue(timezone.now()),
        ),
        status=400 if form.is_bound else 200,
    )


def _the_disclosure(statutory_request, **_):
    return next(iter(statutory_request.disclosures.all()), None)


def _disclosed(disclosure) -> list[str]:
    return list(disclosure.selection_obj)


@request_view(
    action=Action.DOWNLOAD, purpose="statutory disclosure record", find=_the_disclosure, categories=_disclosed
)
def record_pdf(request, access, statutory_request):
    disclosure = access.obj
    response = PdfResponse(statutory_disclosure_html(disclosure))  # laid out after the gate's transaction
    response["Content-Disposition"] = references.attachment_header(
        references.download_name(disclosure.reference, "disclosure-record", "pdf")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _the_document(statutory_request, document_id, **_):
    return selectors.document_of(statutory_request, document_id)


@request_view(action=Action.DOWNLOAD, purpose="statutory request document", find=_the_document)
def document(request, access, statutory_request, document_id):
    return file_response(access.obj)


@decider_view(action=Action.VIEW, purpose="legal hold")
def legal_hold(request, access):
    client = access.client
    form = LegalHoldLiftForm(request.POST or None)
    if request.method == "POST" and client.under_legal_hold and form.is_valid():
        try:
            services.legal_hold_lift(
                actor=request.user, client=client, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except services.NotADecider as exc:
            raise PermissionDenied from exc
        else:
            messages.success(request, "The legal hold has been lifted.")
            return redirect("statutory:client", client_id=client.pk)
    return render(
        request,
        "statutory/legal_hold.html",
        _page(access, form=form, open_orders=list(selectors.open_court_orders(client))),
        status=400 if form.is_bound else 200,
    )


# --- Managers: the queue and the transparency report -------------------------------------------


def _deciders_only(request) -> None:
    if not selectors.is_decider_role(request.user):
        raise PermissionDenied


def queue(request):
    """Open requests of the manager's teams (ISO: all), oldest emergency first."""
    _deciders_only(request)
    rows = selectors.queue_rows(request.user)
    # A list naming clients by reference: audit the query, not every row.
    record_list(request.user, action=Action.LIST, request=request, detail="statutory request queue")
    return render(request, "statutory/queue.html", {"rows": rows})


def report(request):
    """Counts by body, basis and outcome over a period, and a search of the requests."""
    _deciders_only(request)
    today = timezone.localdate()
    params = request.GET if request.GET else None
    form = ReportForm(params, initial={"date_from": today - dt.timedelta(days=365), "date_to": today})
    results = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        period = {"date_from": data["date_from"], "date_to": data["date_to"]}
        searching = any(data[name] for name in ("q", "body", "basis", "outcome"))
    else:
        period = {"date_from": today - dt.timedelta(days=365), "date_to": today}
        searching = False
    counts = selectors.transparency(request.user, **period)
    if searching:
        results = selectors.search(
            request.user, text=data["q"], body=data["body"], basis=data["basis"], outcome=data["outcome"], **period
        )
        record_list(
            request.user,
            action=Action.SEARCH,
            request=request,
            detail=f"statutory requests q={data['q']!r} body={data['body']} basis={data['basis']} "
            f"outcome={data['outcome']}",
        )
    return render(
        request,
        "statutory/report.html",
        {"form": form, "counts": counts, "results": results, **period},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
