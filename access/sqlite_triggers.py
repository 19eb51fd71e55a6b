"""The append-only guarantee on SQLite: every `pgtrigger.Protect` is a SQLite trigger too.

django-pgtrigger installs its triggers on PostgreSQL only. On the embedded default
(SQLite) the audit log, its seals, the disclosure log and privacy notices would
otherwise be editable. After every `migrate` on SQLite, `install` reads every model's
`Meta.triggers` and creates, for each `pgtrigger.Protect`, a `BEFORE <operation>`
trigger that aborts with pgtrigger's own message; so a model given a Protect trigger
later is covered without further work, and a removed one is dropped.

A Protect with a raw `pgtrigger.Condition` (a disclosure's one-way content removal) is
mirrored with the same condition. `pgtrigger.ignore(...)` is honoured as on PostgreSQL: each trigger asks the SQL
function `casework_trigger_ignored(uri)`, registered on every SQLite connection, which
answers from pgtrigger's per-thread ignore state. A connection without the function
(the sqlite3 shell, say) cannot run the trigger, so the change fails as well.
"""

import pgtrigger
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

PREFIX = "append_only__"
IGNORED_FUNCTION = "casework_trigger_ignored"


def protect_triggers():
    """(model, trigger) for every concrete model's `pgtrigger.Protect` triggers, in a stable order."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for trigger in getattr(model._meta, "triggers", ()):
            if isinstance(trigger, pgtrigger.Protect):
                found.append((model, trigger))
    return sorted(found, key=lambda pair: (pair[0]._meta.db_table, pair[1].name))


def _condition(trigger) -> str:
    """The trigger's condition as SQL both databases read, or "" for none. Only a raw
    `pgtrigger.Condition` is mirrored (written in plain OLD./NEW. comparisons, it means the
    same on SQLite); a `pgtrigger.Q` compiles to PostgreSQL's dialect and is refused."""
    if trigger.condition is None:
        return ""
    if type(trigger.condition) is not pgtrigger.Condition:
        raise ImproperlyConfigured(f"{trigger.name}: only a raw pgtrigger.Condition is mirrored on SQLite")
    return trigger.condition.sql


def _operations(trigger) -> list[str]:
    """The SQLite operations of a Protect trigger; TRUNCATE has no SQLite counterpart
    (a DELETE without WHERE runs the row triggers), anything we cannot mirror is an error."""
    if trigger.level != pgtrigger.Row or trigger.when != pgtrigger.Before:
        raise ImproperlyConfigured(f"{trigger.name}: only row-level BEFORE Protect triggers are mirrored on SQLite")
    names = [str(operation) for operation in trigger.operation]
    unknown = set(names) - {"UPDATE", "DELETE", "INSERT", "TRUNCATE"}
    if unknown:  # pragma: no cover (pgtrigger has no other operations today)
        raise ImproperlyConfigured(f"{trigger.name}: cannot mirror {sorted(unknown)} on SQLite")
    return [name for name in names if name != "TRUNCATE"]


def statements(model, trigger) -> list[str]:
    """The CREATE TRIGGER statements mirroring one Protect trigger on SQLite."""
    table = model._meta.db_table
    uri = trigger.get_uri(model)
    message = f"pgtrigger: Cannot {str(trigger.operation).lower()} rows from {table} table"
    condition = _condition(trigger)
    when = f"NOT {IGNORED_FUNCTION}('{uri}')" + (f" AND ({condition})" if condition else "")
    return [
        f'CREATE TRIGGER "{PREFIX}{trigger.name}__{operation.lower()}" BEFORE {operation} ON "{table}" '
        f"FOR EACH ROW WHEN {when} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        for operation in _operations(trigger)
    ]


def install(using: str = "default", **kwargs) -> list[str]:
    """(Re)create the mirrored triggers on a SQLite database; nothing on other vendors.

    Connected to `post_migrate` (its keyword arguments are accepted and ignored). Returns
    the names of the triggers now installed.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    installed = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [f"{PREFIX}%"])
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        for model, trigger in protect_triggers():
            if model._meta.db_table not in tables:
                continue
            for sql in statements(model, trigger):
                cursor.execute(sql)
                installed.append(sql.split('"')[1])
    return installed


def installed_names(using: str = "default") -> set[str]:
    """The mirrored triggers present in a SQLite database."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [f"{PREFIX}%"])
        return {name for (name,) in cursor.fetchall()}


def _ignored(uri: str) -> int:
    try:
        return int(pgtrigger.is_ignored(uri))
    except Exception:  # an unknown URI: never ignored
        return 0


def register_function(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give every SQLite connection the ignore check."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(IGNORED_FUNCTION, 1, _ignored)
