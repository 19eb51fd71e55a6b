"""Importing clients: a dry run that writes no client, then the confirmed import in batches.

- `import_check` stores the file privately, reads it (imports.parsing), checks every row
  as the forms would and against existing clients (exact NHS or National Insurance
  number, and the same numbers repeated in the file), and records the row-by-row report.
  No client is written.
- `import_confirm` queues the confirmed import (a Celery task, enqueued on commit).
- `import_run` (the task) writes the rows the dry run accepted through the same services
  as the forms (`clients.services.client_create`, `entry_create`), so every client gets
  its team managers' and key worker's permission rows, its history and an audit row. It
  works in batches of `IMPORT_BATCH_SIZE` rows, each one transaction: a failure leaves
  nothing of its batch, stops the import and says which batch and row stopped it. A
  redelivered task carries on after the last committed batch.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from access.gate import Action, Outcome, record, record_list
from accounts.models import Role, Team, User
from clients import services as client_services
from clients.categories import REGISTRY
from clients.duplicates import identifier_key, name_score
from clients.identifiers import nhs_number_problem, ni_number_problem
from clients.models import Client, identifier_key_expression
from consent.evidence import private_storage

from . import parsing
from .models import ClientImport

logger = logging.getLogger(__name__)

CREATE, INVALID, MATCH = "create", "invalid", "match"
_FIELD_LABELS = {
    "nhs_number": "NHS number",
    "national_insurance_number": "National Insurance number",
    "date_of_birth": "Date of birth",
    "opened_on": "Case opened",
}


class ImportFailed(Exception):
    """One batch could not be written; the batch is rolled back and the import stops."""


def may_import(user, team: Team) -> bool:
    """A service manager of `team`, or an admin."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.SERVICE_MANAGER and user.memberships.filter(team=team).exists()


def _normalised(number: str) -> str:
    return identifier_key(number)


def _label(name: str) -> str:
    return _FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def _key_workers(team: Team) -> dict[str, User]:
    """Active caseworkers of the team, by lower-case username and e-mail address."""
    people = {}
    for user in User.objects.filter(memberships__team=team, is_active=True, role=Role.CASEWORKER):
        people[user.username.lower()] = user
        if user.email:
            people[user.email.lower()] = user
    return people


def _check_row(row: parsing.Row, *, key_workers: dict[str, User], today) -> list[str]:
    """The row's problems, in words (none: it can be imported). Reads nothing from the database."""
    problems = list(row.problems)
    values = row.values
    for name in parsing.REQUIRED:
        if not values.get(name):
            problems.append(f"{_label(name)} is missing.")
    for name, value in values.items():
        if isinstance(value, str) and name in _MAX_LENGTHS and len(value) > _MAX_LENGTHS[name]:
            problems.append(f"{_label(name)} is longer than {_MAX_LENGTHS[name]} characters.")
    born = values.get("date_of_birth")
    if born and (born > today or born.year < 1900):
        problems.append(f"Date of birth {born:%d/%m/%Y} cannot be right (before 1900 or in the future).")
    opened = values.get("opened_on")
    if opened and opened > today:
        problems.append(f"Case opened {opened:%d/%m/%Y} is in the future.")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append(f"E-mail “{values['email']}” is not an e-mail address.")
    nhs_problem = nhs_number_problem(_normalised(values.get("nhs_number", "")))
    if nhs_problem:
        problems.append(f"NHS number: {nhs_problem}")
    ni_problem = ni_number_problem(_normalised(values.get("national_insurance_number", "")))
    if ni_problem:
        problems.append(f"National Insurance number: {ni_problem}")
    worker = values.get("key_worker", "")
    if worker and worker.lower() not in key_workers:
        problems.append(f"Key worker “{worker}” is not an active caseworker in this team (use their username).")
    for category, levels in row.entries.items():
        if levels.get("detail") and not levels.get("summary"):
            problems.append(f"{REGISTRY[category].label}: a detail needs a summary that is safe to share.")
    return problems


_MAX_LENGTHS = {
    field.name: field.max_length
    for field in Client._meta.concrete_fields
    if getattr(field, "max_length", None) and field.name in parsing.PLAIN_FIELDS
}


def _existing_numbers(nhs: set[str], nino: set[str]) -> dict[str, Client]:
    """Existing clients by normalised NHS and NI number (one query per 500 numbers of each kind)."""
    found: dict[str, Client] = {}
    for field, numbers in (("nhs_number", nhs), ("national_insurance_number", nino)):
        numbers = sorted(numbers)
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            normal = identifier_key_expression(field)
            for client in (
                Client.objects.annotate(normal=normal)
                .filter(normal__in=chunk, merged_into__isnull=True)
                .select_related("team")
                .only("pk", "reference", "team__name", field)
            ):
                found[f"{field}:{client.normal}"] = client
    return found


def _close_names(rows: list[parsing.Row]) -> dict[int, str]:
    """Row number -> the known client (or earlier row) with the same date of birth and a close name.

    The "Add a client" rule (clients.duplicates: case, accents, nicknames and order ignored,
    scored against DUPLICATE_NAME_SCORE), run for a whole file at once: one query per 500
    dates of birth, then scoring in Python.
    """
    by_birth: dict = {}
    for row in rows:
        born = row.values.get("date_of_birth")
        if born and row.values.get("first_name") and row.values.get("last_name"):
            by_birth.setdefault(born, []).append(row)
    known: dict = {}
    dates = sorted(by_birth)
    for start in range(0, len(dates), 500):
        for client in (
            Client.objects.filter(date_of_birth__in=dates[start : start + 500], merged_into__isnull=True)
            .select_related("team")
            .only("pk", "reference", "first_name", "last_name", "preferred_name", "date_of_birth", "team__name")
        ):
            known.setdefault(client.date_of_birth, []).append(client)
    threshold = settings.DUPLICATE_NAME_SCORE
    reasons: dict[int, str] = {}
    for born, same_day in by_birth.items():
        for position, row in enumerate(same_day):
            first, last = row.values["first_name"], row.values["last_name"]
            for client in known.get(born, []):
                names = {client.first_name, client.preferred_name} - {""}
                if any(name_score(first, last, name, client.last_name) >= threshold for name in names):
                    reasons[row.number] = (
                        f"A close name and the same date of birth as existing client {client.reference} "
                        f"({client.team.name})."
                    )
                    break
            if row.number in reasons:
                continue
            for earlier in same_day[:position]:
                if name_score(first, last, earlier.values["first_name"], earlier.values["last_name"]) >= threshold:
                    reasons[row.number] = (
                        f"A close name and the same date of birth as row {earlier.number} of this file."
                    )
                    break
    return reasons


def _duplicates(rows: list[parsing.Row]) -> dict[int, str]:
    """Row number -> why it may be someone already known: the same NHS or NI number (here or
    earlier in the file), or the same date of birth and a close name."""
    reasons = _number_duplicates(rows)
    for number, reason in _close_names(rows).items():
        reasons.setdefault(number, reason)
    return reasons


def _number_duplicates(rows: list[parsing.Row]) -> dict[int, str]:
    """Row number -> why it matches an existing client or an earlier row of the file by number."""
    numbers = {"nhs_number": {}, "national_insurance_number": {}}
    for row in rows:
        for field in numbers:
            value = _normalised(row.values.get(field, ""))
            if value:
                numbers[field].setdefault(value, []).append(row.number)
    existing = _existing_numbers(set(numbers["nhs_number"]), set(numbers["national_insurance_number"]))
    reasons: dict[int, str] = {}
    for field, by_value in numbers.items():
        for value, row_numbers in by_value.items():
            client = existing.get(f"{field}:{value}")
            for position, number in enumerate(row_numbers):
                if client is not None:
                    reasons.setdefault(
                        number, f"Same {_label(field)} as existing client {client.reference} ({client.team.name})."
                    )
                elif position:
                    reasons.setdefault(number, f"Same {_label(field)} as row {row_numbers[0]} of this file.")
    return reasons


def _evaluate(path: Path, team: Team) -> tuple[str, list[dict]]:
    """Read and check the whole file: (kind, report rows). Raises parsing.FileRefused."""
    kind, rows = parsing.read(path)
    rows = list(rows)
    key_workers = _key_workers(team)
    today = timezone.localdate()
    duplicates = _duplicates(rows)
    report = []
    for row in rows:
        problems = _check_row(row, key_workers=key_workers, today=today)
        name = f"{row.values.get('first_name', '')} {row.values.get('last_name', '')}".strip()
        if problems:
            report.append({"row": row.number, "outcome": INVALID, "name": name, "messages": problems})
        elif row.number in duplicates:
            report.append({"row": row.number, "outcome": MATCH, "name": name, "messages": [duplicates[row.number]]})
        else:
            report.append({"row": row.number, "outcome": CREATE, "name": name, "messages": []})
    return kind, report


def import_check(*, actor, team: Team, upload, request=None) -> ClientImport:
    """The dry run: store the upload privately, check every row, record the report. Writes no client.

    Raises PermissionError when `actor` may not import into `team`, parsing.FileRefused
    when the file cannot be imported at all (nothing is kept).
    """
    if not may_import(actor, team):
        raise PermissionError("Only the team's service managers and admins import clients.")
    if upload.size > settings.IMPORT_MAX_BYTES:
        mib = settings.IMPORT_MAX_BYTES / (1024 * 1024)
        raise parsing.FileRefused(f"The file is larger than {mib:.0f} MB. Split it into smaller files and import each.")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored_name = private_storage().save(f"imports/{uuid.uuid4().hex}.upload", File(upload))
    try:
        kind, report = _evaluate(Path(private_storage().path(stored_name)), team)
        with transaction.atomic():
            client_import = ClientImport.objects.create(
                team=team,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
                file_name=(upload.name or "upload")[-200:],
                stored_name=stored_name,
                kind=kind,
                sha256=digest.hexdigest(),
                report=report,
                rows_total=len(report),
                rows_to_import=sum(1 for item in report if item["outcome"] == CREATE),
                batch_size=settings.IMPORT_BATCH_SIZE,
            )
            record_list(
                actor,
                action=Action.LIST,
                request=request,
                detail=f"client import {client_import.reference} dry run: {client_import.rows_total} rows, "
                f"{client_import.rows_to_import} to import, team {team.name}",
            )
    except BaseException:
        private_storage().delete(stored_name)
        raise
    return client_import


def import_confirm(*, actor, client_import: ClientImport, request=None) -> ClientImport:
    """Queue the checked import; the task starts after this commits. Raises ValidationError if not waiting."""
    from .tasks import run_import

    with transaction.atomic():
        claimed = ClientImport.objects.filter(pk=client_import.pk, status=ClientImport.Status.CHECKED).update(
            status=ClientImport.Status.QUEUED, confirmed_by=actor, confirmed_at=timezone.now()
        )
        if not claimed:
            raise ValidationError("This import is not waiting for confirmation.")
        record_list(
            actor, action=Action.EDIT, request=request, detail=f"client import {client_import.reference} confirmed"
        )
        transaction.on_commit(lambda: _enqueue(run_import, client_import.pk))
    client_import.refresh_from_db()
    return client_import


def _enqueue(task, import_id: int) -> None:
    try:
        task.delay(import_id)
    except Exception:  # the broker is down: beat's pending-imports sweep starts it later
        logger.warning("Could not queue client import %s; the next sweep will start it.", import_id)


def import_cancel(*, actor, client_import: ClientImport) -> ClientImport:
    """Do not import a checked file after all; its stored copy is deleted."""
    with transaction.atomic():
        if not ClientImport.objects.filter(pk=client_import.pk, status=ClientImport.Status.CHECKED).update(
            status=ClientImport.Status.CANCELLED, finished_at=timezone.now()
        ):
            raise ValidationError("This import is not waiting for confirmation.")
    _forget_file(client_import)
    client_import.refresh_from_db()
    return client_import


def _forget_file(client_import: ClientImport) -> None:
    """Once an import has run or been cancelled, keep neither the file nor the names in its report.

    The clients imported are in the clients table; the rows not imported are people we never
    took on, so only their row numbers and the reasons stay (data minimisation, UK GDPR Art 5(1)(c)).
    """
    if client_import.stored_name:
        private_storage().delete(client_import.stored_name)
    report = [{**item, "name": ""} for item in client_import.report]
    ClientImport.objects.filter(pk=client_import.pk).update(stored_name="", report=report)
    client_import.stored_name, client_import.report = "", report


def _write_row(row: parsing.Row, *, client_import: ClientImport, actor, key_workers, source: str) -> Client:
    values = dict(row.values)
    worker = values.pop("key_worker", "")
    opened_on = values.pop("opened_on", None)
    details = {name: value for name, value in values.items() if value not in ("", None)}
    client = client_services.client_create(
        actor=actor,
        team=client_import.team,
        opened_on=opened_on,
        assign_to=key_workers[worker.lower()] if worker else None,
        source=source,
        **details,
    )
    for category, levels in row.entries.items():
        client_services.entry_create(
            actor=actor, client=client, category=category, summary=levels["summary"], detail=levels.get("detail", "")
        )
    # Creating is the first edit of the record, audited like a form-created client's.
    record(
        actor,
        action=Action.EDIT,
        outcome=Outcome.ALLOWED,
        client=client,
        categories=["identity", "contact", *row.entries],
        purpose=f"imported in {client_import.reference}",
    )
    return client


def import_run(*, import_id: int) -> ClientImport | None:
    """Write the confirmed import, batch by batch (the Celery task). Safe to run twice."""
    claimed = ClientImport.objects.filter(
        pk=import_id, status__in=[ClientImport.Status.QUEUED, ClientImport.Status.RUNNING]
    ).update(status=ClientImport.Status.RUNNING)
    if not claimed:
        return None
    client_import = ClientImport.objects.select_related("team", "confirmed_by").get(pk=import_id)
    actor = client_import.confirmed_by
    accepted = {item["row"] for item in client_import.report if item["outcome"] == CREATE}
    source = (
        f"Imported from {client_import.file_name} ({client_import.reference}) by {actor} "
        f"on {timezone.localdate():%d %B %Y}"
    )[:300]
    path = Path(private_storage().path(client_import.stored_name))
    key_workers = _key_workers(client_import.team)
    today = timezone.localdate()
    batch_number, batch = 0, []
    try:
        _, rows = parsing.read(path)
        for row in rows:
            if row.number not in accepted:
                continue
            batch.append(row)
            if len(batch) == client_import.batch_size:
                batch_number += 1
                _run_batch(
                    client_import, batch_number, batch, actor=actor, key_workers=key_workers, today=today, source=source
                )
                batch = []
        if batch:
            batch_number += 1
            _run_batch(
                client_import, batch_number, batch, actor=actor, key_workers=key_workers, today=today, source=source
            )
    except (ImportFailed, parsing.FileRefused, OSError) as exc:
        ClientImport.objects.filter(pk=import_id).update(
            status=ClientImport.Status.FAILED,
            failed_batch=batch_number or None,
            error=str(exc)[:2000],
            finished_at=timezone.now(),
        )
    else:
        ClientImport.objects.filter(pk=import_id).update(status=ClientImport.Status.DONE, finished_at=timezone.now())
    client_import.refresh_from_db()
    _forget_file(client_import)
    return client_import


def _run_batch(client_import, number: int, rows, *, actor, key_workers, today, source) -> None:
    """One batch in one transaction; skipped when an earlier run already committed it."""
    first, last = rows[0].number, rows[-1].number
    try:
        with transaction.atomic():
            locked = ClientImport.objects.select_for_update().get(pk=client_import.pk)
            if locked.batches_done >= number:
                return  # committed by an earlier run of this task
            for row in rows:
                problems = _check_row(row, key_workers=key_workers, today=today)
                duplicate = _duplicates([row]).get(row.number)
                if problems or duplicate:
                    raise ImportFailed(
                        f"Batch {number} (rows {first}–{last}) stopped at row {row.number}: "
                        + " ".join(problems or [duplicate])
                        + " Nothing of this batch was imported."
                    )
                try:
                    _write_row(row, client_import=client_import, actor=actor, key_workers=key_workers, source=source)
                except ValidationError as exc:
                    raise ImportFailed(
                        f"Batch {number} (rows {first}–{last}) stopped at row {row.number}: {' '.join(exc.messages)} "
                        "Nothing of this batch was imported."
                    ) from exc
            locked.batches_done = number
            locked.rows_imported += len(rows)
            locked.save(update_fields=["batches_done", "rows_imported"])
    finally:
        client_import.refresh_from_db(fields=["batches_done", "rows_imported"])


def pending_imports_start() -> int:
    """Beat's safety net: queue confirmed imports whose task was never published. Returns how many."""
    from .tasks import run_import

    pending = list(
        ClientImport.objects.filter(
            Q(status=ClientImport.Status.QUEUED), confirmed_at__lt=timezone.now() - timezone.timedelta(minutes=2)
        ).values_list("pk", flat=True)
    )
    for pk in pending:
        _enqueue(run_import, pk)
    return len(pending)
