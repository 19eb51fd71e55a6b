"""Demo police and statutory requests on the demo clients.

Five requests, made through the same services as the pages: an open emergency from the
police (on the queue, e-mailed), a production order decided in part (legal hold), a
Schedule 2 request from the DWP awaiting a decision, an Immigration Enforcement request
refused, and a caseworker's night-time emergency disclosure awaiting a manager's review.
Idempotent: a request already made for a demo client is not made again.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from weasyprint import HTML

from accounts.models import User
from clients.categories import Selection
from clients.models import Client
from consent.evidence import CheckedUpload, check_upload
from consent.models import Partner

from . import services as services_statutory
from .models import StatutoryRequest as SR


def _statutory_pdf(title: str) -> CheckedUpload:
    pdf = HTML(string=f"<h1>{title}</h1><p>Copy for the file.</p>").write_pdf()
    return check_upload(SimpleUploadedFile("copy.pdf", pdf))


STATUTORY_DEMO = [
    # client reference, logged by, body, body name, basis, hours ago, what they ask
    ("ON-0002", "caseworker.north", "police", "Greater Manchester Police", "emergency", 3, "Where she is staying."),
    ("ON-0004", "caseworker.north", "police", "Greater Manchester Police", "court_order", 50, "Housing and support."),
    ("ON-0006", "caseworker.north", "dwp", "DWP Counter-Fraud Service", "schedule_2", 30, "Address history."),
    ("RH-0003", "caseworker.river", "immigration", "Home Office Immigration Enforcement", "none", 80, "Status."),
    ("RH-0005", "caseworker.river", "police", "Greater Manchester Police", "emergency", 6, "Where he was last seen."),
]


def _statutory_log(client, actor, body, body_name, basis, hours_ago, asked_text):
    if basis == "emergency" and client.reference == "RH-0005":
        details = {
            "emergency_kind": SR.EmergencyKind.PREVENT_SERIOUS_CRIME,
            "emergency_urgency": "Threats to harm a named person tonight; he was seen with a knife.",
            "scope": Selection({"identity": "summary", "contact": "summary"}),
            "asked_selection": Selection({"identity": "summary", "contact": "detail"}),
        }
    elif basis == "emergency":
        details = {
            "emergency_kind": SR.EmergencyKind.LOCATE_VICTIM,
            "emergency_urgency": "Her sister reported threats to kill from a former partner; not seen since yesterday.",
            "scope": Selection({"identity": "summary", "contact": "detail"}),
            "asked_selection": Selection({"identity": "summary", "contact": "detail"}),
        }
    elif basis == "court_order":
        details = {
            "order_kind": SR.OrderKind.PRODUCTION_ORDER,
            "order_reference": "PO-2026-0412",
            "order_court": "Manchester Crown Court",
            "order_date": timezone.localdate() - dt.timedelta(days=4),
            "scope": Selection({"identity": "summary", "housing_history": "detail", "support_needs": "summary"}),
            "asked_selection": Selection({c: "detail" for c in ("identity", "housing_history", "support_needs")}),
            "order_copy": _statutory_pdf("Production order PO-2026-0412"),
        }
    elif basis == "schedule_2":
        details = {
            "authorising_officer_name": "J. Reid",
            "authorising_officer_rank": "Higher Executive Officer",
            "schedule_2_form": _statutory_pdf("DPA 2018 Schedule 2 request"),
            "asked_selection": Selection({"identity": "summary", "housing_history": "summary"}),
            "why_not_otherwise": "The claimant has not replied to letters.",
        }
    else:
        home_office, _ = Partner.objects.get_or_create(
            name=body_name,
            defaults={"kind": Partner.Kind.OTHER, "secure_email": "enforcement.requests@homeoffice.example.org"},
        )
        details = {
            "asked_selection": Selection({"identity": "summary", "immigration_status": "detail"}),
            "partner": home_office,
        }
    return services_statutory.statutory_request_log(
        actor=actor,
        client=client,
        body=body,
        body_name=body_name,
        requester_name="Sam Patel" if body == "police" else "Chris Lomax",
        requester_rank="Detective Constable" if body == "police" else "Investigator",
        requester_number="4471" if body == "police" else "",
        requester_contact="0161 496 0999 (switchboard, ask for CID)" if body == "police" else "0300 123 4567",
        verification=SR.Verification.CALL_BACK if body == "police" else SR.Verification.OFFICIAL_EMAIL,
        received_at=timezone.now() - dt.timedelta(hours=hours_ago),
        channel=SR.Channel.IN_PERSON if body == "police" else SR.Channel.EMAIL,
        asked_text=asked_text,
        basis=basis,
        why_needed="An active investigation." if body != "immigration" else "To locate a person liable to removal.",
        prejudice=SR.Prejudice.YES if body == "police" else SR.Prejudice.NOT_SAID,
        **details,
    )


@transaction.atomic
def seed(stdout) -> None:
    people = {
        u.username: u for u in User.objects.filter(username__in=["caseworker.north", "caseworker.river", "manager"])
    }
    clients = {c.reference: c for c in Client.objects.filter(reference__in=[row[0] for row in STATUTORY_DEMO])}
    manager = people.get("manager")
    if manager is None or len(clients) < len(STATUTORY_DEMO):
        stdout.write("statutory: no demo staff or clients, so no demo police and statutory requests.")
        return
    made = 0
    for reference, username, body, body_name, basis, hours_ago, asked in STATUTORY_DEMO:
        client, actor = clients[reference], people.get(username)
        if actor is None or SR.objects.filter(client=client, body_name=body_name).exists():
            continue
        logged = _statutory_log(client, actor, body, body_name, basis, hours_ago, asked)
        made += 1
        if basis == "court_order":
            services_statutory.statutory_request_decide(
                actor=manager,
                statutory_request=logged,
                outcome=SR.Outcome.DISCLOSED_PART,
                selection=Selection({"identity": "summary", "housing_history": "summary"}),
                decision_reasons="The order names the housing history; the summary answers what the officer needs.",
                client_told=False,
                client_not_told_reason="The officer says telling him now would prejudice the investigation.",
            )
        elif body == "immigration":
            services_statutory.statutory_request_decide(
                actor=manager,
                statutory_request=logged,
                outcome=SR.Outcome.REFUSED,
                decision_reasons="There is no legal obligation to disclose to Immigration Enforcement, "
                "and the client has not consented.",
                client_told=True,
            )
        elif reference == "RH-0005":
            services_statutory.statutory_emergency_disclose(
                actor=actor,
                statutory_request=logged,
                selection=Selection({"identity": "summary"}),
                reasons={},
                life_at_risk="He threatened to stab a named man tonight and left the hostel with a knife.",
                managers_tried="Called the on-call manager and the information security officer at 01:40; no answer.",
            )
    stdout.write(f"statutory: {made} demo police and statutory requests.")
