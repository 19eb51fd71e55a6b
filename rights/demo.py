"""Demo subject access requests (one from a client due soon, one from a solicitor, extended),
and a retention schedule with periods common in the sector.

Made through the same services as the pages; idempotent (a demo client with a request
already logged gets no second one).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from clients import services as client_services
from clients.models import Client

from . import services
from .models import RetentionRule
from .models import SubjectAccessRequest as SAR

# Sector practice, not law (Art 5(1)(e) sets no number): each organisation writes down its own.
DEMO_RETENTION = [
    (
        RetentionRule.Kind.CLOSED_CASES,
        72,
        RetentionRule.StartsFrom.CASE_CLOSED,
        "Six years after closure: the limitation period for most claims (Limitation Act 1980), and common "
        "practice among housing and support providers; the NHS Records Management Code of Practice keeps "
        "adult social care records 8 years.",
    ),
    (
        RetentionRule.Kind.SUBJECT_ACCESS,
        24,
        RetentionRule.StartsFrom.REQUEST_ANSWERED,
        "Two years after answering: long enough for a complaint to the ICO about how it was handled.",
    ),
    (
        RetentionRule.Kind.BREACH_REPORTS,
        72,
        RetentionRule.StartsFrom.BREACH_DECIDED,
        "Six years after the ICO decision: the breach register is evidence of accountability (Art 33(5)).",
    ),
    (
        RetentionRule.Kind.STATUTORY_REQUESTS,
        72,
        RetentionRule.StartsFrom.REQUEST_DECIDED,
        "Six years after the decision: a disclosure to the police may be challenged in a claim.",
    ),
    (
        RetentionRule.Kind.AUDIT_EVENTS,
        72,
        RetentionRule.StartsFrom.EVENT_DATE,
        "Six years, as the records they describe; the sealed log is listed, never erased.",
    ),
]


# Cases closed long ago, so the retention page has something to approve: (reference, team, names, closed on).
DEMO_OLD_CASES = [
    ("ON-0090", "Outreach North", "Dennis", "Oldfield", dt.date(2018, 11, 30)),
    ("RH-0090", "Riverside Hostel", "Maureen", "Yates", dt.date(2019, 3, 31)),
]


def seed_retention(stdout) -> None:
    """The demo retention schedule, once (a rule an admin changed is left as it is), and two cases
    closed more than six years ago (made and closed through the clients services)."""
    made = 0
    for kind, months, starts_from, note in DEMO_RETENTION:
        _, created = RetentionRule.objects.get_or_create(
            kind=kind, defaults={"period_months": months, "starts_from": starts_from, "note": note}
        )
        made += created
    manager = User.objects.filter(username="manager").first()
    old = 0
    for reference, team_name, first, last, closed_on in DEMO_OLD_CASES:
        team = Team.objects.filter(name=team_name).first()
        if manager is None or team is None or Client.objects.filter(reference=reference).exists():
            continue
        client = client_services.client_create(
            actor=manager,
            team=team,
            reference=reference,
            first_name=first,
            last_name=last,
            opened_on=closed_on - dt.timedelta(days=500),
        )
        client_services.note_create(
            actor=manager, client=client, category="housing_history", text="Moved into a housing association flat."
        )
        client_services.client_close(actor=manager, client=client, reason="Housed; support ended", closed_on=closed_on)
        old += 1
    stdout.write(f"rights: {made} demo retention rules, {old} cases closed long ago.")


@transaction.atomic
def seed(stdout) -> None:
    seed_retention(stdout)
    manager = User.objects.filter(username="manager").first()
    clients = {c.reference: c for c in Client.objects.filter(reference__in=["ON-0003", "RH-0002"])}
    if manager is None or len(clients) < 2:
        stdout.write("rights: no demo staff or clients, so no demo subject access requests.")
        return
    today = timezone.localdate()
    made = 0
    if not SAR.objects.filter(client=clients["ON-0003"]).exists():
        services.sar_log(
            actor=manager,
            client=clients["ON-0003"],
            requester=SAR.Requester.CLIENT,
            verification=SAR.Verification.KNOWN_IN_PERSON,
            asked_for="A copy of everything you hold about me, and who you have given it to.",
            received_on=today - dt.timedelta(days=24),
        )
        made += 1
    if not SAR.objects.filter(client=clients["RH-0002"]).exists():
        sar = services.sar_log(
            actor=manager,
            client=clients["RH-0002"],
            requester=SAR.Requester.REPRESENTATIVE,
            requester_name="Priya Shah",
            requester_relationship="Solicitor, Shah & Co",
            authority=SAR.Authority.SOLICITOR,
            authority_note="Signed authority from the client, dated last month.",
            verification=SAR.Verification.OTHER_DOCUMENTS,
            verification_note="Solicitors Regulation Authority number checked.",
            asked_for="All records since 2019, including case notes and referrals.",
            received_on=today - dt.timedelta(days=10),
        )
        services.sar_extend(
            actor=manager,
            sar=sar,
            months=1,
            reason="Seven years of records across two services.",
            told_on=today - dt.timedelta(days=3),
        )
        made += 1
    stdout.write(f"rights: {made} demo subject access requests.")
