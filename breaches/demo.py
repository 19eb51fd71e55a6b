"""Demo breaches: a notebook lost this morning, a misdirected e-mail two days ago, a closed minor one.

Idempotent: a breach is looked up by its reporter and what happened, and only created
(through the services, with its history) when missing. Times are relative to the first run.
Skipped when the accounts demo (its teams and users) is absent.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from clients.models import Client

from . import services
from .models import BreachReport

LOST_NOTEBOOK = (
    "My work notebook was stolen from my bag on the number 42 bus this morning. It had this week's outreach "
    "visit notes: first names, where people were bedded down, and a few notes on health and support needs."
)
MISDIRECTED_EMAIL = (
    "A referral to the mental-health team was e-mailed to a local landlord with a similar address. "
    "The landlord replied to say they had received it and deleted it."
)
ROTA_PRINTOUT = "A key-work rota with residents' first names and room numbers was left on the staff-room printer."


def _caseload(user, count):
    return list(
        Client.objects.filter(assignments__caseworker=user, assignments__ended_on__isnull=True).order_by("pk")[:count]
    )


@transaction.atomic
def seed(stdout):
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["manager", "iso", "caseworker.north", "caseworker.river"])
    }
    teams = {t.name: t for t in Team.objects.filter(name__in=["Outreach North", "Riverside Hostel"])}
    if len(users) < 4 or len(teams) < 2:
        stdout.write("Breaches: skipped (the accounts demo data is missing).")
        return None
    north, river, manager = users["caseworker.north"], users["caseworker.river"], users["manager"]
    now = timezone.now()
    created = 0

    if not BreachReport.objects.filter(reported_by=north, what_happened=LOST_NOTEBOOK).exists():
        services.breach_report(
            actor=north,
            what_happened=LOST_NOTEBOOK,
            occurred_at=now - datetime.timedelta(hours=3),
            occurred_note="On the 42 bus, between 8 and 9 this morning",
            became_aware_at=now - datetime.timedelta(hours=2),
            categories=["identity", "housing_history", "support_needs", "physical_health", "mental_health"],
            clients=_caseload(north, 3),
            team=teams["Outreach North"],
        )
        created += 1

    if not BreachReport.objects.filter(reported_by=river, what_happened=MISDIRECTED_EMAIL).exists():
        aware = now - datetime.timedelta(hours=50)
        breach = services.breach_report(
            actor=river,
            what_happened=MISDIRECTED_EMAIL,
            occurred_at=aware - datetime.timedelta(minutes=40),
            became_aware_at=aware,
            categories=["identity", "contact", "mental_health", "substance_use"],
            clients=_caseload(river, 1),
            team=teams["Riverside Hostel"],
        )
        services.breach_triage(
            actor=manager,
            breach=breach,
            what_happened=MISDIRECTED_EMAIL,
            how_discovered="The landlord replied to the e-mail the same afternoon.",
            became_aware_at=aware,
            occurred_at=aware - datetime.timedelta(minutes=40),
            occurred_note="",
            categories=breach.categories,
            people_affected_approx=1,
            records_affected_approx=1,
            people_categories=["clients", "vulnerable_adults"],
            cyber_incident=False,
            cyber_details="",
            containment="Asked the landlord in writing to confirm deletion; they confirmed by e-mail.",
            client_references=" ".join(c.reference for c in breach.affected_clients.all()),
            team=teams["Riverside Hostel"],
        )
        services.breach_assess(
            actor=manager,
            breach=breach,
            likely_consequences="Distress and loss of trust; the landlord could refuse a future tenancy.",
            likelihood="possible",
            severity="significant",
            risk_reasoning="Mental-health and substance-use detail reached a landlord the client may rent from.",
            staff_involved=[river],
        )
        services.breach_decide(
            actor=manager,
            breach=breach,
            notify_ico="notify",
            decision_reasons="Special category data reached a third party who may make decisions about the client.",
            subjects_informed="will_tell",
            other_organisations_told="The mental-health team (the intended recipient).",
        )
        created += 1

    if not BreachReport.objects.filter(reported_by=north, what_happened=ROTA_PRINTOUT).exists():
        aware = now - datetime.timedelta(days=10)
        breach = services.breach_report(
            actor=north,
            what_happened=ROTA_PRINTOUT,
            became_aware_at=aware,
            categories=["identity"],
            team=teams["Outreach North"],
        )
        services.breach_assess(
            actor=manager,
            breach=breach,
            likely_consequences="None expected: only staff could have seen it.",
            likelihood="remote",
            severity="minimal",
            risk_reasoning="Found within minutes by a colleague in a staff-only room; first names only.",
        )
        services.breach_decide(
            actor=manager,
            breach=breach,
            notify_ico="not_reportable",
            decision_reasons="Unlikely to result in a risk: seen by staff only, first names, recovered at once.",
            subjects_informed="not_told",
            subjects_exception="not_high_risk",
        )
        services.breach_close(
            actor=manager, breach=breach, lessons="Printing of rotas switched to the secure print queue."
        )
        created += 1

    stdout.write(f"Breaches: {created} demo breaches created.")
    return None
