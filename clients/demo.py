"""Demo clients for the two demo teams. Idempotent: one client per reference, made once.

Names, dates and contact details are fake (Faker, seeded, en_GB); the case stories are
typical of outreach and hostel work. Teams and staff come from accounts.demo; if they are
missing this seeds what it can and says what it skipped.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts.models import Team

from . import services
from .models import Client

SEED = 20260301
CLIENTS_PER_TEAM = 15
# Cases open at least this long before today: the demo consents (consent.demo) go back 200 days.
OPENED_BEFORE = datetime.timedelta(days=210)

# team name, reference prefix, caseworker username
TEAMS = [("Outreach North", "ON", "caseworker.north"), ("Riverside Hostel", "RH", "caseworker.river")]
MANAGER = "manager"

# Stories by data category: (summary, detail). Every client gets a few, chosen by the seeded generator.
STORIES = {
    "housing_history": [
        ("Sleeping rough in the town centre since the spring.", "Evicted from a private let after rent arrears."),
        ("Sofa surfing with friends; no fixed address.", "Left the family home after a relationship ended."),
        ("In a hostel bed; waiting for a supported-housing place.", "Two previous tenancies ended in abandonment."),
    ],
    "support_needs": [
        ("Wants help with a housing application and ID.", "Needs a birth certificate and proof of benefits."),
        ("Needs help registering with a GP.", "Has not seen a GP for three years; worried about costs."),
        ("Wants support into training or work.", "Was a chef; interested in a catering course at the college."),
    ],
    "physical_health": [
        ("Has a long-term health condition that affects mobility.", "Type 2 diabetes; leg ulcer dressed weekly."),
        ("Needs ground-floor accommodation.", "Uses a stick after a hip fracture in 2023."),
    ],
    "mental_health": [
        ("Experiences anxiety and low mood.", "Diagnosed with depression in 2022; prescribed sertraline."),
        ("Has a mental-health condition; engages with the community team.", "Bipolar disorder; CPN visits monthly."),
    ],
    "substance_use": [
        ("Alcohol use is a support need.", "Drinks daily; previous detox in 2021; wants a referral to CGL."),
        ("Uses drugs; engaging with treatment.", "On a methadone script from the local service."),
    ],
    "domestic_abuse": [
        (
            "Has experienced domestic abuse; needs single-gender support.",
            "Ex-partner was controlling and violent; police called twice in 2024; MARAC referral made.",
        ),
        (
            "Has experienced domestic abuse; must not be placed in the north of the town.",
            "Fled a violent partner who lives near the station; non-molestation order in place until 2026.",
        ),
    ],
    "adverse_childhood": [
        ("Care experienced; relevant to support.", "In foster care from age 9 to 18; placement breakdowns."),
    ],
    "offending_history": [
        ("No current risk identified; previous convictions.", "Theft (2019) and possession (2020); no violence."),
        ("On licence; probation involved.", "Released in 2025 after a sentence for burglary; licence until 2026."),
    ],
    "immigration_status": [
        ("No recourse to public funds.", "Visa expired; solicitor at the law centre is preparing an application."),
    ],
    "finances": [
        ("Receives Universal Credit.", "UC standard allowance; £40 a month deduction for an advance."),
        ("No income at present.", "Benefits stopped after a missed appointment; rent arrears of £600."),
    ],
    "risk_to_staff": [
        ("Meet in pairs; see the risk assessment.", "Verbal threats to staff at the drop-in in 2024."),
    ],
}

NOTES = [
    ("support_needs", "Met at the drop-in. Wants help with a housing application; booked in for Thursday."),
    ("housing_history", "Called the council housing team; application acknowledged, reference given to client."),
    ("physical_health", "Went with the client to the GP surgery to register; appointment next week."),
    ("finances", "Helped with the Universal Credit journal; rent payment now direct to the landlord."),
    ("mental_health", "Client low today; talked through the crisis line number and the community team contact."),
]

CLOSED = {"ON-0014": "Moved to another area", "RH-0015": "Housed in a permanent tenancy"}


def _people(fake: Faker, prefix: str) -> list[dict]:
    """The same list of people on every run (the generator is seeded per team)."""
    fake.seed_instance(f"{SEED}-{prefix}")
    people = []
    for n in range(1, CLIENTS_PER_TEAM + 1):
        first, last = fake.first_name(), fake.last_name()
        categories = fake.random_elements(elements=sorted(STORIES), length=4, unique=True)
        people.append(
            {
                "reference": f"{prefix}-{n:04d}",
                "first_name": first,
                "last_name": last,
                "date_of_birth": fake.date_between_dates(datetime.date(1955, 1, 1), datetime.date(2006, 1, 1)),
                "phone": fake.phone_number(),
                "email": f"{first}.{last}{n}@example.org".lower().replace("'", ""),
                "address": "No fixed address" if n % 3 else fake.address(),
                # Opened before the demo consents are given (up to 200 days ago): consent cannot precede the case.
                "opened_on": fake.date_between_dates(
                    datetime.date(2024, 1, 1), min(datetime.date(2026, 6, 30), timezone.localdate() - OPENED_BEFORE)
                ),
                "stories": [(key, fake.random_element(STORIES[key])) for key in categories],
                "first_of_team": n == 1,
                "note": NOTES[n % len(NOTES)],
            }
        )
    return people


@transaction.atomic
def seed(stdout):
    User = get_user_model()
    fake = Faker("en_GB")
    manager = User.objects.filter(username=MANAGER).first()
    made = 0
    for team_name, prefix, worker_name in TEAMS:
        team = Team.objects.filter(name=team_name).first()
        if team is None:
            stdout.write(f"Demo clients: team {team_name!r} is missing; skipped its clients.")
            continue
        services.team_managers_sync(team=team)
        worker = User.objects.filter(username=worker_name).first()
        actor = worker or manager
        if actor is None:
            stdout.write(f"Demo clients: no demo staff for {team_name!r}; skipped its clients.")
            continue
        for person in _people(fake, prefix):
            if Client.objects.filter(reference=person["reference"]).exists():
                continue
            client = services.client_create(
                actor=actor,
                team=team,
                reference=person["reference"],
                first_name=person["first_name"],
                last_name=person["last_name"],
                date_of_birth=person["date_of_birth"],
                phone=person["phone"],
                email=person["email"],
                address=person["address"],
                opened_on=person["opened_on"],
                assign_to=worker,
            )
            stories = person["stories"]
            if person["first_of_team"]:
                # The referral example from the design: a domestic-abuse account and a substance-use need.
                stories = [
                    ("domestic_abuse", STORIES["domestic_abuse"][0]),
                    ("substance_use", STORIES["substance_use"][0]),
                ]
            for category, (summary, detail) in stories:
                services.entry_create(actor=actor, client=client, category=category, summary=summary, detail=detail)
            category, text = person["note"]
            services.note_create(actor=actor, client=client, category=category, text=text)
            if person["reference"] in CLOSED and manager is not None:
                services.client_close(
                    actor=manager,
                    client=client,
                    reason=CLOSED[person["reference"]],
                    closed_on=max(person["opened_on"], min(datetime.date(2026, 10, 1), timezone.localdate())),
                )
            made += 1
    stdout.write(f"Demo clients ready ({made} added, {Client.objects.count()} in all).")
