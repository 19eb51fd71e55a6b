"""The reports page: figures with charts and tables, and each figure as CSV or .xlsx.

Service managers (their teams) and the information security officer (every team and the
whole organisation). Reports hold counts, never names of clients, and reading one is
audited as a list (the query, with its scope and period), not as a view of each client.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from access.gate import Action, AuditUnavailable, audit_unavailable_response, record_list
from access.selectors import review_teams, sees_all_teams
from clients.exports import FORMATS, spreadsheet_response

from . import charts, processing, selectors
from .forms import ReportForm


def _form(request) -> ReportForm:
    if not selectors.may_see_reports(request.user):
        raise PermissionDenied("Reports are for service managers and the information security officer.")
    default = selectors.Period.last_year()
    data = {"start": default.start, "end": default.end, **request.GET.dict()}
    everything = "The whole organisation" if sees_all_teams(request.user) else "All your teams"
    return ReportForm(data, teams=review_teams(request.user).order_by("name"), everything_label=everything)


def _audit(request, *, what: str, scope: selectors.Scope, period: selectors.Period) -> None:
    record_list(
        request.user,
        action=Action.LIST,
        request=request,
        detail=f"reports {what} scope={scope.label!r} from={period.start:%Y-%m-%d} to={period.end:%Y-%m-%d}",
    )


def page(request):
    form = _form(request)
    context = {"form": form, "figures": [], "formats": FORMATS}
    if not form.is_valid():
        return render(request, "reports/page.html", context, status=400)
    scope = selectors.scope_for(request.user, form.cleaned_data["team"])
    period = form.period()
    query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if form.cleaned_data["team"]:
        query["team"] = form.cleaned_data["team"]
    try:
        with transaction.atomic():
            figures = selectors.figures(scope, period)
            _audit(request, what="page", scope=scope, period=period)
    except AuditUnavailable:
        return audit_unavailable_response(request)
    context.update(
        scope=scope,
        period=period,
        query=urlencode(query),
        figures=[(item, charts.svg(charts.bar_chart(item)), charts.table_rows(item)) for item in figures],
    )
    return render(request, "reports/page.html", context)


def download(request, key: str, fmt: str):
    """One figure as CSV or .xlsx (404 for an unknown figure or format, 400 for a bad period)."""
    if fmt not in FORMATS or key not in selectors.FIGURE_KEYS:
        raise Http404("No such report.")
    form = _form(request)
    if not form.is_valid():
        return render(request, "reports/page.html", {"form": form, "figures": [], "formats": FORMATS}, status=400)
    scope = selectors.scope_for(request.user, form.cleaned_data["team"])
    period = form.period()
    try:
        with transaction.atomic():
            item = selectors.figure(scope, period, key)
            _audit(request, what=f"{key}.{fmt}", scope=scope, period=period)
    except AuditUnavailable:
        return audit_unavailable_response(request)
    rows = [item.columns, *item.rows]
    filename = f"{key.replace('_', '-')}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return spreadsheet_response(rows, filename=filename, fmt=fmt, sheet_title=item.title)


def _processing_record(request) -> processing.ProcessingRecord:
    if not processing.may_see_processing(request.user):
        raise PermissionDenied("The records of processing are for the information security officer and admins.")
    return processing.processing_record()


def processing_page(request):
    """The records of processing (UK GDPR Art 30) as a page, with its PDF and CSV downloads."""
    record = _processing_record(request)
    return render(request, "reports/processing.html", {"record": record})


def processing_download(request, fmt: str):
    """The records of processing as a PDF or a CSV (404 for another format)."""
    if fmt not in ("pdf", "csv"):
        raise Http404("No such format.")
    record = _processing_record(request)
    filename = f"records-of-processing-{timezone.localtime(record.generated_at):%Y%m%d-%H%M}"
    if fmt == "csv":
        return spreadsheet_response(record.csv_rows(), filename=filename, fmt="csv")
    response = HttpResponse(processing.processing_pdf(record), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
