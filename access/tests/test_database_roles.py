"""Append-only against the database credentials: the production set-up of README,
"Deploying at scale", on a real PostgreSQL. The app's role is created exactly as
documented, given the grants `app_role_grants` prints, and then tries to get round the
audit log's protection; the owner's TRUNCATE is refused by trigger.
"""

import io
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from access.pg_truncate import guarded_tables

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


def _connect(**overrides):
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.update(overrides)
    return psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if k in ALLOWED})


ALLOWED = {"dbname", "user", "password", "host", "port", "sslmode"}


@pytest.fixture
def app_role(db):
    """The app's role: README's CREATE ROLE, then the printed grants, run by the owner."""
    role, password = f"casework_app_{uuid.uuid4().hex[:8]}", "app-role-test-password"
    out = io.StringIO()
    call_command("app_role_grants", role, stdout=out)
    with _connect() as owner:
        owner.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        owner.execute(out.getvalue())
    try:
        with _connect(user=role, password=password) as app:
            yield app
    finally:
        with _connect() as owner:
            owner.execute(f"DROP OWNED BY {role}")
            owner.execute(f"DROP ROLE {role}")


ATTEMPTS = {
    "disable the trigger": "ALTER TABLE access_accessevent DISABLE TRIGGER ALL",
    "disable the trigger by name": (
        "ALTER TABLE access_accessevent DISABLE TRIGGER pgtrigger_accessevent_append_only_57388"
    ),
    "switch off all triggers for the session": "SET session_replication_role = replica",
    "truncate": "TRUNCATE access_accessevent",
    "truncate the seals": "TRUNCATE access_auditseal",
    "delete audit rows": "DELETE FROM access_accessevent",
    "edit audit rows": "UPDATE access_accessevent SET detail = 'x'",
    "delete seals": "DELETE FROM access_auditseal",
    "delete the disclosure log": "DELETE FROM sharing_disclosure",
    "drop the audit table": "DROP TABLE access_accessevent",
    "create a trigger": (
        "CREATE TRIGGER sneak BEFORE DELETE ON access_accessevent "
        "FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()"
    ),
}


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=list(ATTEMPTS))
def test_the_app_role_cannot_get_round_the_append_only_audit_log(app_role, attempt):
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_role.execute(ATTEMPTS[attempt])


def test_the_app_role_can_do_its_work(app_role):
    for table, privilege in [
        ("access_accessevent", "INSERT"),
        ("access_accessevent", "SELECT"),
        ("clients_client", "UPDATE"),
        ("clients_casenote", "DELETE"),
        ("django_session", "DELETE"),
    ]:
        allowed = app_role.execute("SELECT has_table_privilege(current_user, %s, %s)", [table, privilege]).fetchone()
        assert allowed == (True,), (table, privilege)
    owns = app_role.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    )
    assert owns.fetchone() == (0,)


@pytest.mark.parametrize("table", [table for table, _ in guarded_tables()])
def test_truncate_is_refused_by_trigger_even_for_the_owner(db, table):
    with pytest.raises(DatabaseError, match="Cannot truncate"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(table)} CASCADE")


def test_a_row_is_sealed_within_the_stated_window():
    """README: a row stays unsealed for at most about AUDIT_SEAL_SAFETY_SECONDS + the interval (90 s)."""
    from casework.celery import app

    interval = app.conf.beat_schedule["audit-seal"]["schedule"]
    assert interval == settings.AUDIT_SEAL_INTERVAL_SECONDS
    assert settings.AUDIT_SEAL_SAFETY_SECONDS + interval <= 120
