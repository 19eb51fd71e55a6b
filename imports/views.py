"""Importing clients: upload and dry run, the report, confirmation, progress; the list of imports.

Service managers import for their teams and admins for any team; the information
security officer sees every import (read-only). An import nobody may see is a 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role

from . import parsing, services
from .forms import ImportForm
from .models import ClientImport

REPORT_LIMIT = 1000


def _may_list(user) -> bool:
    return user.role in {Role.SERVICE_MANAGER, Role.ADMIN, Role.INFORMATION_SECURITY_OFFICER}


def _visible(user):
    imports = ClientImport.objects.select_related("team", "uploaded_by", "confirmed_by")
    if user.role in {Role.ADMIN, Role.INFORMATION_SECURITY_OFFICER}:
        return imports
    return imports.filter(team__memberships__user=user)


def _import_for(request, import_id) -> ClientImport:
    client_import = _visible(request.user).filter(pk=import_id).first() if _may_list(request.user) else None
    if client_import is None:
        raise Http404("No such import.")
    return client_import


def index(request):
    if not _may_list(request.user):
        raise PermissionDenied("Imports are for service managers, admins and the information security officer.")
    may_upload = request.user.role in {Role.SERVICE_MANAGER, Role.ADMIN}
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user) if may_upload else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only service managers and admins import clients.")
        status = 400
        if form.is_valid():
            try:
                client_import = services.import_check(
                    actor=request.user,
                    team=form.cleaned_data["team"],
                    upload=form.cleaned_data["file"],
                    request=request,
                )
            except parsing.FileRefused as exc:
                form.add_error("file", str(exc))
            except PermissionError as exc:
                form.add_error("team", str(exc))
            else:
                return redirect("imports:detail", import_id=client_import.pk)
    imports = list(_visible(request.user)[:100])
    return render(request, "imports/index.html", {"form": form, "imports": imports}, status=status)


def detail(request, import_id):
    client_import = _import_for(request, import_id)
    report = client_import.report
    problems = [item for item in report if item["outcome"] != services.CREATE]
    to_create = [item for item in report if item["outcome"] == services.CREATE]
    return render(
        request,
        "imports/detail.html",
        {
            "client_import": client_import,
            "problems": problems[:REPORT_LIMIT],
            "to_create": to_create[:REPORT_LIMIT],
            "more_problems": max(0, len(problems) - REPORT_LIMIT),
            "more_to_create": max(0, len(to_create) - REPORT_LIMIT),
            "may_confirm": client_import.status == ClientImport.Status.CHECKED
            and services.may_import(request.user, client_import.team),
        },
    )


def progress(request, import_id):
    """The import's progress as JSON, for the page to poll."""
    client_import = _import_for(request, import_id)
    return JsonResponse(
        {
            "status": client_import.status,
            "status_label": client_import.get_status_display(),
            "rows_imported": client_import.rows_imported,
            "rows_to_import": client_import.rows_to_import,
            "percent": client_import.percent,
            "finished": client_import.finished,
            "error": client_import.error,
        }
    )


def _decide(request, import_id, service):
    client_import = _import_for(request, import_id)
    if not services.may_import(request.user, client_import.team):
        raise Http404("No such import.")
    try:
        service(actor=request.user, client_import=client_import)
    except ValidationError as exc:
        from django.contrib import messages

        messages.error(request, " ".join(exc.messages))
    return redirect("imports:detail", import_id=client_import.pk)


@require_POST
def confirm(request, import_id):
    return _decide(request, import_id, lambda **kw: services.import_confirm(request=request, **kw))


@require_POST
def cancel(request, import_id):
    return _decide(request, import_id, services.import_cancel)
