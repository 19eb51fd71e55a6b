"""Scenarios run in a child process against a real SQLite file (see test_sqlite.py).

    DATABASE_URL=sqlite:///path python casework/tests/sqlite_scenarios.py SCENARIO

The test suite's own database is PostgreSQL (or SQLite in memory), so what only a file
database shared by several connections shows — locking between concurrent writers,
the append-only triggers of the embedded default — is checked here, with the project's
real settings. Prints one JSON object on the last line of stdout.
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")

import django

django.setup()

from django.db import connection, connections, transaction  # noqa: E402


def concurrent_writers(*, people: int = 4, notes_each: int = 8, holds: int = 6) -> dict:
    """Several people save case notes and open records at once through the views, while
    another connection (the Celery worker, say) repeatedly holds a write transaction.

    Returns the failures (unexpected statuses, exceptions) and the notes saved.
    """
    from django.test import Client as WebClient

    from access.gate import Action, Outcome, record
    from accounts.tests.factories import TeamFactory, UserFactory
    from clients import services
    from clients.models import CaseNote

    team = TeamFactory(name="Concurrency", slug="concurrency")
    pairs = []
    for n in range(people):
        person = UserFactory(username=f"writer{n}", teams=[team])
        client = services.client_create(
            actor=person, team=team, first_name="Sam", last_name=f"Writer{n}", reference=f"CONC-{n}"
        )
        pairs.append((person, client))
    connection.close()

    failures: list[str] = []
    start = threading.Barrier(people + 1, timeout=60)

    def writer(person, client):
        try:
            web = WebClient()
            web.force_login(person)
            start.wait()
            for i in range(notes_each):
                response = web.post(
                    f"/clients/{client.pk}/notes/add/",
                    {"category": "housing_history", "text": f"Note {i} from {person.username}: viewed a flat."},
                )
                if response.status_code != 302:
                    failures.append(f"{person.username} note {i}: {response.status_code}")
                page = web.get(f"/clients/{client.pk}/")
                if page.status_code != 200:
                    failures.append(f"{person.username} record {i}: {page.status_code}")
        except Exception as exc:
            start.abort()
            failures.append(f"{person.username}: {exc!r}")
        finally:
            connections.close_all()

    def worker():
        # A long write transaction, like the worker claiming a referral while it renders the PDF.
        try:
            start.wait()
            for _ in range(holds):
                with transaction.atomic():
                    record(None, action=Action.LIST, outcome=Outcome.ALLOWED, detail="worker holds the lock")
                    time.sleep(0.3)
                time.sleep(0.05)
        except Exception as exc:
            start.abort()
            failures.append(f"worker: {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=pair) for pair in pairs] + [threading.Thread(target=worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"failures": failures, "notes": CaseNote.objects.count(), "expected": people * notes_each}


def settings_in_force() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        busy = cursor.fetchone()[0]
    return {"journal_mode": journal, "busy_timeout_ms": busy, "transaction_mode": connection.transaction_mode}


def append_only() -> dict:
    """Try to change and delete an audit row on the file database `migrate` made."""
    from django.db import DatabaseError

    from access.gate import Action, Outcome, record
    from access.sqlite_triggers import installed_names

    event = record(None, action=Action.LIST, outcome=Outcome.ALLOWED, detail="append-only")
    refused = []
    for sql in (
        "UPDATE access_accessevent SET detail = 'x' WHERE id = %s",
        "DELETE FROM access_accessevent WHERE id = %s",
    ):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
        except DatabaseError as exc:
            refused.append(str(exc))
    return {"triggers": sorted(installed_names()), "refused": refused}


SCENARIOS = {"concurrent_writers": concurrent_writers, "settings": settings_in_force, "append_only": append_only}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]]()))
