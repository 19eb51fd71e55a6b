"""The reason page (break the glass), the managers' access review and "who accessed this record"."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.redirects import safe_next
from casework import references
from clients.categories import REGISTRY
from clients.exports import FORMATS, spreadsheet_response

from . import selectors, services
from .forms import ReasonForm, ReviewFilterForm, ReviewMarkForm
from .gate import (
    AccessDenied,
    Action,
    AuditUnavailable,
    audit_unavailable_response,
    open_client_log,
    record_list,
    session_reason_store,
)

LOG_PAGE_SIZE = 50


def reason(request, client_id):
    """Ask why a record outside the caseload (or a closed case) is needed.

    Shown for any id, whether or not such a client exists, and names no one: an unknown
    id and a forbidden one look the same. The reason is kept in the session for this
    client and used, and audited, by the gate on the pages that follow.
    """
    default_next = reverse("clients:record", args=[client_id])
    form = ReasonForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        session_reason_store(request, client_id, category=form.cleaned_data["category"], text=form.cleaned_data["text"])
        return redirect(safe_next(form.cleaned_data["next"], default_next))
    return render(request, "access/reason.html", {"form": form, "client_id": client_id})


def client_log(request, client_id):
    """Who accessed this record and when: the client's team managers and the information security officer."""
    try:
        with transaction.atomic():
            try:
                access = open_client_log(request.user, client_id, request=request)
            except AccessDenied:
                access = None  # caught inside the block, so the denied row commits
            if access is not None:
                events = selectors.client_access_log(access.client)
                page = Paginator(events, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
                return render(
                    request,
                    "access/client_log.html",
                    {"access": access, "client": access.client, "tab": "access_log", "page": page},
                )
    except AuditUnavailable:
        return audit_unavailable_response(request)
    raise Http404("No client found.")


LOG_EXPORT_COLUMNS = (
    "When (UTC)",
    "Who",
    "Role",
    "What",
    "Data categories",
    "Outcome",
    "With a reason (break the glass)",
    "Reason",
    "Detail",
    "Purpose",
    "Basis",
    "Record",
)


def _log_rows(events, client):
    """The export's rows; "Record" says whether a row was about `client` or a record merged into it."""
    yield LOG_EXPORT_COLUMNS
    for event in events.iterator(chunk_size=2000):
        actor = event.actor
        yield (
            event.at.strftime("%Y-%m-%d %H:%M:%S"),
            str(actor) if actor else "Unknown",
            actor.get_role_display() if actor else "",
            event.get_action_display(),
            ", ".join(REGISTRY[key].label if key in REGISTRY else key for key in event.categories),
            event.get_outcome_display(),
            "Yes" if event.break_glass else "No",
            event.reason,
            event.detail,
            event.purpose,
            event.basis,
            "This record" if event.client_id == client.pk else f"{event.client.reference} (merged into this one)",
        )


def client_log_export(request, client_id, fmt):
    """The whole of "who accessed this record" as CSV or .xlsx, for a subject access request.

    The same people as the page (the client's team managers and the ISO), audited as
    HISTORY like the page; every cell is text (clients.exports).
    """
    if fmt not in FORMATS:
        raise Http404("No such format.")
    try:
        with transaction.atomic():
            try:
                access = open_client_log(request.user, client_id, request=request)
            except AccessDenied:
                access = None  # caught inside the block, so the denied row commits
            if access is not None:
                client = access.client
                return spreadsheet_response(
                    _log_rows(selectors.client_access_log(client), client),
                    filename=references.download_stem(client.reference, "access-log"),
                    fmt=fmt,
                    sheet_title="Access log",
                )
    except AuditUnavailable:
        return audit_unavailable_response(request)
    raise Http404("No client found.")


def _require_reviewer(request):
    if not selectors.may_review(request.user):
        raise PermissionDenied("The access review is for service managers and the information security officer.")


def review(request):
    _require_reviewer(request)
    teams = selectors.review_teams(request.user).order_by("name")
    form = ReviewFilterForm(request.GET or None, teams=teams)
    start, end = form.period()
    team = form.selected_team()
    try:
        with transaction.atomic():
            result = selectors.access_review(request.user, start=start, end=end, team=team)
            record_list(
                request.user,
                action=Action.LIST,
                request=request,
                detail=f"access review team={team.pk if team else 'all'} from={start} to={end}",
            )
    except AuditUnavailable:
        return audit_unavailable_response(request)
    return render(
        request,
        "access/review.html",
        {
            "form": form,
            "review": result,
            "here": request.get_full_path(),
            "sees_all": selectors.sees_all_teams(request.user),
        },
    )


@require_POST
def review_mark(request):
    _require_reviewer(request)
    form = ReviewMarkForm(request.POST)
    back = safe_next(request.POST.get("next", ""), reverse("access:review"))
    if not form.is_valid():
        messages.error(request, "Write a review note before marking an item reviewed.")
        return redirect(back)
    kind, item = form.cleaned_data["kind"], form.cleaned_data["item"]
    target = {}
    if kind == "event":
        target["event"] = selectors.reviewable_event(request.user, item)
    elif kind == "security":
        target["security_event"] = selectors.reviewable_security_event(request.user, item)
    else:
        target["subject"] = selectors.reviewable_person(request.user, item)
        target["period_start"] = form.cleaned_data["period_start"]
    if next(iter(target.values())) is None:
        raise Http404("No such item to review.")
    try:
        services.access_review_record(actor=request.user, note=form.cleaned_data["note"], request=request, **target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except AuditUnavailable:
        return audit_unavailable_response(request)
    else:
        messages.success(request, "Marked reviewed.")
    return redirect(back)
