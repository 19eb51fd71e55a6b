"""Breach views: report (any member of staff), then the managers' queue and the stages of handling.

Who may see a breach is `selectors.breaches_managed_by`; an unknown id and someone
else's breach both answer 404. Client names reach these pages only for clients the
viewer could open anyway, and showing them is audited through the gate (see
`_affected_clients`); everyone else sees client references only.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access.gate import Action, clients_visible_to, record
from access.models import AccessEvent
from accounts.models import User
from casework import references
from clients.categories import REGISTRY
from clients.exports import FORMATS, spreadsheet_response
from deadlines.selectors import stale_after as deadline_stale_after

from . import documents, forms, selectors, services
from .clock import alert_thresholds, describe_time_left, threshold_label
from .deadlines import threshold_key
from .models import BreachReport
from .risk import Severity, matrix_rows


def managers_only(view):
    """Service managers and information security officers only (403 for everyone else)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.can_manage_breaches(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _managed_breach(request, pk) -> BreachReport:
    breach = selectors.breach_for_manager(request.user, pk)
    if breach is None:
        raise Http404("No breach found.")
    return breach


def _apply_errors(form, error: ValidationError) -> None:
    """Put a service's errors beside the form's fields; anything else goes in the summary."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _report_initial(params, *, visible_client_ids) -> dict:
    """Pre-fill the report form from the query string, e.g. from a disclosure's page.

    ?categories=<key>&categories=<key>&client=<id>&what_happened=<text>. Only known
    categories and clients the reporter may see are used; everything else is ignored.
    The sharing app's disclosure log links here with these parameters and a
    `disclosure` id (see `_linkable_disclosures`).
    """
    initial = {}
    categories = [key for key in params.getlist("categories") if key in REGISTRY]
    if categories:
        initial["categories"] = categories
    client_ids = [value for value in params.getlist("client") if value.isdigit() and int(value) in visible_client_ids]
    if client_ids:
        initial["clients"] = client_ids
    what = params.get("what_happened", "").strip()
    if what:
        initial["what_happened"] = what[: forms.TEXT_LIMIT]
    return initial


def _linkable_disclosures(request, visible):
    """Disclosures the report may be linked to: the ones named (?disclosure=<id> from a
    disclosure's page, then the posted choices), about clients the reporter may see."""
    from sharing.selectors import disclosures_of_clients

    params = request.POST if request.method == "POST" else request.GET
    ids = params.getlist("disclosures" if request.method == "POST" else "disclosure")
    disclosures = disclosures_of_clients(visible, ids) if ids else None
    return disclosures if disclosures is not None and disclosures.exists() else None


@require_http_methods(["GET", "POST"])
def report(request):
    """The short report any member of staff can make, from the header link on every page."""
    user = request.user
    visible = clients_visible_to(user).distinct().order_by("last_name", "first_name", "pk")
    visible_ids = set(visible.values_list("pk", flat=True))
    teams = list(user.teams.filter(is_active=True).order_by("name"))
    disclosures = _linkable_disclosures(request, visible) if visible_ids else None
    initial = None
    if request.method == "GET":
        initial = _report_initial(request.GET, visible_client_ids=visible_ids)
        if disclosures is not None:
            initial["disclosures"] = [d.pk for d in disclosures]
    form = forms.ReportForm(
        request.POST or None,
        clients=visible if visible_ids else None,
        teams=teams,
        disclosures=disclosures,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            breach = services.breach_report(
                actor=user,
                what_happened=data["what_happened"],
                became_aware_at=data["became_aware_at"],
                occurred_at=data["occurred_at"],
                occurred_note=data["occurred_note"],
                categories=data["categories"],
                clients=data.get("clients", ()),
                client_references=data["client_references"],
                team=data.get("team"),
                disclosures=data.get("disclosures", ()),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return redirect("breaches:reported", pk=breach.pk)
    if visible_ids:
        # The list of the reporter's clients is client data: audit the list, not each row.
        record(
            user,
            action=Action.LIST,
            outcome=AccessEvent.Outcome.ALLOWED,
            request=request,
            purpose="breach report: choosing affected clients",
        )
    return render(request, "breaches/report.html", {"form": form})


def reported(request, pk):
    """Confirmation for the reporter: the reference, and what happens next."""
    breach = selectors.breach_for_reporter(request.user, pk)
    if breach is None:
        raise Http404("No breach found.")
    return render(request, "breaches/reported.html", {"breach": breach})


@managers_only
def queue(request):
    """Open breaches of the manager's teams (ISO: all), soonest deadline first."""
    heartbeat = services.heartbeat_check_stale()
    now = timezone.now()
    breaches = list(selectors.breach_queue(request.user))
    alerts = selectors.alerts_of(breaches)
    rows = [
        {
            "breach": breach,
            "time_left": describe_time_left(breach.deadline_at, now) if breach.is_alerting else "",
            "overdue": breach.is_alerting and breach.deadline_at <= now,
            # Only the alerts of the current deadline: never "Overdue" beside "71 h left".
            "alerts": alerts.get(breach.pk, []),
        }
        for breach in breaches
    ]
    return render(
        request,
        "breaches/queue.html",
        {"rows": rows, "heartbeat": heartbeat, "stale_after": deadline_stale_after(), "now": now},
    )


def _affected_clients(request, breach: BreachReport) -> list[dict]:
    """Affected clients as the viewer may see them: names only for clients they could open.

    Those names are client data shown on a page, so the list is audited through the gate
    (one LIST event naming the breach and the references shown by name). Others appear by
    reference only, which the breach record itself holds.
    """
    clients = list(breach.affected_clients.all())
    if not clients:
        return []
    named = set(clients_visible_to(request.user).filter(pk__in=[c.pk for c in clients]).values_list("pk", flat=True))
    if named:
        record(
            request.user,
            action=Action.LIST,
            outcome=AccessEvent.Outcome.ALLOWED,
            request=request,
            obj=breach,
            categories=["identity"],
            purpose="breach register: affected clients",
            detail="Named: " + ", ".join(c.reference for c in clients if c.pk in named),
        )
    return [
        {"reference": c.reference, "name": c.display_name if c.pk in named else ""}
        for c in sorted(clients, key=lambda c: c.reference)
    ]


@managers_only
def detail(request, pk):
    breach = _managed_breach(request, pk)
    now = timezone.now()
    alerts = selectors.alerts_of([breach]).get(breach.pk, [])
    by_key = {alert.threshold: alert for alert in alerts}
    by_pk = {alert.pk: alert for alert in alerts}
    labels = {threshold_key(hours): threshold_label(hours) for hours in alert_thresholds()}
    for alert in alerts:
        labels.setdefault(alert.threshold, alert.label)
    order = sorted(labels, key=lambda key: by_key[key].fire_at if key in by_key else breach.deadline_at)
    thresholds = [
        {"label": labels[key], "alert": by_key.get(key), "email": _alert_email_text(by_key.get(key), by_pk)}
        for key in order
    ]
    return render(
        request,
        "breaches/detail.html",
        {
            "breach": breach,
            "now": now,
            "time_left": describe_time_left(breach.deadline_at, now),
            "overdue": breach.deadline_at <= now,
            "thresholds": thresholds,
            "clients": _affected_clients(request, breach),
            "disclosures": list(breach.disclosures.all()),
            "notifications": list(breach.notifications.all()),
            "staff": list(breach.staff_involvements.all()),
            "late": any(n.was_late for n in breach.notifications.all() if n.kind == "initial"),
        },
    )


def _alert_email_text(alert, by_pk) -> str:
    """How the people alerted were told of this threshold, in words for the detail page."""
    if alert is None:
        return "–"
    if alert.delivery == alert.Delivery.COVERED:
        cover = by_pk.get(alert.covered_by_id)
        return f"In the “{cover.label}” e-mail" if cover else "In a later e-mail"
    if alert.delivery == alert.Delivery.CARRIED:
        return "Already told before the deadline was corrected"
    email = getattr(alert, "email", None)
    if email is None or email.status in ("pending", "sending"):
        return "Not yet"
    if email.status == "sent":
        return timezone.localtime(email.sent_at).strftime("%-d %b %Y, %H:%M")
    return email.get_status_display()


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _stage(request, pk, *, form_class, initial, save, title, intro="", form_kwargs=None, extra=None):
    """Shared shape of the stage pages: a form, a service call, errors beside the fields."""
    breach = _managed_breach(request, pk)
    if breach.is_closed:
        messages.error(request, "This breach is closed: its record can no longer be changed.")
        return redirect("breaches:detail", pk=breach.pk)
    form_kwargs = form_kwargs(breach) if form_kwargs else {}
    form = form_class(request.POST or None, initial=initial(breach), **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            save(breach, form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{title}: saved.")
            return redirect("breaches:detail", pk=breach.pk)
    context = {"breach": breach, "form": form, "title": title, "intro": intro}
    context.update(extra(breach) if extra else {})
    return render(request, "breaches/stage.html", context)


@managers_only
@require_http_methods(["GET", "POST"])
def triage(request, pk):
    def initial(breach):
        refs = [c.reference for c in breach.affected_clients.all()] + breach.unresolved_client_references.split()
        return {
            "what_happened": breach.what_happened,
            "how_discovered": breach.how_discovered,
            "occurred_at": _local(breach.occurred_at),
            "occurred_note": breach.occurred_note,
            "became_aware_at": _local(breach.became_aware_at),
            "categories": breach.categories,
            "people_affected_approx": breach.people_affected_approx,
            "records_affected_approx": breach.records_affected_approx,
            "people_categories": breach.people_categories,
            "client_references": ", ".join(sorted(refs)),
            "cyber_incident": breach.cyber_incident,
            "cyber_details": breach.cyber_details,
            "containment": breach.containment,
            "team": breach.team_id,
        }

    def save(breach, data):
        services.breach_triage(actor=request.user, breach=breach, **data)

    return _stage(
        request,
        pk,
        form_class=forms.TriageForm,
        initial=initial,
        save=save,
        title="Triage",
        intro="Establish the facts: what happened, to which information, and how it has been contained.",
    )


@managers_only
@require_http_methods(["GET", "POST"])
def assess(request, pk):
    def initial(breach):
        return {
            "likely_consequences": breach.likely_consequences,
            "likelihood": breach.likelihood,
            "severity": breach.severity,
            "risk_reasoning": breach.risk_reasoning,
            "staff_involved": [s.user_id for s in breach.staff_involvements.all()],
        }

    def staff(breach):
        people = User.objects.filter(is_active=True)
        if breach.team_id:
            involved = [s.user_id for s in breach.staff_involvements.all()]
            people = people.filter(memberships__team_id=breach.team_id) | User.objects.filter(
                pk__in=[*involved, breach.reported_by_id]
            )
        return {"staff": people.distinct().order_by("first_name", "last_name", "username")}

    def save(breach, data):
        services.breach_assess(actor=request.user, breach=breach, **data)

    return _stage(
        request,
        pk,
        form_class=forms.AssessForm,
        initial=initial,
        save=save,
        title="Risk assessment",
        intro="The risk level follows from the likelihood and the severity of harm, by the matrix below.",
        form_kwargs=staff,
        extra=lambda breach: {"matrix": matrix_rows(), "severities": [s.label.split(" – ")[0] for s in Severity]},
    )


@managers_only
@require_http_methods(["GET", "POST"])
def decide(request, pk):
    def initial(breach):
        return {
            "notify_ico": breach.notify_ico,
            "decision_reasons": breach.decision_reasons,
            "subjects_informed": breach.subjects_informed,
            "subjects_informed_at": _local(breach.subjects_informed_at),
            "subjects_informed_how": breach.subjects_informed_how,
            "subjects_exception": breach.subjects_exception,
            "other_organisations_told": breach.other_organisations_told,
        }

    def save(breach, data):
        services.breach_decide(actor=request.user, breach=breach, **data)

    return _stage(
        request,
        pk,
        form_class=forms.DecisionForm,
        initial=initial,
        save=save,
        title="Decision",
        intro=(
            "A breach likely to result in a risk to people must be reported to the ICO within 72 hours; "
            "a high risk must also be told to the people affected."
        ),
    )


@managers_only
@require_http_methods(["GET", "POST"])
def notify(request, pk):
    def initial(breach):
        has_initial = any(n.kind == "initial" for n in breach.notifications.all())
        return {"kind": "follow_up" if has_initial else "initial", "delay_reasons": breach.delay_reasons}

    def save(breach, data):
        services.breach_record_notification(actor=request.user, breach=breach, **data)

    return _stage(
        request,
        pk,
        form_class=forms.NotificationForm,
        initial=initial,
        save=save,
        title="ICO notification",
        intro="Record each report made to the ICO. Reporting in phases is allowed: an initial report, then follow-ups.",
    )


@managers_only
@require_http_methods(["GET", "POST"])
def close(request, pk):
    def save(breach, data):
        services.breach_close(actor=request.user, breach=breach, **data)

    return _stage(
        request,
        pk,
        form_class=forms.CloseForm,
        initial=lambda breach: {"lessons": breach.lessons},
        save=save,
        title="Close the breach",
        intro="A breach can be closed once the decision on notifying the ICO is recorded with its reasons.",
    )


@managers_only
def history(request, pk):
    breach = _managed_breach(request, pk)
    records = list(breach.history.select_related("history_user").order_by("history_date", "history_id"))
    changes = []
    for previous, current in zip([None, *records], records, strict=False):
        if previous is None:
            fields = []
        else:
            delta = current.diff_against(previous, excluded_fields=["affected_clients", "updated_at"])
            fields = [BreachReport._meta.get_field(change.field).verbose_name for change in delta.changes]
        changes.append({"record": current, "fields": fields})
    return render(request, "breaches/history.html", {"breach": breach, "changes": reversed(changes)})


@managers_only
def ico_report(request, pk):
    """The ICO report as a PDF: categories and numbers only, no one affected is named."""
    breach = _managed_breach(request, pk)
    pdf = documents.ico_report_pdf(breach, prepared_by=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = references.attachment_header(
        references.download_name(breach.reference, "ico-report", "pdf")
    )
    return response


@managers_only
def export(request):
    """The register as CSV (or .xlsx with `?format=xlsx`) for auditors, safe to open in a spreadsheet."""
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404("No such format.")
    rows = documents.register_rows(selectors.breach_register(request.user))
    return spreadsheet_response(rows, filename="breach-register", fmt=fmt, sheet_title="Breach register")
