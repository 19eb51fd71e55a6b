from django.core.management.base import BaseCommand

from accounts.models import Team
from clients import services


class Command(BaseCommand):
    help = (
        "Bring every team's manager group and every open caseload assignment in line with roles, "
        "accounts and team memberships: ends assignments whose caseworker left the team, was "
        "deactivated or changed role. Run after bulk changes that bypass signals (QuerySet.update, "
        "raw SQL) and once after upgrading to this release."
    )

    def handle(self, *args, **options):
        ended = []
        for team in Team.objects.order_by("pk"):
            ended += services.team_managers_sync(team=team)
        self.stdout.write(f"Manager groups in step; {len(ended)} outdated caseload assignment(s) ended.")
