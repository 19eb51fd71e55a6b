"""Fixtures for tests that run the project in a child process on a real SQLite file."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casework.tests.sqlite_env import ROOT, child_env


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file with every migration applied, made once per test session."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    database = folder / "template.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=child_env(database, folder),
        check=True,
        timeout=600,
    )
    return database


@pytest.fixture
def sqlite_file(migrated_sqlite, tmp_path) -> Path:
    """A fresh copy of the migrated SQLite file for one test."""
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated_sqlite, database)
    return database
