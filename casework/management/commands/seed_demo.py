"""Load demo data: teams, staff, clients, consents, partners, referrals and breaches.

Idempotent: every app's `demo.seed` uses natural keys, so running it twice changes nothing.
"""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Layer order: each app's demo data may build on the apps below it.
DEMO_APPS = ["accounts", "clients", "consent", "sharing", "statutory", "rights", "breaches", "access"]


class Command(BaseCommand):
    help = "Create or refresh the demo data (safe to run repeatedly)."

    @transaction.atomic
    def handle(self, *args, **options):
        logins = []
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            result = module.seed(self.stdout)
            if app == "accounts" and result:
                logins = result
        if logins:
            self.stdout.write(self.style.SUCCESS("Demo logins (the password is printed above):"))
            for username, role, team in logins:
                self.stdout.write(f"  {username:<20} {role:<30} {team or ''}")
