"""The one deadline mechanism: raise each threshold once per due time, and e-mail it at most once.

`deadlines_sweep` is run by beat. For every registered clock it reads the objects whose
clock is running, works out which thresholds have fallen due under each object's CURRENT
due time and are not yet recorded for that due time, and records them:

- thresholds that fall due one by one (a sweep every few minutes) each get an e-mail;
- when several have passed before anyone was told (a late report, a worker down for a
  day, a due time corrected earlier), only the latest gets an e-mail, which says where
  the clock stands; the earlier ones are recorded as raised, "covered" by it;
- when the due time has changed, a threshold already announced under an earlier due time
  at or after the moment it falls due under the new one is recorded as "carried", not
  announced again; every other threshold of the new due time is armed afresh.

Inserts use the unique constraint on (clock, object, due time, threshold) with
ON CONFLICT DO NOTHING, so repeated and concurrent sweeps record each alert once.

A clock with a schedule (registry.Schedule: every clock the apps register) keeps a cursor
on each object's row: the due value its alerts were worked out for, and when its next
threshold falls due. A sweep reads only the rows whose cursor is due or out of date, by
two partial indexes, so its work is what fell due since the last sweep, not everything
already alerted (an overdue object is read once, not at every sweep).
"""

from __future__ import annotations

import logging
import smtplib
import socket
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import ClassVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import enqueue, registry, selectors
from .models import Alert, ClockSchedule, OutboxEmail, SweepHeartbeat

logger = logging.getLogger(__name__)

# Errors that mean the mail server did not take the message: safe to try again. Anything
# else raised while sending (a dropped connection mid-DATA, a timeout) may have come
# after the server accepted it, so the e-mail's fate is unknown and it is not retried.
REFUSED = (
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
    ConnectionRefusedError,
    socket.gaierror,
)


# --- Raising thresholds -------------------------------------------------------------------


def _sorted_thresholds(clock: registry.Clock) -> list[registry.Threshold]:
    return sorted(clock.thresholds(), key=lambda t: t.lead, reverse=True)  # earliest first


def _raise_due(
    clock: registry.Clock,
    now: datetime,
    ids: list[int] | None = None,
    thresholds: list[registry.Threshold] | None = None,
) -> int:
    """Record every threshold of `clock` due by `now` and not yet recorded. Returns how many objects had one.

    Looks only at the objects `ids` (all running objects when None). A constant number of
    queries whatever the number of objects: one read of the running objects, one of their
    alerts, and at most three inserts.
    """
    thresholds = _sorted_thresholds(clock) if thresholds is None else thresholds
    if not thresholds or ids == []:
        return 0
    horizon = now + thresholds[0].lead
    running = list(clock.running(horizon, ids))
    if not running:
        return 0
    history: dict[int, list[tuple[datetime, str, datetime]]] = defaultdict(list)
    for object_id, due_at, key, raised_at in Alert.objects.filter(
        clock=clock.name, object_id__in=[object_id for object_id, _ in running]
    ).values_list("object_id", "due_at", "threshold", "raised_at"):
        history[object_id].append((due_at, key, raised_at))

    announced, quiet = [], []  # (alert, key of the alert that covers it or None)
    for object_id, due_at in running:
        recorded = {key for due, key, _ in history[object_id] if due == due_at}
        told_before: dict[str, datetime] = {}
        for due, key, raised_at in history[object_id]:
            if due != due_at:
                told_before[key] = max(raised_at, told_before.get(key, raised_at))
        fresh = []
        for threshold in thresholds:
            fire_at = due_at - threshold.lead
            if fire_at > now or threshold.key in recorded:
                continue
            alert = Alert(
                clock=clock.name,
                object_id=object_id,
                due_at=due_at,
                threshold=threshold.key,
                label=threshold.label,
                fire_at=fire_at,
                raised_at=now,
            )
            if threshold.key in told_before and told_before[threshold.key] >= fire_at:
                alert.delivery = Alert.Delivery.CARRIED
                quiet.append((alert, None))
            else:
                fresh.append(alert)
        if fresh:
            latest = fresh[-1]
            announced.append(latest)
            for alert in fresh[:-1]:
                alert.delivery = Alert.Delivery.COVERED
                quiet.append((alert, latest))
    if announced:
        Alert.objects.bulk_create(announced, ignore_conflicts=True)
        ids_by_key = dict(
            (((object_id, due_at, key), pk))
            for pk, object_id, due_at, key in Alert.objects.filter(
                clock=clock.name, object_id__in={a.object_id for a in announced}, delivery=Alert.Delivery.EMAIL
            ).values_list("pk", "object_id", "due_at", "threshold")
        )
        OutboxEmail.objects.bulk_create(
            [
                OutboxEmail(alert_id=ids_by_key[(a.object_id, a.due_at, a.threshold)], created_at=now)
                for a in announced
                if (a.object_id, a.due_at, a.threshold) in ids_by_key
            ],
            ignore_conflicts=True,
        )
        for alert, cover in quiet:
            if cover is not None:
                alert.covered_by_id = ids_by_key.get((cover.object_id, cover.due_at, cover.threshold))
    if quiet:
        Alert.objects.bulk_create([alert for alert, _ in quiet], ignore_conflicts=True)
    return len({a.object_id for a in announced} | {a.object_id for a, _ in quiet})


def _signature(thresholds: list[registry.Threshold]) -> str:
    return ",".join(f"{t.key}={int(t.lead.total_seconds())}" for t in thresholds)


def _sweep_clock(
    clock: registry.Clock, now: datetime, worked_out_with: str | None, reworked: list[ClockSchedule]
) -> tuple[int, int | None]:
    """Raise what is due for one clock. Returns (objects that had a threshold recorded, rows read).

    Rows read is None for a clock without a schedule (it reads every running object).

    With a schedule: reads only the rows whose cursor is out of date (new, due value
    changed) or whose next threshold has come (two partial indexes), locked FOR NO KEY
    UPDATE SKIP LOCKED so concurrent sweeps share them out (a row a user's transaction
    holds is read by the next sweep, and a concurrent write of its due time waits for
    this sweep to commit); raises their due thresholds and moves their cursors.
    When the clock's thresholds differ from those the cursors were worked out with (a
    setting changed, or the first sweep), every armed row is read once instead, and the
    clock's new thresholds are appended to `reworked` for the caller to record.
    """
    schedule = clock.schedule
    if schedule is None or clock.model is None or clock.due_at is None:
        return _raise_due(clock, now), None
    thresholds = _sorted_thresholds(clock)
    signature = _signature(thresholds)
    full = worked_out_with != signature
    if full:
        # Unlocked: locking every row would write to each; concurrent full passes work out
        # the same cursors and write them in the same (pk) order.
        rows = clock.model.objects.filter(schedule.armed)
    else:
        rows = clock.model.objects.filter(schedule.candidates_q(now)).select_for_update(no_key=True, skip_locked=True)
    # Sorted here, not by the database, so nothing tempts the planner off the partial indexes.
    rows = sorted(rows.order_by().values_list(*schedule.fields()))
    horizon = now + thresholds[0].lead if thresholds else now
    cursors, due_ids = [], []
    for pk, value, *watched in rows:
        due_at = clock.due_at(value)
        later = [due_at - t.lead for t in thresholds if due_at - t.lead > now]
        cursors.append((pk, value, min(later) if later else None, watched))
        if thresholds and due_at <= horizon:
            due_ids.append(pk)
    # On a full pass the running objects are read whole (no list of ids to send).
    raised = _raise_due(clock, now, None if full else due_ids, thresholds)
    _cursors_write(clock, cursors)
    if full:
        reworked.append(ClockSchedule(clock=clock.name, thresholds=signature))
    return raised, len(cursors)


def _cursors_write(clock: registry.Clock, cursors: list[tuple[int, object, datetime | None, list]]) -> None:
    """Store each object's cursor: (pk, due value seen, next threshold time or None, watched values).

    The columns are the sweep's bookkeeping, left out of the model's history (see the
    models), so they are written directly, without a history row. On PostgreSQL one
    UPDATE … FROM (VALUES …) per 2,000 rows; elsewhere (SQLite) bulk_update.
    """
    if not cursors:
        return
    schedule, model = clock.schedule, clock.model
    names = [schedule.seen_field, schedule.next_field, *(shadow for _, shadow in schedule.watch)]
    if connection.vendor != "postgresql":
        objs = []
        for pk, value, next_at, watched in cursors:
            obj = model(pk=pk)
            for name, field_value in zip(names, [value, next_at, *watched], strict=True):
                setattr(obj, name, field_value)
            objs.append(obj)
        model.objects.bulk_update(objs, names, batch_size=500)
        return
    meta = model._meta
    fields = [meta.pk, *(meta.get_field(name) for name in names)]
    casts = [field.db_type(connection) for field in fields]
    quote = connection.ops.quote_name
    aliases = [f"c{i}" for i in range(len(fields))]
    assignments = ", ".join(
        f"{quote(field.column)} = v.{alias}" for field, alias in zip(fields[1:], aliases[1:], strict=True)
    )
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(cursors), 2000):
            chunk = cursors[start : start + 2000]
            params = []
            for pk, value, next_at, watched in chunk:
                for field, field_value in zip(fields, [pk, value, next_at, *watched], strict=True):
                    params.append(field.get_db_prep_value(field_value, connection))
            values = ", ".join([row_sql] * len(chunk))
            sql = (
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 (identifiers from model metadata; values are parameters)
                f"FROM (VALUES {values}) AS v({', '.join(aliases)}) WHERE t.{quote(meta.pk.column)} = v.{aliases[0]}"
            )
            cursor.execute(sql, params)


def deadline_check(*, clock: str, object_ids: list[int], now: datetime | None = None) -> None:
    """Raise what is due now for these objects, inside the caller's transaction.

    For services that start or move a clock (a breach reported, its awareness time
    corrected), so people hear at once rather than at the next sweep. The e-mails are
    handed to the worker after commit, without waiting on the broker.
    Raises KeyError for an unknown clock name.
    """
    now = now or timezone.now()
    _raise_due(registry.get(clock), now, list(object_ids))
    outbox_ids = list(
        OutboxEmail.objects.filter(
            alert__clock=clock, alert__object_id__in=list(object_ids), status=OutboxEmail.Status.PENDING
        ).values_list("pk", flat=True)
    )
    if outbox_ids:
        transaction.on_commit(partial(enqueue.send_soon, outbox_ids))


def deadlines_sweep() -> dict:
    """One run of the sweep (beat, every DEADLINE_SWEEP_SECONDS). Returns a summary for the task log.

    The summary: "clocks" (per clock, how many objects had a threshold recorded), "read"
    (per clock, how many of its rows the sweep read: those newly due or changed),
    "chores", "unknown" (e-mails marked so) and "to_send".

    State-based and idempotent: a missed, late, repeated or concurrent run raises exactly
    what is due by now, once per due time. It also marks e-mails abandoned mid-send as
    "unknown", republishes e-mails still to send (including those that could not be
    queued while Redis was down), runs the apps' registered chores (registry.Chore, e.g.
    sharing's transmissions left queued) and writes the heartbeat.
    """
    now = timezone.now()
    summary = {"swept_at": now.isoformat(), "clocks": {}}
    with transaction.atomic():
        worked_out_with = dict(ClockSchedule.objects.values_list("clock", "thresholds"))
        reworked: list[ClockSchedule] = []
        summary["read"] = {}
        for clock in registry.clocks():
            summary["clocks"][clock.name], summary["read"][clock.name] = _sweep_clock(
                clock, now, worked_out_with.get(clock.name), reworked
            )
        if reworked:
            ClockSchedule.objects.bulk_create(
                reworked, update_conflicts=True, unique_fields=["clock"], update_fields=["thresholds"]
            )
        summary["chores"] = {chore.name: _run_chore(chore, now) for chore in registry.chores()}
        summary["unknown"] = OutboxEmail.objects.filter(
            status=OutboxEmail.Status.SENDING, claimed_at__lt=now - selectors.sending_stale_after()
        ).update(status=OutboxEmail.Status.UNKNOWN)
        to_send = selectors.outbox_to_send()
        SweepHeartbeat.objects.bulk_create(
            [SweepHeartbeat(pk=1, last_sweep_at=now)],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["last_sweep_at"],
        )
        transaction.on_commit(partial(enqueue.publish_now, to_send))
    summary["to_send"] = len(to_send)
    return summary


def _run_chore(chore: registry.Chore, now: datetime) -> int | None:
    """Run one app's chore in a savepoint; a failure is logged and leaves the rest of the sweep alone."""
    try:
        with transaction.atomic():
            return chore.run(now)
    except Exception:
        logger.exception("The deadline sweep's chore %r failed; the next sweep tries again.", chore.name)
        return None


# --- The outbox ---------------------------------------------------------------------------


def outbox_queue(*, subject: str, body: str, recipients: list[str]) -> OutboxEmail:
    """Queue an e-mail whose text is known now; it is sent by the worker after commit.

    For e-mails that are not deadline alerts (which are rendered when sent). Returns the row.
    """
    row = OutboxEmail.objects.create(
        subject=subject, body=body, recipients=", ".join(recipients), created_at=timezone.now()
    )
    transaction.on_commit(partial(enqueue.send_soon, [row.pk]))
    return row


def _message_id(row: OutboxEmail) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "localhost"
    return f"<outbox-{row.pk}.{int(row.created_at.timestamp())}@{domain}>"


def _render_alert(row: OutboxEmail, now: datetime) -> registry.Message | None:
    alert = row.alert
    clock = registry.get(alert.clock)
    current = dict(clock.running(alert.due_at, [alert.object_id]))
    if current.get(alert.object_id) != alert.due_at:
        return None  # the clock stopped, or the due time moved: this alert concerns nobody now
    covered = list(alert.covering.order_by("fire_at"))
    return clock.message(alert, covered, now)


def outbox_send(*, outbox_id: int) -> str:
    """Send one outbox e-mail at most once. Returns the row's status afterwards ("" if not claimed).

    1. Claim: a conditional update pending/failed → sending, COMMITTED before anything is
       sent. Only one caller can win it; a redelivered task, a second worker or a later
       sweep finds the row taken and sends nothing.
    2. Send, with a fixed Message-ID.
    3. Record: sent; or failed (the server refused it: a later sweep retries, up to
       OUTBOX_MAX_ATTEMPTS); or unknown (the connection broke mid-send: never retried
       automatically). A process that dies between 2 and 3 leaves the row "sending";
       the sweep marks it unknown after OUTBOX_SENDING_STALE_MINUTES.
    """
    now = timezone.now()
    Status = OutboxEmail.Status
    with transaction.atomic():
        claimed = (
            OutboxEmail.objects.filter(pk=outbox_id)
            .filter(Q(status=Status.PENDING) | Q(status=Status.FAILED, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS))
            .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )
        if not claimed:
            return ""
        row = OutboxEmail.objects.select_related("alert").get(pk=outbox_id)
        if row.alert_id is not None:
            message = _render_alert(row, now)
            if message is None:
                row.status = Status.CANCELLED
                row.save(update_fields=["status"])
                return row.status
            row.subject, row.body, row.recipients = message.subject, message.body, ", ".join(message.recipients)
        if not row.recipients.strip():
            logger.warning("E-mail %s has nobody to send it to.", row.pk)
            row.status = Status.NO_RECIPIENTS
            row.save(update_fields=["status", "subject", "body", "recipients"])
            return row.status
        row.message_id = row.message_id or _message_id(row)
        row.save(update_fields=["subject", "body", "recipients", "message_id"])
    # The claim is committed: from here on, nobody else will send this row.
    recipients = [address.strip() for address in row.recipients.split(",") if address.strip()]
    outcome = mail_deliver(subject=row.subject, body=row.body, to=recipients, headers={"Message-ID": row.message_id})
    if outcome.status == Delivery.SENT:
        return _finish(row, Status.SENT)
    if outcome.status == Delivery.FAILED:
        return _finish(row, Status.FAILED, error=outcome.error)
    logger.error("E-mail %s: the send broke off; it may or may not have been delivered.", row.pk)
    return _finish(row, Status.UNKNOWN, error=outcome.error)


@dataclass(frozen=True)
class Delivery:
    """What the mail server did with one message: `status` is SENT, FAILED or UNKNOWN.

    FAILED: the server certainly did not take it (safe to try again). UNKNOWN: the
    connection broke after the message may have been accepted (never try again
    automatically). `error` is the exception's repr, or "".
    """

    SENT: ClassVar[str] = "sent"
    FAILED: ClassVar[str] = "failed"
    UNKNOWN: ClassVar[str] = "unknown"

    status: str
    error: str = ""


def mail_deliver(
    *,
    subject: str,
    body: str,
    to: list[str],
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
) -> Delivery:
    """Hand one message to the mail server, once. The ONLY place the project talks to it.

    Call it only after committing a claim (a row marked "sending"), so no other process
    sends the same thing: the outbox (`outbox_send`) and sharing's transmissions do.
    `attachments` are (file name, content, MIME type). Returns a Delivery: failures are
    classified, never raised (REFUSED errors are FAILED, any other is UNKNOWN), except
    BaseExceptions such as a worker being killed.
    """
    email = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, list(to), headers=headers or {})
    for name, content, mimetype in attachments:
        email.attach(name, content, mimetype)
    connection = get_connection()
    try:
        connection.open()
        sent = connection.send_messages([email])
    except REFUSED as exc:
        return Delivery(Delivery.FAILED, repr(exc))
    except Exception as exc:
        logger.exception("A message to %s broke off mid-send; it may or may not have been delivered.", to)
        return Delivery(Delivery.UNKNOWN, repr(exc))
    finally:
        try:
            connection.close()
        except Exception:  # the message was accepted (or not) already; closing changes nothing
            logger.warning("Closing the mail connection failed.")
    if not sent:
        return Delivery(Delivery.FAILED, "The mail backend sent nothing.")
    return Delivery(Delivery.SENT)


def _finish(row: OutboxEmail, status: str, *, error: str = "") -> str:
    updates = {"status": status, "last_error": error[:2000]}
    if status == OutboxEmail.Status.SENT:
        updates["sent_at"] = timezone.now()
    OutboxEmail.objects.filter(pk=row.pk, status=OutboxEmail.Status.SENDING).update(**updates)
    return status
