"""Sealing and verifying the audit log: append-only triggers, seals, tamper detection."""

import hashlib
import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import StringIO

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from access.audit import (
    EMPTY_DIGEST,
    GENESIS_HASH,
    _canonical_session,
    _digest_sql,
    _rows_digest,
    _rows_sql,
    event_columns,
    seal_audit,
    seal_hash_of,
    verify_audit,
)
from access.models import AccessEvent, AuditSeal
from access.tasks import seal_audit as seal_audit_task
from casework.celery import app as celery_app

# --- Helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def seal_file(settings, tmp_path):
    settings.AUDIT_SEAL_FILE = tmp_path / "audit-seals.log"
    settings.AUDIT_SEAL_SAFETY_SECONDS = 60
    return settings.AUDIT_SEAL_FILE


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


def make_events(count, *, at=None):
    """Audit rows as the gate writes them; by default an hour old, so ready to seal."""
    at = at or timezone.now() - timedelta(hours=1)
    return AccessEvent.objects.bulk_create(
        AccessEvent(
            at=at,
            action=AccessEvent.Action.VIEW,
            outcome=AccessEvent.Outcome.ALLOWED,
            object_type="clients.Client",
            object_id=str(n),
            categories=["identity", "contact"],
            purpose="support planning",
            detail=f"event {n}",
            ip_address="192.0.2.10",
            session_hash="ab" * 32,
        )
        for n in range(count)
    )


class _RollBack(Exception):
    pass


def make_rolled_back_events(count):
    """Rows whose transaction rolls back: their ids are used up, leaving a gap."""
    try:
        with transaction.atomic():
            events = make_events(count)
            raise _RollBack
    except _RollBack:
        return events


def verify(*args):
    """Run verify_audit; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@contextmanager
def triggers_disabled():
    """What a database superuser can do: switch off every trigger for this transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- Append-only ------------------------------------------------------------------------------


def _events_and_seal():
    make_events(2)
    seal_audit()
    return AccessEvent.objects.order_by("id").first(), AuditSeal.objects.get()


TAMPERING = {
    "queryset update": lambda obj: type(obj).objects.filter(pk=obj.pk).update(**_changed(obj)),
    "queryset delete": lambda obj: type(obj).objects.filter(pk=obj.pk).delete(),
    "instance save": lambda obj: (obj.__dict__.update(_changed(obj)), obj.save()),
    "instance delete": lambda obj: obj.delete(),
    "raw update": lambda obj: raw(f"UPDATE {obj._meta.db_table} SET {_raw_change(obj)} WHERE id = %s", [obj.pk]),  # noqa: S608 (identifiers from model metadata; values are parameters)
    "raw delete": lambda obj: raw(f"DELETE FROM {obj._meta.db_table} WHERE id = %s", [obj.pk]),  # noqa: S608 (identifiers from model metadata; values are parameters)
}


def _changed(obj):
    return {"reason": "nothing to see"} if isinstance(obj, AccessEvent) else {"row_count": 0}


def _raw_change(obj):
    return "reason = 'nothing to see'" if isinstance(obj, AccessEvent) else "row_count = 0"


@pytest.mark.parametrize("model", ["AccessEvent", "AuditSeal"])
@pytest.mark.parametrize("how", TAMPERING)
def test_the_database_refuses_to_change_or_delete_audit_rows(db, model, how):
    event, seal = _events_and_seal()
    obj = event if model == "AccessEvent" else seal
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        TAMPERING[how](obj)
    fresh = type(obj).objects.get(pk=obj.pk)
    assert (fresh.reason == "") if model == "AccessEvent" else (fresh.row_count == 2)


def test_two_seals_cannot_start_from_the_same_row(db):
    _events_and_seal()
    seal = AuditSeal.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditSeal.objects.create(
            after_id=0,
            last_id=seal.last_id,
            row_count=2,
            rows_digest=seal.rows_digest,
            previous_hash=GENESIS_HASH,
            seal_hash="f" * 64,
            sealed_at=timezone.now(),
        )


# --- Sealing --------------------------------------------------------------------------------


def test_it_seals_rows_in_chained_batches_of_bounded_size(db):
    events = make_events(25)
    seals = seal_audit(batch_size=10)
    assert [(s.after_id, s.last_id, s.row_count) for s in seals] == [
        (0, events[9].pk, 10),
        (events[9].pk, events[19].pk, 10),
        (events[19].pk, events[24].pk, 5),
    ]
    assert seals[0].previous_hash == GENESIS_HASH
    assert [s.previous_hash for s in seals[1:]] == [s.seal_hash for s in seals[:-1]]
    for seal in seals:
        assert seal.seal_hash == seal_hash_of(
            previous_hash=seal.previous_hash,
            rows_digest=seal.rows_digest,
            after_id=seal.after_id,
            last_id=seal.last_id,
            row_count=seal.row_count,
        )
        assert seal.columns == event_columns()
        assert len(bytes(seal.row_fingerprints)) == 4 * seal.row_count


def test_it_seals_only_new_rows_on_the_next_run(db):
    make_events(3)
    first = seal_audit()
    assert seal_audit() == []
    later = make_events(2)
    (second,) = seal_audit()
    assert (second.after_id, second.last_id, second.row_count) == (first[-1].last_id, later[-1].pk, 2)
    assert second.previous_hash == first[-1].seal_hash


def test_the_canonical_row_form_covers_every_accessevent_column():
    assert event_columns() == [f.column for f in AccessEvent._meta.concrete_fields]
    assert {"id", "at", "actor_id", "client_id", "reason", "categories", "ip_address"} <= set(event_columns())


def test_rows_younger_than_the_safety_window_are_not_sealed(db, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    (event,) = make_events(1, at=timezone.now())
    time_machine.shift(timedelta(seconds=59))
    assert seal_audit() == []
    time_machine.shift(timedelta(seconds=2))
    (seal,) = seal_audit()
    assert (seal.after_id, seal.last_id) == (0, event.pk)


def test_an_old_row_waits_while_a_lower_id_is_still_young(db, time_machine):
    # Ids are taken before commit, so ids and times need not agree; sealing is a prefix in id order.
    time_machine.move_to(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    make_events(1, at=timezone.now())
    make_events(1, at=timezone.now() - timedelta(hours=1))
    time_machine.shift(timedelta(seconds=30))
    assert seal_audit() == []
    time_machine.shift(timedelta(seconds=31))
    assert seal_audit()[0].row_count == 2


def test_each_seal_is_appended_to_the_seal_file(db, seal_file):
    make_events(5)
    seal_audit(batch_size=2)
    seals = list(AuditSeal.objects.order_by("after_id"))
    make_events(1)
    seals += seal_audit()
    lines = [json.loads(line) for line in seal_file.read_text().splitlines()]
    assert lines == [
        {
            "after_id": s.after_id,
            "last_id": s.last_id,
            "row_count": s.row_count,
            "seal_hash": s.seal_hash,
            "sealed_at": s.sealed_at.astimezone(UTC).isoformat(),
        }
        for s in seals
    ]
    assert len(lines) == 4


def test_seal_audit_command_reports_what_it_sealed(db):
    events = make_events(3)
    out = StringIO()
    call_command("seal_audit", stdout=out)
    assert f"Sealed 3 rows (ids 1–{events[2].pk}) in 1 seal(s)" in out.getvalue()
    out = StringIO()
    call_command("seal_audit", stdout=out)
    assert out.getvalue() == "Nothing to seal.\n"


# --- Verifying: the intact log ----------------------------------------------------------------


def test_an_intact_log_verifies(db):
    make_events(30)
    seal_audit(batch_size=7)
    make_events(2, at=timezone.now())
    code, out, err = verify()
    assert code == 0, err
    assert "Audit log intact: 5 seal(s), 30 row(s)" in out
    assert "2 newer row(s) not yet sealed" in out
    assert err == ""


def test_an_empty_log_verifies(db, seal_file):
    seal_file.touch()
    assert verify()[0] == 0


def test_verify_says_loudly_when_it_cannot_read_the_seal_file(db, seal_file):
    _sealed()
    seal_file.unlink()

    code, out, err = verify()

    assert code == 2
    assert "Audit log intact" not in out
    assert f"CANNOT VERIFY the audit log: the seal file {seal_file} cannot be read" in err


def test_a_new_database_with_nothing_sealed_and_no_seal_file_yet_is_not_a_failure(db, seal_file):
    code, out, err = verify()
    assert (code, err) == (0, "")
    assert "Nothing to verify yet: the audit log is empty" in out

    make_events(3, at=timezone.now())
    code, out, err = verify()
    assert (code, err) == (0, "")
    assert "Not sealed yet: 3 row(s)" in out
    assert "Nothing in the log is tamper-evident until then." in out


def test_rows_too_old_to_be_waiting_for_the_first_seal_cannot_be_verified_without_seals(db, seal_file, settings):
    settings.AUDIT_SEAL_INTERVAL_SECONDS = 60
    make_events(2, at=timezone.now() - timedelta(minutes=10))

    code, out, err = verify()

    assert code == 2
    assert "Audit log intact" not in out
    assert "CANNOT VERIFY the audit log: nothing has been sealed and there is no seal file" in err
    assert "the seals and the seal file have been removed" in err


def test_a_missing_seal_file_fails_as_soon_as_one_seal_exists(db, seal_file):
    make_events(2)
    seal_audit()
    seal_file.unlink()
    make_events(1, at=timezone.now())

    code, _out, err = verify()

    assert code == 2
    assert "cannot be read (it does not exist)" in err


def test_checking_the_database_alone_is_a_choice_that_warns(db, seal_file):
    _sealed()
    seal_file.unlink()

    code, out, err = verify("--no-seal-file")

    assert code == 0
    assert "Audit log intact" in out
    assert "checking the database only" in err


@pytest.mark.postgres
def test_rolled_back_inserts_leave_gaps_that_verify_accepts(db):
    make_events(2)
    lost = make_rolled_back_events(3)
    make_events(2)
    (seal,) = seal_audit()
    # The sequence is shared across tests, so earlier ids are a gap here too.
    assert seal.gaps[-1] == [lost[0].pk, lost[2].pk]
    assert seal.row_count == 4
    assert verify()[0] == 0


# --- Verifying: tampering ---------------------------------------------------------------------


def _sealed(count=20, batch_size=10):
    events = make_events(count)
    seal_audit(batch_size=batch_size)
    return events, list(AuditSeal.objects.order_by("after_id"))


@pytest.mark.postgres
def test_verify_names_a_row_edited_with_the_triggers_disabled(db):
    events, seals = _sealed()
    with triggers_disabled():
        raw("UPDATE access_accessevent SET reason = 'nothing to see' WHERE id = %s", [events[13].pk])
    code, _, err = verify()
    assert code == 1
    assert (
        f"First problem: Row {events[13].pk} has been altered since seal {seals[1].pk} "
        f"(ids {events[10].pk}–{events[19].pk}) sealed it." in err
    )


@pytest.mark.postgres
def test_verify_names_a_row_edited_through_the_orm_with_the_trigger_ignored(db):
    events, seals = _sealed()
    with pgtrigger.ignore("access.AccessEvent:accessevent_append_only"):
        AccessEvent.objects.filter(pk=events[2].pk).update(outcome=AccessEvent.Outcome.DENIED)
    code, _, err = verify()
    assert code == 1
    assert f"First problem: Row {events[2].pk} has been altered since seal {seals[0].pk}" in err


@pytest.mark.postgres
def test_verify_names_the_first_of_several_altered_rows(db):
    events, _ = _sealed()
    with triggers_disabled():
        raw("UPDATE access_accessevent SET detail = 'x' WHERE id IN (%s, %s)", [events[17].pk, events[4].pk])
    code, _, err = verify()
    assert code == 1
    assert f"First problem: Row {events[4].pk} has been altered" in err
    assert f"also: Row {events[17].pk} has been altered" in err


@pytest.mark.postgres
def test_verify_names_a_deleted_row(db):
    events, seals = _sealed()
    with triggers_disabled():
        raw("DELETE FROM access_accessevent WHERE id = %s", [events[5].pk])
    code, _, err = verify()
    assert code == 1
    assert f"First problem: Row {events[5].pk} has been removed since seal {seals[0].pk}" in err


@pytest.mark.postgres
def test_verify_names_a_row_slipped_into_a_gap_in_a_sealed_range(db):
    make_events(2)
    (lost,) = make_rolled_back_events(1)
    make_events(2)
    (seal,) = seal_audit()
    # Inserting needs no trigger bypass: the table is append-only, not closed.
    AccessEvent.objects.bulk_create([AccessEvent(id=lost.pk, at=lost.at, action="view", outcome="allowed")])
    code, _, err = verify()
    assert code == 1
    assert f"First problem: Row {lost.pk} was slipped into the range of seal {seal.pk}" in err


def test_verify_names_a_row_slipped_in_below_the_first_seal(db):
    events, seals = _sealed()
    AccessEvent.objects.bulk_create([AccessEvent(id=0, at=events[0].at, action="view", outcome="allowed")])
    code, _, err = verify()
    assert code == 1
    assert f"First problem: Row 0 was slipped into the range of seal {seals[0].pk}" in err


# Each column changed in a way its type allows: a new column type must be added here.
COLUMN_TAMPERING = {
    "BigAutoField": "{col} = {col} + 1000000",
    "DateTimeField": "{col} = {col} + interval '1 microsecond'",
    "ForeignKey": "{col} = COALESCE({col}, 0) + 1",
    "CharField": "{col} = CASE WHEN {col} LIKE 'x%%' THEN 'y' ELSE 'x' END || substr({col}, 2)",
    "TextField": "{col} = {col} || 'x'",
    "JSONField": "{col} = {col} || '[\"x\"]'::jsonb",
    "BooleanField": "{col} = NOT {col}",
    "GenericIPAddressField": "{col} = '198.51.100.7'",
    "PositiveIntegerField": "{col} = COALESCE({col}, 0) + 1",
    "IntegerField": "{col} = COALESCE({col}, 0) + 1",
}


@pytest.mark.postgres
@pytest.mark.parametrize("field", [f.name for f in AccessEvent._meta.concrete_fields])
def test_a_change_to_any_column_is_detected(db, field):
    column = AccessEvent._meta.get_field(field)
    kind = column.get_internal_type()
    assert kind in COLUMN_TAMPERING, f"add a way to tamper with a {kind} to COLUMN_TAMPERING"
    events, _ = _sealed(count=5)
    with triggers_disabled():
        change = COLUMN_TAMPERING[kind].format(col=connection.ops.quote_name(column.column))
        raw(f"UPDATE access_accessevent SET {change} WHERE id = %s", [events[2].pk])  # noqa: S608 (identifiers from model metadata; values are parameters)
    code, _, err = verify()
    assert code == 1
    assert f"Row {events[2].pk} has been" in err


@pytest.mark.postgres
def test_verify_names_an_altered_seal(db):
    _, seals = _sealed()
    with triggers_disabled():
        raw("UPDATE access_auditseal SET row_count = 9 WHERE id = %s", [seals[1].pk])
    code, _, err = verify()
    assert code == 1
    assert f"First problem: seal {seals[1].pk} (ids {seals[1].after_id + 1}–{seals[1].last_id}) has been altered" in err


@pytest.mark.postgres
def test_verify_names_the_seal_after_a_removed_one(db):
    _, seals = _sealed(count=30)
    with triggers_disabled():
        raw("DELETE FROM access_auditseal WHERE id = %s", [seals[1].pk])
    code, _, err = verify()
    assert code == 1
    assert f"First problem: seal {seals[2].pk} (ids {seals[2].after_id + 1}–{seals[2].last_id}) does not follow" in err


# --- Verifying against the seal file ------------------------------------------------------------


@pytest.mark.postgres
def test_the_seal_file_catches_rows_and_seals_rewritten_together(db):
    events, seals = _sealed()
    with triggers_disabled():
        raw("UPDATE access_accessevent SET reason = 'nothing to see' WHERE id = %s", [events[15].pk])
        raw("DELETE FROM access_auditseal WHERE id = %s", [seals[1].pk])
    (resealed,) = seal_audit()
    assert verify("--no-seal-file")[0] == 0  # consistent inside the database
    code, _, err = verify()
    assert code == 1
    assert f"First problem: seal {resealed.pk} (ids {events[10].pk}–{events[19].pk}) differs from line 2" in err
    assert f"hash {seals[1].seal_hash}" in err


@pytest.mark.postgres
def test_the_seal_file_catches_the_newest_seals_removed(db):
    events, seals = _sealed()
    with triggers_disabled():
        raw("DELETE FROM access_auditseal WHERE id = %s", [seals[1].pk])
    assert verify("--no-seal-file")[0] == 0
    code, _, err = verify()
    assert code == 1
    assert f"The seal of ids {events[10].pk}–{events[19].pk} (line 2 of the seal file" in err
    assert "is missing from the database" in err


def test_a_seal_missing_from_the_seal_file_is_a_warning(db, seal_file):
    _, seals = _sealed()
    seal_file.write_text(seal_file.read_text().splitlines()[0] + "\n")
    code, out, err = verify()
    assert code == 0
    assert "Audit log intact" in out
    assert f"1 seal(s) are not in the seal file, the first being seal {seals[1].pk}" in err


def test_an_explicit_seal_file_that_does_not_match_fails(db, tmp_path):
    _sealed()
    other = tmp_path / "elsewhere.log"
    other.write_text('{"after_id": 0, "last_id": 3, "row_count": 3, "seal_hash": "' + "e" * 64 + '"}\nnot json\n')
    code, _, err = verify("--seal-file", str(other))
    assert code == 1
    assert "differs from line 1 of the seal file" in err
    assert "Line 2 of the seal file is not a seal record." in err


# --- Options ----------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_since_seal_checks_from_that_seal_on(db):
    events, seals = _sealed()
    with triggers_disabled():
        raw("UPDATE access_accessevent SET reason = 'x' WHERE id = %s", [events[1].pk])
    assert verify("--since-seal", str(seals[1].pk))[0] == 0
    assert verify("--since-seal", str(seals[0].pk))[0] == 1


def test_since_an_unknown_seal_fails(db):
    _sealed()
    code, _, err = verify("--since-seal", "999999")
    assert code == 1
    assert "There is no seal 999999." in err


def test_verify_audit_returns_a_report(db):
    make_events(12)
    seal_audit(batch_size=5)
    result = verify_audit()
    assert (result.intact, result.seals, result.rows, result.unsealed_rows) == (True, 3, 12, 0)


def test_the_beat_schedule_runs_the_audit_tasks(db):
    ours = {"access.tasks.seal_audit", "access.tasks.email_seal_digest"}
    assert ours <= {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert ours <= set(celery_app.tasks)
    make_events(3)
    assert seal_audit_task() == 1
    assert seal_audit_task() == 0


# --- The canonical form is unambiguous --------------------------------------------------------------

free_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.tuples(free_text, free_text, free_text), second=st.tuples(free_text, free_text, free_text))
def test_different_rows_never_share_a_canonical_form(db, first, second):
    # Commas, quotes, brackets, backslashes, newlines and empty strings must not let the
    # text of one row read as another's.
    columns = ["reason", "detail", "purpose"]
    rows = AccessEvent.objects.bulk_create(
        AccessEvent(at=timezone.now(), action="view", outcome="allowed", **dict(zip(columns, values, strict=True)))
        for values in (first, second)
    )
    with connection.cursor() as cursor:
        cursor.execute(_rows_sql(columns), [rows[0].pk - 1, rows[1].pk])
        texts = [text for _, text in cursor.fetchall()]
    assert (texts[0] == texts[1]) == (first == second)


# --- The seal format does not change with how it is computed -----------------------------------


def _seal_as_first_written(after_id, previous_hash):
    """A seal computed the way the first sealer did, from first principles: the rows' record
    texts fetched in id order, joined by NUL and hashed in Python; each row's own hash's
    first 4 bytes; the chain hash over previous hash, digest, range and count."""
    columns = event_columns()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('DateStyle', 'ISO', true), set_config('TimeZone', 'UTC', true), "
            "set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true), "
            "set_config('bytea_output', 'hex', true)"
        )
        cursor.execute(_rows_sql(columns), [after_id, 2**62])
        rows = cursor.fetchall()
    digest = hashlib.sha256("\0".join(text for _, text in rows).encode()).hexdigest()
    last_id = rows[-1][0]
    ids = [row_id for row_id, _ in rows]
    gaps = [[low + 1, high - 1] for low, high in zip([after_id, *ids[:-1]], ids, strict=True) if high > low + 1]
    return dict(
        after_id=after_id,
        last_id=last_id,
        row_count=len(rows),
        rows_digest=digest,
        previous_hash=previous_hash,
        seal_hash=hashlib.sha256(f"{previous_hash}:{digest}:{after_id}:{last_id}:{len(rows)}".encode()).hexdigest(),
        sealed_at=timezone.now(),
        columns=columns,
        gaps=gaps,
        row_fingerprints=b"".join(hashlib.sha256(text.encode()).digest()[:4] for _, text in rows),
    )


@pytest.mark.postgres
def test_a_log_sealed_as_first_written_still_verifies(db):
    make_events(30)
    first = AuditSeal.objects.create(**_seal_as_first_written(0, GENESIS_HASH))
    make_events(5)
    [second] = seal_audit()
    assert verify_audit().intact
    assert verify_audit().rows == 35
    # The sealer writes the same bytes the first one did, digest and locators alike.
    expected = _seal_as_first_written(first.last_id, first.seal_hash)
    assert (second.rows_digest, second.seal_hash, bytes(second.row_fingerprints)) == (
        expected["rows_digest"],
        expected["seal_hash"],
        expected["row_fingerprints"],
    )


event_values = st.fixed_dictionaries(
    {
        "reason": free_text,
        "detail": st.text(max_size=30).map(lambda text: text.replace("\x00", "")),
        "purpose": free_text,
        "categories": st.lists(free_text, max_size=3),
        "ip_address": st.sampled_from([None, "192.0.2.10", "2001:db8::1"]),
        "break_glass": st.booleans(),
    }
)


@pytest.mark.postgres
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(event_values, min_size=1, max_size=6))
def test_the_database_computes_the_same_digest_as_python(db, batch):
    # Quotes, backslashes, brackets, non-ASCII text and JSON go into the digest PostgreSQL
    # computes for verifying and the one Python computes for sealing: they must agree.
    with transaction.atomic():
        rows = AccessEvent.objects.bulk_create(
            AccessEvent(at=timezone.now(), action="view", outcome="allowed", **values) for values in batch
        )
        columns = event_columns()
        with connection.cursor() as cursor:
            _canonical_session(cursor)
            cursor.execute(_rows_sql(columns), [rows[0].pk - 1, rows[-1].pk])
            fetched = cursor.fetchall()
            cursor.execute(_digest_sql(columns), [rows[0].pk - 1, rows[-1].pk])
            count, digest = cursor.fetchone()
        assert (count, digest) == (len(batch), _rows_digest(fetched))
        transaction.set_rollback(True)


@pytest.mark.postgres
def test_an_empty_range_has_the_digest_of_no_rows(db):
    with connection.cursor() as cursor:
        cursor.execute(_digest_sql(event_columns()), [-10, -1])
        count, digest = cursor.fetchone()
    assert count == 0
    assert (digest or EMPTY_DIGEST) == _rows_digest([]) == hashlib.sha256(b"").hexdigest()
