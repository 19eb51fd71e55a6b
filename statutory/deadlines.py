"""Emergency police and statutory requests, on the shared deadline mechanism (deadlines/).

Two clocks, registered from StatutoryConfig.ready:

- `statutory.emergency_request`: an emergency request, logged and still open, needs a
  decision now. Its due time is when it was logged (`logged_at`, UTC); its one threshold,
  "logged", falls due at once, so the client's team managers and the information security
  officer are e-mailed once when it is logged.
- `statutory.emergency_review`: a caseworker's emergency disclosure (the emergency
  exception: life at risk, no manager reachable) must be reviewed by a manager within
  REVIEW_WITHIN (24 hours) of the disclosure. Due time: the disclosure (`decided_at`) plus
  REVIEW_WITHIN. Thresholds: "disclosed", at the disclosure (the same people e-mailed at
  once), and "overdue", when the review is late. The clock stops when the review is recorded.

No client name in any e-mail: the request's reference and a link, which opens only
through the gate.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from deadlines.registry import Clock, Message, Threshold, register

from . import selectors
from .models import EMERGENCY_REQUEST_SCHEDULE, EMERGENCY_REVIEW_SCHEDULE, REVIEW_WITHIN, StatutoryRequest

EMERGENCY_REQUEST = "statutory.emergency_request"
EMERGENCY_REVIEW = "statutory.emergency_review"


def _request_thresholds() -> list[Threshold]:
    return [Threshold("logged", timedelta(0), "Emergency request logged")]


def _review_thresholds() -> list[Threshold]:
    return [
        Threshold("disclosed", REVIEW_WITHIN, "Emergency disclosure made"),
        Threshold("overdue", timedelta(0), "Review overdue"),
    ]


def running_requests(horizon: datetime, ids: list[int] | None) -> list[tuple[int, datetime]]:
    """Open emergency requests logged at or before `horizon` (UTC): (id, logged_at)."""
    queryset = StatutoryRequest.objects.filter(
        status=StatutoryRequest.Status.OPEN, basis=StatutoryRequest.Basis.EMERGENCY, logged_at__lte=horizon
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return list(queryset.values_list("pk", "logged_at"))


def running_reviews(horizon: datetime, ids: list[int] | None) -> list[tuple[int, datetime]]:
    """Emergency disclosures awaiting review whose review is due by `horizon` (UTC): (id, due time)."""
    queryset = StatutoryRequest.objects.filter(
        status=StatutoryRequest.Status.AWAITING_REVIEW,
        decided_at__isnull=False,
        decided_at__lte=horizon - REVIEW_WITHIN,
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return [(pk, decided_at + REVIEW_WITHIN) for pk, decided_at in queryset.values_list("pk", "decided_at")]


def message(alert, covered, now: datetime) -> Message | None:
    """The e-mail for one alert of either clock, rendered when it is sent."""
    statutory_request = (
        StatutoryRequest.objects.select_related("client", "decided_by").filter(pk=alert.object_id).first()
    )
    if statutory_request is None:
        return None
    context = {
        "kind": alert.threshold,
        "statutory_request": statutory_request,
        "review_due_at": statutory_request.review_due_at,
        "url": settings.SITE_URL.rstrip("/")
        + reverse("statutory:request", args=[statutory_request.client_id, statutory_request.pk]),
        "organisation_name": settings.ORGANISATION_NAME,
    }
    return Message(
        subject=render_to_string("statutory/email/deadline_subject.txt", context).strip(),
        body=render_to_string("statutory/email/deadline_body.txt", context),
        recipients=selectors.alert_recipients(statutory_request),
    )


def register_clocks() -> None:
    register(
        Clock(
            name=EMERGENCY_REQUEST,
            running=running_requests,
            thresholds=_request_thresholds,
            message=message,
            model=StatutoryRequest,
            schedule=EMERGENCY_REQUEST_SCHEDULE,
            due_at=lambda logged_at: logged_at,
        )
    )
    register(
        Clock(
            name=EMERGENCY_REVIEW,
            running=running_reviews,
            thresholds=_review_thresholds,
            message=message,
            model=StatutoryRequest,
            schedule=EMERGENCY_REVIEW_SCHEDULE,
            due_at=lambda decided_at: decided_at + REVIEW_WITHIN,
        )
    )
