"""The embedded default (SQLite) under real concurrency, in a child process on a file database.

Runs whatever database the rest of the suite uses: the child gets its own
`DATABASE_URL=sqlite:///…` and the project's real settings (see sqlite_scenarios.py).
"""

import json
import subprocess
import sys
from pathlib import Path

from casework.tests.sqlite_env import ROOT, child_env

SCENARIOS = Path(__file__).with_name("sqlite_scenarios.py")


def run_scenario(database: Path, name: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(SCENARIOS), name],
        cwd=ROOT,
        env=child_env(database, database.parent),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sqlite_connections_use_immediate_transactions_wal_and_a_busy_timeout(sqlite_file):
    found = run_scenario(sqlite_file, "settings")

    assert found == {"journal_mode": "wal", "busy_timeout_ms": 30_000, "transaction_mode": "IMMEDIATE"}


def test_concurrent_writers_on_sqlite_lose_nothing_and_never_see_an_error(sqlite_file):
    """Four people save notes and open records at once while a worker holds write transactions.

    With SQLite's default deferred transactions this failed with "database is locked"
    (a 503 "cannot be shown" page, or a lost note) whenever two writes met.
    """
    found = run_scenario(sqlite_file, "concurrent_writers")

    assert found["failures"] == []
    assert found["notes"] == found["expected"]


def test_a_migrated_sqlite_file_refuses_to_change_or_delete_audit_rows(sqlite_file):
    found = run_scenario(sqlite_file, "append_only")

    assert "append_only__accessevent_append_only__update" in found["triggers"]
    assert "append_only__disclosure_append_only__delete" in found["triggers"]
    assert found["refused"] == ["pgtrigger: Cannot update or delete rows from access_accessevent table"] * 2


def test_the_audit_unavailable_page_does_not_claim_nothing_changed(rf, caseworker):
    from access.gate import audit_unavailable_response

    for method in ("get", "post"):
        request = getattr(rf, method)("/clients/1/referrals/1/email/")
        request.user = caseworker
        response = audit_unavailable_response(request)
        text = response.content.decode()

        assert response.status_code == 503
        assert "nothing has been shown or changed" not in text.lower()
        assert "may" in text
        assert "check it before" in text
