"""The dashboard and the health check. Each app contributes its own panel."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


def home(request):
    """The landing page after login: what needs this person's attention, by role."""
    return render(request, "home.html", {})


@login_not_required
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
