"""TRUNCATE refused on PostgreSQL for every table whose model protects DELETE.

`pgtrigger.Protect` is a row-level trigger, and TRUNCATE fires no row triggers: the
table owner could empty the audit log in one statement. After every `migrate` on
PostgreSQL, `install` adds a statement-level `BEFORE TRUNCATE` trigger to each table whose
model declares a Protect trigger covering DELETE (django-pgtrigger's Protect cannot be
statement-level without transition tables, which TRUNCATE does not have). Like the
Protect trigger it honours `pgtrigger.ignore` for that trigger, which only Django's
flush of a test database uses (access/management/commands/flush.py).
"""

from django.db import connections

from .sqlite_triggers import protect_triggers

TRIGGER = "append_only_no_truncate"
FUNCTION = "casework_refuse_truncate"

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF TG_ARGV[0] = ANY(COALESCE(NULLIF(current_setting('pgtrigger.ignore', true), ''), '{{}}')::text[]) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'pgtrigger: Cannot truncate rows from %% table', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""


def guarded_tables() -> list[tuple[str, str]]:
    """(table, pgid of its Protect trigger) for every model whose Protect covers DELETE."""
    tables = {}
    for model, trigger in protect_triggers():
        if any(str(operation) == "DELETE" for operation in trigger.operation):
            tables.setdefault(model._meta.db_table, trigger.get_pgid(model))
    return sorted(tables.items())


def install(using: str = "default") -> list[str]:
    """Create or replace the TRUNCATE guards on a PostgreSQL database; nothing elsewhere.

    Returns the tables guarded. Run by the migrating (owner) role after `migrate`.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    quote = connection.ops.quote_name
    done = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        # Always with parameters (none), so the doubled %% reaches PostgreSQL as one %
        # whether or not pgtrigger.ignore has wrapped the cursor with its own parameter.
        cursor.execute(FUNCTION_SQL, [])
        for table, pgid in guarded_tables():
            if table not in existing:
                continue
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE TRUNCATE ON {quote(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}(%s)",
                [pgid],
            )
            done.append(table)
    return done
