"""Demo purpose templates, data-sharing agreements, two sent referrals and a meeting.

Idempotent: templates and agreements are found by their natural keys (purpose, reference);
a referral or meeting already made for a demo client is not made again. The referrals go
through the same services as the pages (lock, re-check, disclosure log, audit row), on
the consents the consent demo recorded; if those are missing, the referrals are skipped.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from weasyprint import HTML

from accounts.models import Role, User
from clients.categories import Selection
from clients.models import Client
from consent.evidence import CheckedUpload, check_upload
from consent.models import ConsentRecord, MeetingGroup, Partner, Purpose

from . import selectors, services, services_statutory
from .models import DataSharingAgreement, Disclosure, PurposeTemplate, Referral
from .models_statutory import StatutoryRequest as SR

TEMPLATES = {
    "referral-domestic-abuse": (
        {"identity": "summary", "contact": "summary", "domestic_abuse": "detail", "support_needs": "detail"},
        "A specialist domestic-abuse service needs the account of the abuse to assess risk and plan safety.",
    ),
    "referral-substance-use": (
        {"identity": "summary", "contact": "summary", "substance_use": "detail", "domestic_abuse": "summary"},
        "A substance-use service needs the pattern of use, and to know about safety needs (for example a "
        "single-gender group) — not the account of any abuse.",
    ),
    "referral-housing": (
        {
            "identity": "summary",
            "contact": "summary",
            "housing_history": "detail",
            "finances": "summary",
            "support_needs": "summary",
        },
        "Housing providers need the housing history, income and the main support needs.",
    ),
}

# reference, partner, purposes, selection allowed
AGREEMENTS = [
    (
        "DSA-2026-01",
        "Riverside Housing Association",
        ["referral-housing"],
        {
            "identity": "detail",
            "contact": "detail",
            "housing_history": "detail",
            "support_needs": "summary",
            "finances": "summary",
        },
    ),
    (
        "DSA-2026-02",
        "Northside Drug and Alcohol Service",
        ["referral-substance-use"],
        {"identity": "summary", "contact": "summary", "substance_use": "detail", "domestic_abuse": "summary"},
    ),
    (
        "DSA-2026-03",
        "City Council Housing Options",
        ["referral-housing"],
        {"identity": "detail", "contact": "detail", "housing_history": "detail", "finances": "summary"},
    ),
]

REASONS = {
    "domestic_abuse": "Safe Haven assesses the risk and plans her safety from the account of the abuse.",
    "substance_use": "The service needs the pattern of use to plan treatment.",
}


def _purposes() -> dict[str, Purpose]:
    return {purpose.key: purpose for purpose in Purpose.objects.all()}


def _seed_reference_data(stdout) -> None:
    purposes = _purposes()
    for key, (selection, note) in TEMPLATES.items():
        if key in purposes:
            PurposeTemplate.objects.get_or_create(
                purpose=purposes[key], defaults={"selection": Selection(selection).to_json(), "note": note}
            )
    today = timezone.localdate()
    for reference, partner_name, purpose_keys, selection in AGREEMENTS:
        partner = Partner.objects.filter(name=partner_name).first()
        if partner is None or DataSharingAgreement.objects.filter(reference=reference).exists():
            continue
        agreement = DataSharingAgreement.objects.create(
            partner=partner,
            reference=reference,
            selection=Selection(selection).to_json(),
            starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(month=1, day=1) + dt.timedelta(days=3 * 365),
            notes="Signed by both organisations' data protection leads.",
        )
        agreement.purposes.set([purposes[key] for key in purpose_keys if key in purposes])


def _active_consent(partner_name: str, purpose_key: str) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(
            partners__name=partner_name, purposes__key=purpose_key, withdrawn_at__isnull=True, client__status="open"
        )
        .select_related("client", "recorded_by")
        .order_by("client__reference")
        .first()
    )


def _refer(stdout, consent: ConsentRecord, partner_name: str, purpose_key: str) -> None:
    partner = Partner.objects.get(name=partner_name)
    purpose = Purpose.objects.get(key=purpose_key)
    client, actor = consent.client, consent.recorded_by
    if Referral.objects.filter(client=client, partner=partner, purpose=purpose).exists():
        return
    selection = consent.selection_obj
    reasons = {key: REASONS.get(key, "Needed for this referral.") for key in selection.sensitive_keys()}
    referral = services.referral_start(actor=actor, client=client, partner=partner, purpose=purpose)
    services.referral_update(actor=actor, referral=referral, selection=selection, reasons=reasons)
    if not selectors.agreements_in_force(partner, purpose, on=timezone.localdate()):
        # No agreement with this partner yet: the policy's default asks a team manager to approve.
        manager = (
            User.objects.filter(role=Role.SERVICE_MANAGER, memberships__team_id=client.team_id)
            .exclude(pk=actor.pk)
            .first()
        )
        if manager is not None:
            services.referral_approve_without_agreement(
                actor=manager, referral=referral, reason="Urgent refuge place; the agreement is being signed."
            )
    try:
        services.referral_send(actor=actor, referral=referral)
    except services.ShareRefused as refused:
        stdout.write(f"sharing: the demo referral to {partner_name} was refused: {refused}")


def _meeting(stdout) -> None:
    group = MeetingGroup.objects.filter(name="Rough Sleeper Action Group").first()
    if group is None:
        return
    consent = (
        ConsentRecord.objects.filter(meeting_group=group, withdrawn_at__isnull=True, client__status="open")
        .select_related("client", "recorded_by")
        .order_by("client__reference")
        .first()
    )
    if consent is None or Disclosure.objects.filter(client=consent.client, meeting_group=group).exists():
        return
    try:
        services.meeting_disclosure_record(
            actor=consent.recorded_by,
            client=consent.client,
            group=group,
            meeting_on=timezone.localdate() - dt.timedelta(days=7),
            present=list(group.members.all()),
            purpose=Purpose.objects.get(key="multi-agency-risk-meeting"),
            selection=Selection({"housing_history": "summary", "support_needs": "summary"}),
            reasons={},
        )
    except services.ShareRefused as refused:
        stdout.write(f"sharing: the demo meeting was refused: {refused}")


@transaction.atomic
def seed(stdout):
    _seed_reference_data(stdout)
    housing = _active_consent("Riverside Housing Association", "referral-housing")
    domestic_abuse = _active_consent("Safe Haven Domestic Abuse Service", "referral-domestic-abuse")
    if housing is None or domestic_abuse is None:
        stdout.write("sharing: purpose templates and agreements added; no demo consents, so no demo referrals.")
        seed_statutory(stdout)
        return
    # Within Riverside's agreement; Safe Haven has none, so that one is on the managers' list.
    _refer(stdout, housing, "Riverside Housing Association", "referral-housing")
    _refer(stdout, domestic_abuse, "Safe Haven Domestic Abuse Service", "referral-domestic-abuse")
    _meeting(stdout)
    stdout.write("sharing: purpose templates, agreements, two sent referrals and a meeting in the disclosure log.")
    seed_statutory(stdout)


# --- Police and statutory requests -------------------------------------------------------------
# Five requests on the demo clients, made through the same services as the pages: an open
# emergency from the police (on the queue, e-mailed), a production order decided in part
# (legal hold), a Schedule 2 request from the DWP awaiting a decision, an Immigration
# Enforcement request refused, and a caseworker's night-time emergency disclosure awaiting a
# manager's review. A request already made for a demo client is not made again.


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


def seed_statutory(stdout) -> None:
    people = {
        u.username: u for u in User.objects.filter(username__in=["caseworker.north", "caseworker.river", "manager"])
    }
    clients = {c.reference: c for c in Client.objects.filter(reference__in=[row[0] for row in STATUTORY_DEMO])}
    manager = people.get("manager")
    if manager is None or len(clients) < len(STATUTORY_DEMO):
        stdout.write("sharing: no demo staff or clients, so no demo police and statutory requests.")
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
    stdout.write(f"sharing: {made} demo police and statutory requests.")
