"""The ICO report PDF and the register CSV.

The ICO report follows the sections of the ICO's personal data breach report form so each
answer can be copied across. It carries no personal data of the people affected — no
names, no client references — only categories and approximate numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from clients.categories import REGISTRY

from .models import BreachReport


def ico_report_pdf(breach: BreachReport, *, prepared_by) -> bytes:
    html = render_to_string(
        "breaches/ico_report.html",
        {
            "breach": breach,
            "categories": [REGISTRY[key] for key in breach.categories if key in REGISTRY],
            "notifications": list(breach.notifications.all()),
            "staff": list(breach.staff_involvements.all()),
            "contact": breach.decided_by or prepared_by,
            "prepared_by": prepared_by,
            "prepared_at": timezone.now(),
            "organisation_name": settings.ORGANISATION_NAME,
        },
    )
    # Nothing is fetched while rendering: no files, no network, only inline data.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else ""


REGISTER_COLUMNS = [
    "Reference",
    "Team",
    "Status",
    "Reported at",
    "Reported by",
    "Occurred at (approx.)",
    "Occurred (in words)",
    "Became aware at",
    "ICO deadline",
    "What happened",
    "How discovered",
    "Data categories",
    "Special category or criminal data",
    "People affected (approx.)",
    "Records affected (approx.)",
    "Categories of people",
    "Clients linked",
    "Cyber incident",
    "Containment and recovery",
    "Likely consequences",
    "Likelihood",
    "Severity",
    "Risk",
    "Risk reasoning",
    "ICO decision",
    "Decision reasons",
    "Decided by",
    "Decided at",
    "ICO notified at (initial)",
    "ICO references",
    "Notified late",
    "Reasons for delay",
    "People affected told",
    "Told at",
    "Told how",
    "Exception",
    "Other organisations told",
    "Staff involved: training dates",
    "Lessons and actions",
    "Closed at",
]


def register_rows(breaches: Iterable[BreachReport]) -> Iterator[list[str]]:
    """Header then one row per breach, as text (clients.exports makes each cell safe). No client names or references."""
    yield REGISTER_COLUMNS
    for breach in breaches:
        notifications = list(breach.notifications.all())
        initial = next((n for n in notifications if n.kind == "initial"), None)
        row = [
            breach.reference,
            breach.team.name if breach.team else "",
            breach.get_status_display(),
            _when(breach.reported_at),
            str(breach.reported_by),
            _when(breach.occurred_at),
            breach.occurred_note,
            _when(breach.became_aware_at),
            _when(breach.deadline_at),
            breach.what_happened,
            breach.how_discovered,
            "; ".join(breach.category_labels),
            "; ".join(breach.special_category_labels),
            breach.people_affected_approx,
            breach.records_affected_approx,
            "; ".join(breach.people_category_labels),
            getattr(breach, "clients_linked", ""),
            "yes" if breach.cyber_incident else "no",
            breach.containment,
            breach.likely_consequences,
            breach.get_likelihood_display() if breach.likelihood else "",
            breach.get_severity_display() if breach.severity else "",
            breach.get_risk_display() if breach.risk else "",
            breach.risk_reasoning,
            breach.get_notify_ico_display() if breach.notify_ico else "",
            breach.decision_reasons,
            str(breach.decided_by) if breach.decided_by else "",
            _when(breach.decided_at),
            _when(initial.notified_at) if initial else "",
            "; ".join(n.reference for n in notifications if n.reference),
            ("yes" if initial.notified_at > breach.deadline_at else "no") if initial else "",
            breach.delay_reasons,
            breach.get_subjects_informed_display() if breach.subjects_informed else "",
            _when(breach.subjects_informed_at),
            breach.subjects_informed_how,
            breach.get_subjects_exception_display() if breach.subjects_exception else "",
            breach.other_organisations_told,
            "; ".join(
                s.training_on.isoformat() if s.training_on else "none recorded" for s in breach.staff_involvements.all()
            ),
            breach.lessons,
            _when(breach.closed_at),
        ]
        yield ["" if value is None else str(value) for value in row]
