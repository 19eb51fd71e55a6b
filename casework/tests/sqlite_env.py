"""The environment of a child process that runs the project on its own SQLite file."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def child_env(database: Path, tmp: Path) -> dict:
    """os.environ with the project's settings pointed at `database`, files kept in `tmp`."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DEBUG="0",
        SECRET_KEY="sqlite-scenario-secret-key-not-for-production",
        STATIC_MANIFEST="0",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_BROKER_URL="memory://",
        PRIVATE_STORAGE_ROOT=str(tmp / "private"),
        AUDIT_SEAL_FILE=str(tmp / "audit-seals.log"),
        LOG_LEVEL="WARNING",
    )
    return env
