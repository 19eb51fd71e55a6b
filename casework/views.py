"""The dashboard and the health check. Each app contributes its own panel."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import defaults

from access.gate import Action, clients_visible_to, record_list
from accounts.models import Role
from breaches.selectors import dashboard_panel as breach_dashboard_panel
from consent.selectors import dashboard_panel as consent_dashboard_panel
from deadlines.selectors import outbox_needing_attention
from sharing.deadlines import agreements_ending_soon, can_see_agreements_ending
from sharing.selectors import dashboard_panel as sharing_dashboard_panel
from statutory.selectors import dashboard_panel as statutory_dashboard_panel


def home(request):
    """The landing page after login: what needs this person's attention, by role."""
    context = {
        "caseload_count": clients_visible_to(request.user).count(),
        "consent_panel": consent_dashboard_panel(user=request.user, clients=clients_visible_to(request.user)),
        "sharing_panel": sharing_dashboard_panel(user=request.user),
        "statutory_panel": statutory_dashboard_panel(user=request.user),
        "breach_panel": breach_dashboard_panel(user=request.user),
        # E-mails whose fate is unknown (never re-sent automatically) or refused for good.
        "agreements_ending": (list(agreements_ending_soon()) if can_see_agreements_ending(request.user) else []),
        "outbox_panel": outbox_needing_attention() if request.user.role == Role.INFORMATION_SECURITY_OFFICER else [],
    }
    # The panels name clients (reviews due, tasks): audit the list once, like any list.
    record_list(request.user, action=Action.LIST, request=request, detail="dashboard")
    return render(request, "home.html", context)


@login_not_required
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def server_error(request):
    """The 500 page in the base layout, with the person's navigation when it can be had.

    Rendering with the request runs the context processors (the signed-in user needs the
    database): if that fails too, e.g. the database is down, Django's plain 500 page
    (the same template, without a request) is the answer. Returns an HttpResponse (500).
    """
    try:
        return render(request, "500.html", {"now": timezone.now()}, status=500)
    except Exception:
        logging.getLogger(__name__).exception("The 500 page could not be rendered with the request")
        return defaults.server_error(request)
