"""The Celery application. The beat schedule is defined here, in code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")

app = Celery("casework")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Run exactly one beat process (see README, "Worker and beat"). Every task below is
# state-based and idempotent, so a missed or repeated run delays work but never loses
# or duplicates it.
app.conf.beat_schedule = {
    # The one deadline mechanism (deadlines/): breach alerts, consent reviews and
    # expiries, agreement ends, statutory emergencies; it also republishes e-mails Redis
    # could not take and hands partner transmissions left queued to the worker again.
    "deadline-sweep": {
        "task": "deadlines.tasks.sweep_deadlines",
        # Seconds; shortened only by tests that run a real beat.
        "schedule": float(os.environ.get("DEADLINE_SWEEP_SECONDS", os.environ.get("BREACH_SWEEP_SECONDS", 5 * 60))),
    },
    "audit-seal": {
        "task": "access.tasks.seal_audit",
        # Short: until sealed, a row's deletion would go unnoticed (README, "The audit log").
        # Read from the environment like settings.AUDIT_SEAL_INTERVAL_SECONDS: this module
        # is imported while the settings themselves load.
        "schedule": float(os.environ.get("AUDIT_SEAL_INTERVAL_SECONDS") or 60),
    },
    "audit-seal-daily-digest": {
        "task": "access.tasks.email_seal_digest",
        "schedule": crontab(hour=6, minute=0),
    },
    # What is past its retention period (rights.retention), recorded daily for managers and
    # the ISO; approved retention batches whose task could not be published are re-queued.
    "retention-review": {
        "task": "rights.tasks.retention_review",
        "schedule": crontab(hour=int(os.environ.get("RETENTION_REVIEW_HOUR") or 5), minute=15),
    },
    # Confirmed client imports whose task could not be published (Redis was down).
    "client-imports-pending": {
        "task": "imports.tasks.start_pending_imports",
        "schedule": 5 * 60,
    },
}
