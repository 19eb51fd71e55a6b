"""Print the SQL that gives the app's PostgreSQL role exactly the privileges it needs.

Production runs migrations as an owner role and the app (web and workers) as a role that
owns nothing: it cannot ALTER a table or disable its triggers (only an owner can), has
no TRUNCATE, and on the append-only tables has neither UPDATE nor DELETE, so the audit
log is safe from the app's own credentials (a disclosure or released pack may have its
content removed once: UPDATE of those columns alone, and their trigger refuses anything
else). Run the output as the owner after every `migrate` (README, "Deploying at scale"):

    python manage.py app_role_grants casework_app | psql "$OWNER_DATABASE_URL" -v ON_ERROR_STOP=1
"""

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from access.sqlite_triggers import protect_triggers

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> list[str]:
    """The GRANT/REVOKE statements for `role` (a plain lower-case PostgreSQL identifier).

    Raises ValueError for any other name (it is written into SQL).
    """
    if not ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a plain lower-case role name")
    quote = connection.ops.quote_name
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # Tables a later migration creates are usable at once; re-running this fixes the rest.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    refused: dict[str, set[str]] = {}
    for model, trigger in protect_triggers():
        operations = {str(op) for op in trigger.operation} & {"UPDATE", "DELETE"}
        refused.setdefault(model._meta.db_table, set()).update(operations)
    for table, operations in sorted(refused.items()):
        if operations:
            statements.append(f"REVOKE {', '.join(sorted(operations))} ON {quote(table)} FROM {role}")
    # After the REVOKE (which takes column privileges with it): the columns a one-way content
    # removal writes (a model's CONTENT_REMOVAL_FIELDS); its trigger refuses any other change.
    for model in sorted({model for model, _ in protect_triggers()}, key=lambda m: m._meta.db_table):
        fields = getattr(model, "CONTENT_REMOVAL_FIELDS", ())
        if fields:
            columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
            statements.append(f"GRANT UPDATE ({columns}) ON {quote(model._meta.db_table)} TO {role}")
    return statements


class Command(BaseCommand):
    help = "Print the GRANT/REVOKE SQL for the app's database role (run it as the owner after every migrate)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The app's role, e.g. casework_app (created beforehand, see README).")

    def handle(self, *args, role, **options):
        try:
            statements = grant_statements(role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("BEGIN;")
        for statement in statements:
            self.stdout.write(f"{statement};")
        self.stdout.write("COMMIT;")
