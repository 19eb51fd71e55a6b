"""Every test that migrates the database back restores the latest schema afterwards.

A migration test that stops at the migration it checks (or fails half-way) leaves the
test database without the columns later migrations add, and every transactional test
that runs after it fails for a reason that has nothing to do with it.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_that_runs_migrations_uses_schema_restored():
    offenders = []
    for path in ROOT.glob("*/tests/test_*.py"):
        text = path.read_text(encoding="utf-8")
        if "MigrationExecutor(" in text and ".migrate(" in text and "schema_restored" not in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"migrate back without the schema_restored fixture: {offenders}"
