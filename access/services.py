"""Writes of the access app other than the gate's own audit rows: access reviews."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .gate import Action, Outcome, record
from .models import AccessEvent, AccessReview


@transaction.atomic
def access_review_record(
    *,
    actor,
    note: str,
    event: AccessEvent | None = None,
    security_event=None,
    subject=None,
    period_start: datetime.date | None = None,
    request=None,
) -> AccessReview:
    """Mark one access-review item reviewed, with a note. The review is itself audited (REVIEW).

    Exactly one of: an access event, a security event, or a person (with the period start)
    for an unusual-volume finding. The caller has checked the item is in `actor`'s scope.
    """
    if sum(x is not None for x in (event, security_event, subject)) != 1:
        raise ValueError("review exactly one item")
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Write what you found or did."})
    if event is not None and AccessReview.objects.filter(event=event).exists():
        raise ValidationError("This access has already been reviewed.")
    if security_event is not None and AccessReview.objects.filter(security_event=security_event).exists():
        raise ValidationError("This event has already been reviewed.")
    if subject is not None:
        if period_start is None:
            raise ValidationError("The review period is missing.")
        if AccessReview.objects.filter(subject=subject, period_start=period_start).exists():
            raise ValidationError("This finding has already been reviewed.")
    review = AccessReview(
        event=event,
        security_event=security_event,
        subject=subject,
        period_start=period_start if subject is not None else None,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        note=note,
    )
    review.full_clean()
    review.save()
    if event is not None:
        what = f"access event {event.pk}"
    elif security_event is not None:
        what = f"security event {security_event.pk}"
    else:
        what = f"volume of {subject} from {period_start:%Y-%m-%d}"
    record(
        actor,
        action=Action.REVIEW,
        outcome=Outcome.ALLOWED,
        client=event.client if event is not None else None,
        request=request,
        obj=review,
        detail=f"reviewed {what}",
    )
    return review
