"""Consent reviews, consent expiry and the end of other lawful bases, on the shared deadline mechanism.

Each date (ConsentRecord.review_due, ConsentRecord.expires_on, LawfulBasisRecord.ends_on)
is a day: its due time is the start of that day in the organisation's time zone, as UTC.
One threshold each: CONSENT_REVIEW_WINDOW_DAYS before it, when the item enters the window
and appears on the caseworker's dashboard (selectors.dashboard_panel). The client's key
workers are then e-mailed once per item (and once again only if its date changes). The
e-mail names the client by reference only, never by name: e-mail is less safe than the app.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from deadlines.registry import Clock, Message, Threshold, register

from .models import BASIS_END_SCHEDULE, EXPIRY_SCHEDULE, REVIEW_SCHEDULE, ConsentRecord, LawfulBasisRecord

REVIEW = "consent.review"
EXPIRY = "consent.expiry"
BASIS_END = "consent.basis_end"


def start_of_day(day: dt.date) -> dt.datetime:
    """The first instant of `day` in the organisation's time zone (settings.TIME_ZONE), in UTC."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())
    return local.astimezone(dt.UTC)


def _last_day(horizon: dt.datetime) -> dt.date:
    """The last day whose start is at or before `horizon`."""
    return timezone.localtime(horizon, timezone.get_default_timezone()).date()


def window() -> dt.timedelta:
    return dt.timedelta(days=settings.CONSENT_REVIEW_WINDOW_DAYS)


def _window_threshold() -> list[Threshold]:
    days = settings.CONSENT_REVIEW_WINDOW_DAYS
    return [Threshold(f"{days}d", window(), f"Due within {days} days")]


def running_reviews(horizon, ids):
    """Consents in force (not withdrawn, not expired) with a review date on or before `horizon`'s day."""
    today = timezone.localdate()
    queryset = ConsentRecord.objects.filter(
        withdrawn_at__isnull=True, review_due__isnull=False, review_due__lte=_last_day(horizon)
    ).exclude(expires_on__lte=today)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return [(pk, start_of_day(day)) for pk, day in queryset.values_list("pk", "review_due")]


def running_expiries(horizon, ids):
    """Consents not withdrawn whose expiry date is on or before `horizon`'s day."""
    queryset = ConsentRecord.objects.filter(
        withdrawn_at__isnull=True, expires_on__isnull=False, expires_on__lte=_last_day(horizon)
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return [(pk, start_of_day(day)) for pk, day in queryset.values_list("pk", "expires_on")]


def running_basis_ends(horizon, ids):
    """Other lawful bases not ended early (objection, need passed) whose end date is on or before `horizon`'s day."""
    queryset = LawfulBasisRecord.objects.filter(
        ended_at__isnull=True, ends_on__isnull=False, ends_on__lte=_last_day(horizon)
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return [(pk, start_of_day(day)) for pk, day in queryset.values_list("pk", "ends_on")]


def key_worker_emails(client_id: int) -> list[str]:
    """Addresses of the client's current key workers (active, with an address)."""
    return sorted(
        set(
            User.objects.filter(
                is_active=True,
                assignments__client_id=client_id,
                assignments__is_key_worker=True,
                assignments__ended_on__isnull=True,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _message(record, *, what: str, day: dt.date) -> Message:
    client = record.client
    url = settings.SITE_URL.rstrip("/") + reverse("consent:tab", args=[client.pk])
    when = "was" if day < timezone.localdate() else "is"
    subject = f"[{settings.ORGANISATION_NAME}] {what} for client {client.reference} by {day:%-d %B %Y}"
    body = (
        f"{what} for client {client.reference}: the date {when} {day:%A %-d %B %Y}.\n\n"
        f"Record: {record.recipients_text}\n"
        f"Open the client's consent tab to act on it: {url}\n\n"
        f"You are told once, because you are the client's key worker. It stays on your dashboard "
        f"until it is dealt with.\n\n— {settings.ORGANISATION_NAME} casework\n"
    )
    return Message(subject=subject, body=body, recipients=key_worker_emails(client.pk))


def review_message(alert, covered, now):
    record = ConsentRecord.objects.select_related("client").filter(pk=alert.object_id).first()
    return _message(record, what="Consent review due", day=record.review_due) if record else None


def expiry_message(alert, covered, now):
    record = ConsentRecord.objects.select_related("client").filter(pk=alert.object_id).first()
    return _message(record, what="Consent expires", day=record.expires_on) if record else None


def basis_end_message(alert, covered, now):
    record = LawfulBasisRecord.objects.select_related("client").filter(pk=alert.object_id).first()
    if record is None:
        return None
    return _message(record, what=f"{record.get_basis_display()} basis ends", day=record.ends_on)


def register_clocks() -> None:
    for name, running, message, model, schedule in (
        (REVIEW, running_reviews, review_message, ConsentRecord, REVIEW_SCHEDULE),
        (EXPIRY, running_expiries, expiry_message, ConsentRecord, EXPIRY_SCHEDULE),
        (BASIS_END, running_basis_ends, basis_end_message, LawfulBasisRecord, BASIS_END_SCHEDULE),
    ):
        register(
            Clock(
                name=name,
                running=running,
                thresholds=_window_threshold,
                message=message,
                model=model,
                schedule=schedule,
                due_at=start_of_day,
            )
        )
