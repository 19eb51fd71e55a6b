"""Django's `flush`, able to empty a test or development database despite the append-only triggers.

The append-only triggers (PostgreSQL, and their SQLite mirror) refuse DELETE and TRUNCATE
of the audit log and the disclosure log, so Django's own flush, which transactional
tests run after each test, would fail. This flush suspends them (`pgtrigger.ignore`)
only for a database that is plainly not production: DEBUG is on, or the database is a
test database (named `test_…`, or SQLite in memory). Anywhere else it refuses.
"""

import pgtrigger
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections


def _disposable(alias: str) -> bool:
    name = str(connections[alias].settings_dict.get("NAME") or "")
    return settings.DEBUG or name.startswith("test_") or "memory" in name or name.endswith("/test.sqlite3")


class Command(flush.Command):
    help = flush.Command.help + " Only on a test or development database (the audit log is append-only)."

    def handle(self, **options):
        alias = options.get("database") or DEFAULT_DB_ALIAS
        if not _disposable(alias):
            raise CommandError(
                "Refusing to flush: the audit log and the disclosure log are append-only. "
                "flush is for test and development databases only (DEBUG on, or a test database)."
            )
        with pgtrigger.ignore(databases=[alias]):
            return super().handle(**options)
