"""Background work of the audit log. Thin: each task calls a service that is safe to repeat."""

from datetime import date

from celery import shared_task

from . import audit


@shared_task
def seal_audit() -> int:
    """Seal the audit rows that have settled since the last run; returns how many seals were made."""
    return len(audit.seal_audit())


@shared_task
def email_seal_digest(day: str | None = None) -> list[str]:
    """E-mail the seal digest for `day` (ISO date), or yesterday and any missed day; each day once."""
    sent = audit.seal_digest_send(day=date.fromisoformat(day) if day else None)
    return [d.isoformat() for d in sent]
