"""Demo staff and teams. Idempotent: natural keys, and nothing is changed on a second run.

Everyone shares one password (DEMO_PASSWORD, default below). Roles that must use two-factor
get an authenticator with a fixed, published secret; `manage.py demo_totp <username>`
prints its current code. Demo data only: never seed a real installation.
"""

import hashlib
import os

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .models import Role, Team, TeamMembership, User

DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105  (published demo password)
DEMO_DEVICE_NAME = "Demo authenticator"

TEAMS = [("Outreach North", "outreach-north"), ("Riverside Hostel", "riverside-hostel")]

# username, first name, last name, role, job title, teams
STAFF = [
    ("caseworker.north", "Priya", "Shah", Role.CASEWORKER, "Outreach worker", ["outreach-north"]),
    ("caseworker.river", "Tom", "Okafor", Role.CASEWORKER, "Hostel support worker", ["riverside-hostel"]),
    ("manager", "Grace", "Whitfield", Role.SERVICE_MANAGER, "Service manager", ["outreach-north", "riverside-hostel"]),
    ("iso", "Daniel", "Byrne", Role.INFORMATION_SECURITY_OFFICER, "Information security officer", []),
    ("admin", "Alex", "Morgan", Role.ADMIN, "Systems administrator", []),
]


def demo_totp_key(username: str) -> str:
    """A fixed 20-byte secret per demo user (hex), so a demo authenticator can be set up once."""
    return hashlib.sha1(f"casework-demo-totp:{username}".encode(), usedforsecurity=False).hexdigest()


@transaction.atomic
def seed(stdout):
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
    teams = {}
    for name, slug in TEAMS:
        teams[slug], _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})

    logins = []
    for username, first, last, role, job_title, team_slugs in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.org",
                job_title=job_title,
                role=role,
                is_superuser=role == Role.ADMIN,
            )
            user.set_password(password)
            user.save()
        services.staff_set_role(actor=None, user=user, role=role)
        for slug in team_slugs:
            TeamMembership.objects.get_or_create(user=user, team=teams[slug])
        if user.requires_2fa:
            TOTPDevice.objects.get_or_create(
                user=user, name=DEMO_DEVICE_NAME, defaults={"key": demo_totp_key(username), "confirmed": True}
            )
        logins.append((username, Role(role).label, ", ".join(teams[slug].name for slug in team_slugs)))

    stdout.write(f"Demo staff ready. Password for every demo login: {password}")
    stdout.write(
        "Managers, the ISO and the admin use two-factor authentication: "
        "`make totp USER=<username>` prints the current code."
    )
    return logins
