from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "access"

    def ready(self):
        # Infrastructure, not business logic: the append-only triggers on SQLite (see
        # access.sqlite_triggers) and TRUNCATE refused on PostgreSQL (access.pg_truncate).
        # Installed once per migrate, after every app's tables.
        from . import sqlite_triggers

        connection_created.connect(sqlite_triggers.register_function, dispatch_uid="access.sqlite_trigger_function")
        post_migrate.connect(self._install_append_only_triggers, dispatch_uid="access.sqlite_triggers")

        # The audit log is append-only (the database refuses UPDATE): a merged record's
        # rows stay under its own id, and the survivor's log reads through the merge.
        from clients.merge import Policy, on_merge

        on_merge("access.AccessEvent", policy=Policy.STAY)

    def _install_append_only_triggers(self, sender, using="default", **kwargs):
        from . import pg_truncate, sqlite_triggers

        if sender is self:
            sqlite_triggers.install(using=using)
            pg_truncate.install(using=using)
