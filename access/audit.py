"""Sealing and verifying the audit log (why it works this way: docs/decisions/0002-audit-sealing.md).

AccessEvent rows are sealed in id order into batches. A seal stores a digest of its rows
and is chained to the previous seal by hash, so any edit, removal or insertion inside a
sealed range shows. Because a database superuser can disable the append-only triggers and
rewrite rows and seals alike, every seal is also written outside the database: appended to
settings.AUDIT_SEAL_FILE and e-mailed to the information security officers once a day.

Public: `seal_audit` and `seal_digest_send` (writes), `verify_audit` (read).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from accounts.models import Role, User
from deadlines.services import outbox_queue

from .models import AccessEvent, AuditSeal, SealDigest

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()
BATCH_SIZE = 10_000
FINGERPRINT_BYTES = 4
# Key of the PostgreSQL advisory lock that lets one sealer work at a time. It is taken by
# sealers only: inserts of audit rows never wait for it.
SEALER_LOCK_KEY = 7_306_231_042
MIN_ID = -(2**63)
DIGEST_CATCH_UP_DAYS = 7


# --- The canonical form of a row ----------------------------------------------------------


def event_columns() -> list[str]:
    """Every AccessEvent column, in model order: a column added later is sealed automatically."""
    return [f.column for f in AccessEvent._meta.concrete_fields]


def _rows_sql(columns: list[str]) -> str:
    """SELECT id and the row's canonical text, in id order, for ids in (%s, %s].

    The canonical text is the database's own rendering of the whole row — PostgreSQL's
    record output, SQLite's JSON array — produced in C at a few hundred thousand rows a
    second; Python only hashes it. A log is verified on the database vendor that sealed it.
    """
    # Column names come from a seal row; only the model's own are ever put into SQL.
    if not set(columns) <= set(event_columns()):
        raise ValueError(f"Not AccessEvent columns: {sorted(set(columns) - set(event_columns()))}")
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    if connection.vendor == "postgresql":
        row = f"ROW({cols})::text"
    elif connection.vendor == "sqlite":
        row = f"json_array({cols})"
    else:
        raise ImproperlyConfigured(f"Audit sealing supports PostgreSQL and SQLite, not {connection.vendor}.")
    pk = qn(AccessEvent._meta.pk.column)
    table = qn(AccessEvent._meta.db_table)
    return f"SELECT {pk}, {row} FROM {table} WHERE {pk} > %s AND {pk} <= %s ORDER BY {pk}"  # noqa: S608 (names checked)


def _digest_sql(columns: list[str]) -> str:
    """SELECT the row count and the rows digest of ids in (%s, %s], computed by PostgreSQL itself.

    The same bytes as `_rows_digest` over `_rows_sql`'s rows: each row's record text as
    UTF-8, joined by one NUL byte, in id order, hashed with SHA-256. Verifying then sends
    one row per seal to Python instead of every row's text (about 340 bytes a row), and
    the hashing runs in C next to the data. PostgreSQL only; the ordered subquery feeds
    the aggregate in id order (parallel plans are turned off by `_canonical_session`),
    and a digest that does not match is checked again row by row in Python before
    anything is reported, so a change of plan could cost time but never raise a false alarm.
    """
    return (
        "SELECT count(*), encode(sha256(string_agg(convert_to(t.text, 'UTF8'), '\\x00'::bytea)), 'hex') "  # noqa: S608 (our own column expressions; the id range is parameters)
        f"FROM ({_rows_sql(columns)}) AS t(id, text)"
    )


def _canonical_session(cursor) -> None:
    # The record output of timestamps and numbers depends on session settings: pin them
    # for this transaction so the text is the same whoever seals or verifies.
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT set_config('DateStyle', 'ISO', true), set_config('TimeZone', 'UTC', true), "
            "set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true), "
            "set_config('bytea_output', 'hex', true), set_config('max_parallel_workers_per_gather', '0', true)"
        )


def _rows_digest(rows) -> str:
    """sha256 over the rows' canonical texts joined by NUL, which neither rendering contains."""
    return hashlib.sha256("\0".join([text for _, text in rows]).encode()).hexdigest()


def _hash_rows(rows) -> tuple[list[int], str, bytes]:
    """The rows' ids, their digest (as `_rows_digest`) and their fingerprints (as `_fingerprints`), in id order.

    One pass for sealing: each text is encoded to UTF-8 once, for both the digest (the
    encoded texts joined by a NUL byte, the same bytes as the joined text encoded) and the
    fingerprints, which are concatenated in id order as AuditSeal.row_fingerprints stores them.
    """
    sha256 = hashlib.sha256
    encoded = [text.encode() for _, text in rows]
    digest = sha256(b"\0".join(encoded)).hexdigest()
    fingerprints = b"".join([sha256(data).digest()[:FINGERPRINT_BYTES] for data in encoded])
    return [row_id for row_id, _ in rows], digest, fingerprints


def _fingerprints(rows) -> dict[int, bytes]:
    """Each row's id and the first bytes of its own hash: what locates a bad row."""
    sha256 = hashlib.sha256
    return {row_id: sha256(text.encode()).digest()[:FINGERPRINT_BYTES] for row_id, text in rows}


def seal_hash_of(*, previous_hash: str, rows_digest: str, after_id: int, last_id: int, row_count: int) -> str:
    """sha256 over the previous seal's hash, this batch's digest, its id range and row count."""
    text = f"{previous_hash}:{rows_digest}:{after_id}:{last_id}:{row_count}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _gaps(after_id: int, ids: list[int]) -> list[list[int]]:
    """The ids in (after_id, ids[-1]] with no row, as [first, last] pairs."""
    gaps, expected = [], after_id + 1
    for row_id in ids:
        if row_id > expected:
            gaps.append([expected, row_id - 1])
        expected = row_id + 1
    return gaps


def _sealed_ids(seal: AuditSeal) -> Iterator[int]:
    start = seal.after_id + 1
    for first, last in seal.gaps:
        yield from range(start, first)
        start = last + 1
    yield from range(start, seal.last_id + 1)


# --- Sealing --------------------------------------------------------------------------------


def seal_audit(*, batch_size: int = BATCH_SIZE, max_seals: int | None = None) -> list[AuditSeal]:
    """Seal every audit row old enough to be settled, in batches of at most `batch_size`.

    Each batch is its own short transaction; inserts of audit rows carry on meanwhile. If
    another sealer is at work, this one stops and leaves the rest to it.
    """
    seals: list[AuditSeal] = []
    while max_seals is None or len(seals) < max_seals:
        try:
            seal, more = _seal_next_batch(batch_size)
        except IntegrityError:
            # Another sealer committed a seal from the same starting id first; it wins.
            break
        if seal is None:
            break
        seals.append(seal)
        _append_to_seal_file(seal)
        if not more:
            break
    return seals


def _seal_next_batch(batch_size: int) -> tuple[AuditSeal | None, bool]:
    """Seal the next batch; returns it (or None) and whether more rows may be ready."""
    with transaction.atomic():
        if not _take_sealer_lock():
            return None, False
        head = AuditSeal.objects.order_by("-last_id").values_list("last_id", "seal_hash").first()
        after_id, previous_hash = head or (0, GENESIS_HASH)
        first_id = AccessEvent.objects.filter(id__gt=after_id).order_by("id").values_list("id", flat=True).first()
        if first_id is None:
            return None, False
        # Every query below stays within at most batch_size ids, so the work per seal is
        # bounded whatever the planner thinks of the table.
        upper = first_id + batch_size - 1
        unsettled = _first_unsettled_id(after_id, upper)
        if unsettled is not None:
            upper = unsettled - 1
        columns = event_columns()
        with connection.cursor() as cursor:
            _canonical_session(cursor)
            cursor.execute(_rows_sql(columns), [after_id, upper])
            rows = cursor.fetchall()
        if not rows:
            return None, False
        ids, rows_digest, fingerprints = _hash_rows(rows)
        last_id = ids[-1]
        seal = AuditSeal.objects.create(
            after_id=after_id,
            last_id=last_id,
            row_count=len(ids),
            rows_digest=rows_digest,
            previous_hash=previous_hash,
            seal_hash=seal_hash_of(
                previous_hash=previous_hash,
                rows_digest=rows_digest,
                after_id=after_id,
                last_id=last_id,
                row_count=len(ids),
            ),
            sealed_at=timezone.now(),
            columns=columns,
            gaps=_gaps(after_id, ids),
            row_fingerprints=fingerprints,
        )
    return seal, unsettled is None


def _take_sealer_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite runs one writer at a time; the unique after_id still guards.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEALER_LOCK_KEY])
        return cursor.fetchone()[0]


def _first_unsettled_id(after_id: int, upper: int) -> int | None:
    """The lowest id in (after_id, upper] that must wait for a later run, or None.

    A row is settled — every lower id is committed or rolled back for good — once it is
    older than the safety window, measured back from the start of the oldest transaction
    still writing. See the ADR for the argument.
    """
    cutoff = timezone.now()
    oldest = _oldest_open_write()
    if oldest is not None:
        if oldest < cutoff - timedelta(hours=1):
            logger.warning("Audit sealing is held back by a database transaction open since %s.", oldest)
        cutoff = min(cutoff, oldest)
    cutoff -= timedelta(seconds=settings.AUDIT_SEAL_SAFETY_SECONDS)
    young = AccessEvent.objects.filter(id__gt=after_id, id__lte=upper, at__gte=cutoff)
    return young.aggregate(first=Min("id"))["first"]


def _oldest_open_write() -> datetime | None:
    """When the oldest other transaction that may hold an audit id began (PostgreSQL only).

    A transaction that has written (it has an xid) or is running a statement (an INSERT
    takes its id before its xid) may hold an id not yet visible to us.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND (backend_xid IS NOT NULL OR state = 'active')"
        )
        return cursor.fetchone()[0]


# --- The copy outside the database ------------------------------------------------------------


def seal_file_record(seal: AuditSeal) -> dict:
    return {
        "after_id": seal.after_id,
        "last_id": seal.last_id,
        "row_count": seal.row_count,
        "seal_hash": seal.seal_hash,
        "sealed_at": seal.sealed_at.astimezone(UTC).isoformat(),
    }


def _append_to_seal_file(seal: AuditSeal) -> None:
    """Append one JSON line and fsync. A failure is logged, and verify_audit reports the gap."""
    path = Path(settings.AUDIT_SEAL_FILE)
    line = (json.dumps(seal_file_record(seal), sort_keys=True, separators=(",", ":")) + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            if os.write(fd, line) != len(line):
                raise OSError(f"short write to {path}")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        logger.exception("Could not append audit seal %s to the seal file %s", seal.pk, path)


def seal_digest_send(*, day: date | None = None) -> list[date]:
    """E-mail a UTC day's seals and the chain head to the information security officers.

    Without `day`: yesterday, plus any day missed since the last digest (up to a week).
    Each day is sent at most once (a SealDigest row claims it); returns the days sent.
    """
    if day is None:
        yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
        last = SealDigest.objects.order_by("-day").values_list("day", flat=True).first()
        first = (
            max(last + timedelta(days=1), yesterday - timedelta(days=DIGEST_CATCH_UP_DAYS - 1)) if last else yesterday
        )
        days = [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]
    else:
        days = [day]
    recipients = list(
        User.objects.filter(role=Role.INFORMATION_SECURITY_OFFICER, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )
    if not recipients:
        logger.warning("No active information security officer with an e-mail address: seal digest not sent.")
        return []
    return [d for d in days if _send_digest(d, recipients)]


def _send_digest(day: date, recipients: list[str]) -> bool:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    summary = ("after_id", "last_id", "row_count", "seal_hash", "sealed_at")
    with transaction.atomic():
        seals = list(
            AuditSeal.objects.filter(sealed_at__gte=start, sealed_at__lt=start + timedelta(days=1))
            .order_by("after_id")
            .values_list(*summary)
        )
        head = AuditSeal.objects.order_by("-last_id").values_list(*summary).first()
        _, created = SealDigest.objects.get_or_create(
            day=day,
            defaults={
                "sent_at": timezone.now(),
                "recipients": "\n".join(recipients),
                "seal_count": len(seals),
                "head_hash": head[3] if head else "",
            },
        )
        if not created:
            return False
        # Queued with the claim: the outbox sends it once after commit, retries a refusal,
        # and shows an unknown outcome to the ISO.
        outbox_queue(
            subject=f"Audit seals for {day.day} {day:%B %Y}: {len(seals)} sealed",
            body=_digest_text(day, seals, head),
            recipients=recipients,
        )
    return True


def _digest_text(day: date, seals: list[tuple], head: tuple | None) -> str:
    def line(after_id, last_id, row_count, seal_hash, sealed_at):
        return f"  {sealed_at.astimezone(UTC):%H:%M:%S}Z  ids {after_id + 1}–{last_id}  {row_count} rows  {seal_hash}"

    parts = [
        f"Audit log seals made on {day.day} {day:%B %Y} (UTC). Keep this e-mail: it is a copy of the",
        "seal chain outside the database, to check `manage.py verify_audit` against.",
        "",
        *([line(*s) for s in seals] or ["  No seals were made that day."]),
        "",
        f"Chain head now: ids up to {head[1]}, seal hash {head[3]}" if head else "No seals yet.",
    ]
    return "\n".join(parts) + "\n"


# --- Verifying ------------------------------------------------------------------------------


@dataclass
class Verification:
    seals: int = 0
    rows: int = 0
    unsealed_rows: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def _describe(seal: AuditSeal) -> str:
    return f"seal {seal.pk} (ids {seal.after_id + 1}–{seal.last_id})"


def verify_audit(*, seal_file: Path | None = None, since_seal: int | None = None) -> Verification:
    """Recompute every seal from the rows and the chain; compare with the seal file if given.

    Problems are listed in id order, so the first one names the first bad seal or row.
    """
    result = Verification()
    repeatable = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if repeatable:
            # One snapshot for seals and rows, so a sealer running meanwhile raises no false alarm.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        _canonical_session(cursor)
        seals = AuditSeal.objects.order_by("after_id").defer("row_fingerprints")
        if since_seal is not None:
            start = AuditSeal.objects.filter(pk=since_seal).values_list("after_id", flat=True).first()
            if start is None:
                result.problems.append(f"There is no seal {since_seal}.")
                return result
            seals = seals.filter(after_id__gte=start)
        seals = list(seals)
        known_columns = set(event_columns())
        previous = None
        for seal in seals:
            result.seals += 1
            result.problems += _check_link(seal, previous, from_start=since_seal is None)
            if not seal.columns or not set(seal.columns) <= known_columns:
                result.problems.append(f"{_describe(seal)} was made over columns this table no longer has.")
            else:
                # The first seal also answers for any row below its range, e.g. a slipped-in id 0.
                lower = MIN_ID if previous is None and since_seal is None else seal.after_id
                count, problems = _check_rows(cursor, seal, lower)
                result.rows += count
                result.problems += problems
            previous = seal
        head = seals[-1].last_id if seals else 0
        result.unsealed_rows = AccessEvent.objects.filter(id__gt=head).count()
        if seal_file is not None:
            _compare_seal_file(seal_file, seals, result)
    return result


def _check_rows(cursor, seal: AuditSeal, lower: int) -> tuple[int, list[str]]:
    """Recompute the digest of the rows in (lower, seal.last_id]; returns their count and any problems.

    On PostgreSQL the database computes the digest (`_digest_sql`); only when it differs
    are the rows fetched, hashed here and compared row by row to name what changed.
    """
    if connection.vendor == "postgresql":
        cursor.execute(_digest_sql(seal.columns), [lower, seal.last_id])
        count, digest = cursor.fetchone()
        if count == seal.row_count and (digest or EMPTY_DIGEST) == seal.rows_digest:
            return count, []
    cursor.execute(_rows_sql(seal.columns), [lower, seal.last_id])
    rows = cursor.fetchall()
    if len(rows) != seal.row_count or _rows_digest(rows) != seal.rows_digest:
        return len(rows), _locate(seal, rows)
    return len(rows), []


def _check_link(seal: AuditSeal, previous: AuditSeal | None, *, from_start: bool) -> list[str]:
    problems = []
    if previous is None:
        if from_start and (seal.after_id != 0 or seal.previous_hash != GENESIS_HASH):
            problems.append(f"{_describe(seal)} should start the chain, but follows a seal that is missing.")
    elif seal.after_id != previous.last_id:
        problems.append(
            f"{_describe(seal)} does not follow {_describe(previous)}: a seal is missing or was slipped in."
        )
    elif seal.previous_hash != previous.seal_hash:
        problems.append(f"{_describe(seal)} is not chained to {_describe(previous)}: its previous hash differs.")
    expected = seal_hash_of(
        previous_hash=seal.previous_hash,
        rows_digest=seal.rows_digest,
        after_id=seal.after_id,
        last_id=seal.last_id,
        row_count=seal.row_count,
    )
    if seal.seal_hash != expected:
        problems.append(f"{_describe(seal)} has been altered: its hash does not match its contents.")
    return problems


def _locate(seal: AuditSeal, rows) -> list[str]:
    """Name the rows that differ from what the seal recorded, in id order."""
    fingerprints = bytes(AuditSeal.objects.values_list("row_fingerprints", flat=True).get(pk=seal.pk))
    expected = list(_sealed_ids(seal))
    if len(expected) != seal.row_count or len(fingerprints) != FINGERPRINT_BYTES * seal.row_count:
        return [f"{_describe(seal)} does not match its rows, and its record of which rows it sealed is damaged."]
    sealed = {
        row_id: fingerprints[n * FINGERPRINT_BYTES : (n + 1) * FINGERPRINT_BYTES] for n, row_id in enumerate(expected)
    }
    found = _fingerprints(rows)
    problems = []
    for row_id in sorted(sealed.keys() | found.keys()):
        if row_id not in found:
            problems.append(f"Row {row_id} has been removed since {_describe(seal)} sealed it.")
        elif row_id not in sealed:
            problems.append(f"Row {row_id} was slipped into the range of {_describe(seal)} after it was sealed.")
        elif found[row_id] != sealed[row_id]:
            problems.append(f"Row {row_id} has been altered since {_describe(seal)} sealed it.")
    return problems or [f"{_describe(seal)} does not match its rows (the altered row could not be located)."]


def _compare_seal_file(path: Path, seals: list[AuditSeal], result: Verification) -> None:
    by_start = {seal.after_id: seal for seal in seals}
    first_start = seals[0].after_id if seals else 0
    in_file = set()
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        result.problems.append(f"Could not read the seal file {path}: {error.strerror}.")
        return
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            after_id, last_id = int(record["after_id"]), int(record["last_id"])
            row_count, seal_hash = int(record["row_count"]), str(record["seal_hash"])
        except (ValueError, KeyError, TypeError):
            result.problems.append(f"Line {number} of the seal file is not a seal record.")
            continue
        if after_id < first_start:
            continue  # before the seals checked (--since-seal)
        in_file.add(after_id)
        seal = by_start.get(after_id)
        if seal is None:
            result.problems.append(
                f"The seal of ids {after_id + 1}–{last_id} (line {number} of the seal file, hash {seal_hash}) "
                "is missing from the database."
            )
        elif (seal.last_id, seal.row_count, seal.seal_hash) != (last_id, row_count, seal_hash):
            result.problems.append(
                f"{_describe(seal)} differs from line {number} of the seal file "
                f"(file: ids {after_id + 1}–{last_id}, {row_count} rows, hash {seal_hash}; "
                f"database: {seal.row_count} rows, hash {seal.seal_hash})."
            )
    missing = [seal for seal in seals if seal.after_id not in in_file]
    if missing:
        result.warnings.append(
            f"{len(missing)} seal(s) are not in the seal file, the first being {_describe(missing[0])}; "
            "those are checked against the database only."
        )
