"""Caseworker pages. Every page about one client goes through the gate (`client_view`);
lists go through `clients_visible_to` and are audited once per query.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from access.gate import (
    AccessDenied,
    Action,
    AuditUnavailable,
    Outcome,
    audit_unavailable_response,
    clients_visible_to,
    gate_client,
    record_list,
)
from access.gate import client_view as gated
from access.gate import record as audit
from access.selectors import idle_assignments as idle_assignments_of
from accounts.models import Role
from accounts.selectors import managed_teams, staff_changes_for

from . import duplicates, merge, selectors, services
from .categories import CATEGORIES
from .forms import (
    AlertEndForm,
    AlertForm,
    AssignmentStartForm,
    CaseloadFilterForm,
    ClientCreateForm,
    ClientDetailsForm,
    ClientMoveForm,
    CloseCaseForm,
    DifferentPersonForm,
    EntryForm,
    MergeForm,
    NoteForm,
    SearchForm,
    TimelineFilterForm,
)
from .models import Alert, Assignment, CaseNote, InformationEntry

PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20
ALL_CATEGORIES = [category.key for category in CATEGORIES]
IDENTITY_AND_CONTACT = ["identity", "contact"]
CASEWORK_ROLES = {Role.CASEWORKER, Role.SERVICE_MANAGER}
SORT_COLUMNS = [("name", "Name"), ("reference", "Reference"), ("opened", "Opened")]


def _form_error(form, error: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names, or at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _client_context(access, tab: str, **extra) -> dict:
    return {"access": access, "client": access.client, "tab": tab, **extra}


# --- Lists ---------------------------------------------------------------------------------


def caseload(request):
    """My caseload: the clients the gate opens for me without a reason."""
    form = CaseloadFilterForm(request.GET or None)
    query, sort = form.cleaned_or_defaults()
    page = selectors.caseload_page(
        clients_visible_to(request.user),
        query=query,
        sort=sort,
        page=request.GET.get("page"),
        per_page=PAGE_SIZE,
        # clients_visible_to's statement depends on the person alone: compiled once per process.
        statement_key=("caseload", request.user.pk),
    )
    try:
        # Written (committed) before anything is shown; a failure shows nothing.
        record_list(
            request.user,
            action=Action.LIST,
            request=request,
            detail=f"caseload sort={sort} page={page.number} q={query!r}",
        )
    except AuditUnavailable:
        return audit_unavailable_response(request)
    return render(
        request,
        "clients/caseload.html",
        {"form": form, "page": page, "query": query, "sort": sort, "sort_columns": SORT_COLUMNS},
    )


def search(request):
    """ "Is this person already known?": name, year of birth, team and key worker only."""
    form = SearchForm(request.GET or None)
    results = None
    if request.GET and form.is_valid():
        query, year = form.cleaned_data["q"], form.cleaned_data["year_of_birth"]
        try:
            with transaction.atomic():
                results = selectors.search_known(query=query, year_of_birth=year)
                selectors.attach_visible_alerts(results[: selectors.SEARCH_LIMIT], clients_visible_to(request.user))
                record_list(
                    request.user,
                    action=Action.SEARCH,
                    request=request,
                    detail=f"search q={query!r}" + (f" born={year}" if year else ""),
                )
        except AuditUnavailable:
            return audit_unavailable_response(request)
    too_many = results is not None and len(results) > selectors.SEARCH_LIMIT
    rows = [
        {
            "client": client,
            "name": client.display_name,
            "year_of_birth": client.date_of_birth.year if client.date_of_birth else None,
            "key_worker": selectors.key_worker(client),
        }
        for client in (results or [])[: selectors.SEARCH_LIMIT]
    ]
    return render(
        request,
        "clients/search.html",
        {"form": form, "rows": rows, "searched": results is not None, "too_many": too_many},
    )


def _duplicate_check(request, details: dict) -> list[duplicates.PossibleMatch]:
    """Run the duplicate check for "Add a client" and audit it once, like a search."""
    matches = duplicates.possible_duplicates(
        first_name=details["first_name"],
        last_name=details["last_name"],
        date_of_birth=details.get("date_of_birth"),
        nhs_number=details.get("nhs_number", ""),
        national_insurance_number=details.get("national_insurance_number", ""),
    )
    shown = ", ".join(match.client.reference for match in matches)
    record_list(
        request.user,
        action=Action.SEARCH,
        request=request,
        detail=f"duplicate check before adding a client: {len(matches)} possible match(es)"
        + (f" shown ({shown})" if shown else ""),
    )
    return matches


def client_create(request):
    """Add a client, after checking across the organisation that they are not already known.

    Possible matches (clients.duplicates) are shown with no more than "Find a client"
    shows; the person opens one (through the gate) or says, with a reason, that this is a
    different person. That reason is audited on the new record.
    """
    if request.user.role not in CASEWORK_ROLES:
        raise PermissionDenied("Only caseworkers and service managers open cases.")
    form = ClientCreateForm(request.POST or None, user=request.user)
    confirming = request.method == "POST" and "confirm_different" in request.POST
    different = DifferentPersonForm(request.POST if confirming else None, prefix="different")
    matches: list[duplicates.PossibleMatch] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        team = data.pop("team")
        try:
            with transaction.atomic():
                matches = _duplicate_check(request, data)
                if matches and not (confirming and different.is_valid()):
                    return render(
                        request,
                        "clients/client_form.html",
                        {"form": form, "matches": matches, "different": different},
                    )
                client = services.client_create(actor=request.user, team=team, **data)
                # Creating is the first edit of the record, audited like any other.
                gate_client(request, client.pk, action=Action.EDIT, categories=IDENTITY_AND_CONTACT, purpose="created")
                if matches:
                    audit(
                        request.user,
                        action=Action.EDIT,
                        outcome=Outcome.ALLOWED,
                        client=client,
                        request=request,
                        purpose="added as a different person",
                        reason=different.cleaned_data["reason"],
                        detail="not the same person as " + ", ".join(match.client.reference for match in matches),
                    )
        except ValidationError as error:
            _form_error(form, error)
        except AuditUnavailable:
            return audit_unavailable_response(request)
        else:
            messages.success(request, f"{client.display_name} was added with reference {client.reference}.")
            return redirect("clients:record", client_id=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "matches": matches, "different": different})


# --- Managers: clients without a key worker, idle assignments -------------------------------

STAFF_CHANGES_SHOWN = 20


def _managed_team_ids(request) -> list[int]:
    if request.user.role != Role.SERVICE_MANAGER:
        raise PermissionDenied("For service managers.")
    return list(managed_teams(request.user).values_list("pk", flat=True))


def needs_key_worker(request):
    """A manager's teams' open clients with no key worker, and why (who left, when), with
    the staff changes in those teams that ended caseloads."""
    team_ids = _managed_team_ids(request)
    try:
        with transaction.atomic():
            clients = selectors.needing_key_worker(clients_visible_to(request.user), team_ids=team_ids)
            page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
            staff_changes = list(staff_changes_for(request.user, team_ids=team_ids)[:STAFF_CHANGES_SHOWN])
            moved_out = list(selectors.moves_out_of(team_ids)[:STAFF_CHANGES_SHOWN])
            record_list(
                request.user, action=Action.LIST, request=request, detail=f"needs key worker page={page.number}"
            )
            return render(
                request,
                "clients/needs_key_worker.html",
                {"page": page, "staff_changes": staff_changes, "moved_out": moved_out},
            )
    except AuditUnavailable:
        return audit_unavailable_response(request)


def idle_assignments(request):
    """Open assignments in a manager's teams that their caseworker has not used for ASSIGNMENT_IDLE_DAYS."""
    team_ids = _managed_team_ids(request)
    idle_days = settings.ASSIGNMENT_IDLE_DAYS
    idle_since = timezone.now() - datetime.timedelta(days=idle_days)
    try:
        with transaction.atomic():
            visible = clients_visible_to(request.user).filter(team_id__in=team_ids)
            assignments = idle_assignments_of(
                Assignment.objects.filter(client__in=visible), idle_since=idle_since
            ).select_related("client__team", "caseworker")
            page = Paginator(
                assignments.order_by(F("last_used").asc(nulls_first=True), "started_on", "pk"), PAGE_SIZE
            ).get_page(request.GET.get("page"))
            record_list(
                request.user, action=Action.LIST, request=request, detail=f"idle assignments page={page.number}"
            )
            return render(request, "clients/idle_assignments.html", {"page": page, "idle_days": idle_days})
    except AuditUnavailable:
        return audit_unavailable_response(request)


# --- One client ----------------------------------------------------------------------------


def _age(born) -> int | None:
    if born is None:
        return None
    today = timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def record_page(request, access):
    """Who the person is, the warnings (in the header) and what happened last: the timeline.

    The record view without its gate, for `record` below and the bench's ungated baseline.
    """
    client = access.client
    form = TimelineFilterForm(request.GET or None)
    filters = form.filters()
    page = selectors.timeline_page(client, **filters, page=request.GET.get("page"), per_page=TIMELINE_PAGE_SIZE)
    # Counts, key worker and the warnings banner's alerts in one query.
    overview = selectors.record_overview(client)
    counts = overview.counts
    return render(
        request,
        "clients/record.html",
        _client_context(
            access,
            "record",
            filters=filters,
            category_choices=form.fields["category"].choices,
            kind_choices=form.fields["kind"].choices,
            page=page,
            filter_query=urlencode({name: value for name, value in filters.items() if value}),
            filtered=any(filters.values()),
            held=[(category, counts[category.key]) for category in CATEGORIES if category.key in counts],
            key_worker=overview.key_worker,
            age=_age(client.date_of_birth),
            record_url=reverse("clients:record", args=[client.pk]),
        ),
    )


# The record only reads: after the gate's one statement it needs no transaction (BENCHMARKS.md).
record = gated(Action.VIEW, categories=ALL_CATEGORIES, reads_only=True)(record_page)


@gated(Action.VIEW, categories=ALL_CATEGORIES)
def information(request, access):
    """The client's information by data category; categories with nothing recorded are listed once."""
    client = access.client
    sections = selectors.record_sections(client)
    fixed = {"identity", "contact"}
    return render(
        request,
        "clients/information.html",
        _client_context(
            access,
            "information",
            sections=[section for section in sections if section.count or section.category.key in fixed],
            empty=[section.category for section in sections if not section.count and section.category.key not in fixed],
            record_url=reverse("clients:record", args=[client.pk]),
        ),
    )


@gated(Action.VIEW, categories=IDENTITY_AND_CONTACT)
def details_edit(request, access):
    client = access.client
    form = ClientDetailsForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            with transaction.atomic():
                services.client_update(actor=request.user, client=client, **changes)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, "Details saved.")
            return redirect("clients:record", client_id=client.pk)
    return render(request, "clients/details_form.html", _client_context(access, "record", form=form))


@gated(Action.VIEW)
def entry_add(request, access):
    client = access.client
    form = EntryForm(request.POST or None, initial={"category": request.GET.get("category", "")})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                entry = services.entry_create(
                    actor=request.user,
                    client=client,
                    category=form.cleaned_data["category"],
                    summary=form.cleaned_data["summary"],
                    detail=form.cleaned_data["detail"],
                )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"{entry.category_label} information added.")
            return redirect(reverse("clients:information", args=[client.pk]) + f"#{entry.category}")
    return render(request, "clients/entry_form.html", _client_context(access, "record", form=form, entry=None))


def _load_entry(client_id, entry_id, **kwargs):
    return InformationEntry.objects.filter(pk=entry_id, client_id=client_id).first()


@gated(Action.VIEW, load=_load_entry, categories=lambda entry: [entry.category])
def entry_edit(request, access, entry_id):
    entry = access.obj
    form = EntryForm(request.POST or None, instance=entry, fixed_category=True)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.entry_update(
                    actor=request.user,
                    entry=entry,
                    summary=form.cleaned_data["summary"],
                    detail=form.cleaned_data["detail"],
                )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"{entry.category_label} information saved.")
            return redirect(reverse("clients:information", args=[access.client.pk]) + f"#{entry.category}")
    return render(request, "clients/entry_form.html", _client_context(access, "record", form=form, entry=entry))


@gated(Action.VIEW)
def note_add(request, access):
    client = access.client
    form = NoteForm(request.POST or None, initial={"category": request.GET.get("category", "")})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.note_create(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, "Note added.")
            return redirect("clients:record", client_id=client.pk)
    return render(request, "clients/note_form.html", _client_context(access, "record", form=form, note=None))


def _load_note(client_id, note_id, **kwargs):
    return CaseNote.objects.filter(pk=note_id, client_id=client_id).first()


@gated(Action.VIEW, load=_load_note, categories=lambda note: [note.category])
def note_edit(request, access, note_id):
    note = access.obj
    form = NoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.note_update(actor=request.user, note=note, **form.cleaned_data)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, "Note saved.")
            return redirect("clients:record", client_id=access.client.pk)
    return render(request, "clients/note_form.html", _client_context(access, "record", form=form, note=note))


@gated(Action.VIEW, categories=ALL_CATEGORIES)
def changes(request, access):
    return render(
        request,
        "clients/changes.html",
        _client_context(access, "changes", changes=selectors.change_history(access.client)),
    )


# --- Alerts --------------------------------------------------------------------------------


@gated(Action.VIEW, categories=["risk_to_staff"])
def alert_add(request, access):
    client = access.client
    form = AlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                alert = services.alert_raise(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"The “{alert.get_kind_display()}” alert is on the record.")
            return redirect("clients:record", client_id=client.pk)
    return render(request, "clients/alert_form.html", _client_context(access, "record", form=form))


def _load_active_alert(client_id, alert_id, **kwargs):
    return Alert.objects.filter(pk=alert_id, client_id=client_id, ended_at__isnull=True).first()


@gated(Action.VIEW, load=_load_active_alert, categories=["risk_to_staff"])
def alert_end(request, access, alert_id):
    alert = access.obj
    form = AlertEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.alert_end(actor=request.user, alert=alert, reason=form.cleaned_data["end_reason"])
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"The “{alert.get_kind_display()}” alert has ended.")
            return redirect("clients:record", client_id=access.client.pk)
    return render(request, "clients/alert_end.html", _client_context(access, "record", form=form, alert=alert))


# --- Managers: caseload assignments and case status -----------------------------------------


@gated(Action.VIEW, team_manager_only=True, categories=["identity"])
def assignments(request, access):
    client = access.client
    form = AssignmentStartForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                assignment = services.assignment_start(
                    actor=request.user,
                    client=client,
                    caseworker=form.cleaned_data["caseworker"],
                    is_key_worker=form.cleaned_data["is_key_worker"],
                )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"{client.display_name} is now on {assignment.caseworker}'s caseload.")
            return redirect("clients:assignments", client_id=client.pk)
    return render(
        request,
        "clients/assignments.html",
        _client_context(access, "assignments", form=form, assignments=selectors.assignments_of(client)),
    )


def _load_open_assignment(client_id, assignment_id, **kwargs):
    return (
        Assignment.objects.filter(pk=assignment_id, client_id=client_id, ended_on__isnull=True)
        .select_related("caseworker")
        .first()
    )


@require_POST
@gated(Action.EDIT, team_manager_only=True, load=_load_open_assignment, categories=["identity"])
def assignment_end(request, access, assignment_id):
    from_idle_list = request.POST.get("return_to") == "idle"
    reason = f"Not used for {settings.ASSIGNMENT_IDLE_DAYS} days" if from_idle_list else ""
    assignment = services.assignment_end(actor=request.user, assignment=access.obj, reason=reason)
    messages.success(request, f"{access.client.display_name} is no longer on {assignment.caseworker}'s caseload.")
    if from_idle_list:
        return redirect("clients:idle_assignments")
    return redirect("clients:assignments", client_id=access.client.pk)


@gated(Action.VIEW, team_manager_only=True, categories=["identity"], purpose="move to another team")
def client_move(request, access):
    """Move the client to another team: the client's own team managers only, with a reason."""
    client = access.client
    form = ClientMoveForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                move = services.client_move(
                    actor=request.user,
                    client=client,
                    team=form.cleaned_data["team"],
                    reason=form.cleaned_data["reason"],
                    keep_assignments=form.cleaned_data["assignments"] == "keep",
                )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                f"{client.display_name} moved to {move.to_team}: {move.assignments_ended} assignment(s) ended, "
                f"{move.assignments_kept} kept. The new team's managers see it on their list.",
            )
            return redirect("clients:needs_key_worker")
    return render(
        request,
        "clients/move_form.html",
        _client_context(access, "assignments", form=form, current=selectors.open_assignments_of(client)),
    )


@gated(Action.VIEW, team_manager_only=True, categories=["identity"])
def case_close(request, access):
    client = access.client
    if client.is_closed:
        messages.info(request, "This case is already closed.")
        return redirect("clients:record", client_id=client.pk)
    form = CloseCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.client_close(
                    actor=request.user,
                    client=client,
                    reason=form.cleaned_data["closure_reason"],
                    closed_on=form.cleaned_data["closed_on"],
                )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"The case of {client.display_name} is closed.")
            return redirect("clients:caseload")
    return render(request, "clients/close_form.html", _client_context(access, "record", form=form))


@gated(Action.VIEW, team_manager_only=True, categories=["identity"])
def case_reopen(request, access):
    client = access.client
    if not client.is_closed:
        messages.info(request, "This case is open.")
        return redirect("clients:record", client_id=client.pk)
    if request.method == "POST":
        services.client_reopen(actor=request.user, client=client)
        messages.success(request, f"The case of {client.display_name} is open again.")
        return redirect("clients:record", client_id=client.pk)
    return render(request, "clients/reopen_form.html", _client_context(access, "record"))


@gated(Action.VIEW, team_manager_only=True, categories=IDENTITY_AND_CONTACT)
def client_merge(request, access):
    """Merge another record of the same person into this one: a manager of both teams.

    First the other record is found by reference and shown beside this one (opened through
    the gate, as its team's manager); confirming merges (clients.merge.client_merge).
    """
    survivor = access.client
    form = MergeForm(request.POST or None)
    other = None
    confirmed = request.method == "POST" and request.POST.get("confirm") == "merge"
    if request.method == "POST" and form.is_valid():
        other_id = selectors.client_id_by_reference(form.cleaned_data["reference"])
        try:
            other = gate_client(
                request,
                other_id if other_id != survivor.pk else None,
                action=Action.EDIT if confirmed else Action.VIEW,
                categories=IDENTITY_AND_CONTACT,
                purpose=f"merge into {survivor.reference}",
                team_manager_only=True,
            ).client
        except AccessDenied:
            form.add_error("reference", "There is no other record with this reference in a team you manage.")
        if other is not None and confirmed:
            try:
                with transaction.atomic():
                    merge.client_merge(
                        actor=request.user, survivor=survivor, duplicate=other, reason=form.cleaned_data["reason"]
                    )
            except ValidationError as error:
                _form_error(form, error)
                other = None
            else:
                messages.success(
                    request,
                    f"{other.reference} was merged into this record. Links to it now lead here.",
                )
                return redirect("clients:record", client_id=survivor.pk)
    return render(request, "clients/merge_form.html", _client_context(access, "assignments", form=form, other=other))
