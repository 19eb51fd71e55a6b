"""Writes to the breach register. Each service runs in a transaction and records who did it.

The audit trail of a breach is its simple-history: every service saves through `_save`,
which stamps the acting person and a change reason on the history row written in the
same transaction. Validation problems raise `ValidationError` keyed by field name, so a
form can show each one beside its field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clients.categories import REGISTRY
from clients.models import Client
from deadlines import selectors as deadline_selectors
from deadlines.models import SweepHeartbeat
from deadlines.services import deadline_check, outbox_queue, outbox_send

from . import selectors
from .clock import deadline_for
from .deadlines import CLOCK
from .models import (
    BreachNotification,
    BreachReport,
    IcoDecision,
    PeopleCategory,
    StaffInvolvement,
    Status,
    SubjectsException,
    SubjectsInformed,
)
from .risk import Risk, assess

logger = logging.getLogger(__name__)

# Awareness before this year is a typing slip (a register holds this organisation's breaches).
EARLIEST_YEAR = 2000

# A little slack for clocks that disagree between a browser and the server.
CLOCK_SLACK = timedelta(minutes=5)

# Status order: a later stage never moves a breach back to an earlier one.
_STAGE_ORDER = {
    Status.REPORTED: 0,
    Status.TRIAGED: 1,
    Status.ASSESSED: 2,
    Status.NOT_REPORTABLE: 3,
    Status.NOTIFIED: 3,
    Status.CLOSED: 4,
}

_REFERENCE_SPLIT = re.compile(r"[\s,;]+")


# --- Helpers ---------------------------------------------------------------------------


def _save(breach: BreachReport, *, actor, reason: str) -> None:
    breach._history_user = actor
    breach._change_reason = reason
    breach.full_clean()
    breach.save()


def _advance(breach: BreachReport, status: str) -> None:
    if _STAGE_ORDER[status] > _STAGE_ORDER[Status(breach.status)]:
        breach.status = status


def _ensure_open(breach: BreachReport) -> None:
    if breach.is_closed:
        raise ValidationError("This breach is closed: its record can no longer be changed.")


def _check_times(*, became_aware_at: datetime, occurred_at: datetime | None, now: datetime) -> None:
    errors = {}
    if became_aware_at > now + CLOCK_SLACK:
        errors["became_aware_at"] = "This can’t be in the future."
    elif became_aware_at.year < EARLIEST_YEAR:
        errors["became_aware_at"] = f"This is before {EARLIEST_YEAR}: check the year."
    if occurred_at is not None:
        if occurred_at > now + CLOCK_SLACK:
            errors["occurred_at"] = "This can’t be in the future."
        elif occurred_at > became_aware_at:
            errors["occurred_at"] = "This is after the organisation became aware of it: check both times."
    if errors:
        raise ValidationError(errors)


def _check_categories(categories: Iterable[str]) -> list[str]:
    keys = list(dict.fromkeys(categories))
    unknown = [key for key in keys if key not in REGISTRY]
    if unknown:
        raise ValidationError({"categories": f"Unknown data categories: {', '.join(unknown)}."})
    order = list(REGISTRY)
    return sorted(keys, key=order.index)


def _check_people_categories(values: Iterable[str]) -> list[str]:
    keys = list(dict.fromkeys(values))
    if any(key not in PeopleCategory.values for key in keys):
        raise ValidationError({"people_categories": "Choose from the listed categories of people."})
    return keys


def parse_client_references(text: str) -> list[str]:
    """Client references typed by a person, split on commas, semicolons and spaces, de-duplicated."""
    return list(dict.fromkeys(ref.upper() for ref in _REFERENCE_SPLIT.split(text or "") if ref))


def _set_affected_clients(breach: BreachReport, *, clients: Iterable[Client] = (), references: str = "") -> None:
    """Link the chosen clients and those matching the typed references; keep unmatched references.

    Nothing here is shown to the person who typed the references, so matching every
    client (not just the ones they may open) reveals nothing to them.
    """
    refs = parse_client_references(references)
    matched = {c.reference.upper(): c.pk for c in Client.objects.filter(reference__in=refs).only("pk", "reference")}
    ids = {c.pk for c in clients} | set(matched.values())
    breach.affected_clients.set(ids)
    unresolved = " ".join(ref for ref in refs if ref not in matched)
    if unresolved != breach.unresolved_client_references:
        # A save, not QuerySet.update(), so the history row shows it too (the caller's
        # _save set who and why on this instance).
        breach.unresolved_client_references = unresolved
        breach.save(update_fields=["unresolved_client_references"])


def _default_team(actor):
    membership = actor.memberships.select_related("team").order_by("team__name").first()
    return membership.team if membership else None


# --- Reporting and the stages of handling a breach ----------------------------------------


@transaction.atomic
def breach_report(
    *,
    actor,
    what_happened: str,
    became_aware_at: datetime,
    occurred_at: datetime | None = None,
    occurred_note: str = "",
    categories: Iterable[str] = (),
    clients: Iterable[Client] = (),
    client_references: str = "",
    team=None,
    disclosures: Iterable = (),
) -> BreachReport:
    """Record a suspected breach, start its clock and alert the team's managers and the ISO.

    `clients` must already be limited to clients the reporter may see (the report form
    offers only `clients_visible_to(actor)`); `client_references` may name any client.
    `disclosures` (sharing.Disclosure rows, likewise limited) link it to the disclosure log.
    """
    now = timezone.now()
    if not (what_happened or "").strip():
        raise ValidationError({"what_happened": "Say what happened."})
    _check_times(became_aware_at=became_aware_at, occurred_at=occurred_at, now=now)
    breach = BreachReport(
        team=team or _default_team(actor),
        reported_by=actor,
        reported_at=now,
        status=Status.REPORTED,
        what_happened=what_happened.strip(),
        occurred_at=occurred_at,
        occurred_note=occurred_note.strip(),
        became_aware_at=became_aware_at,
        deadline_at=deadline_for(became_aware_at),
        categories=_check_categories(categories),
    )
    _save(breach, actor=actor, reason="Reported")
    _set_affected_clients(breach, clients=clients, references=client_references)
    disclosures = list(disclosures)
    if disclosures:
        breach.disclosures.set(disclosures)
    # The clock starts now: the "reported" alert (and, for a breach the organisation
    # became aware of long ago, one alert saying where its clock stands) is raised in
    # this transaction and e-mailed after commit.
    deadline_check(clock=CLOCK, object_ids=[breach.pk], now=now)
    return breach


@transaction.atomic
def breach_triage(
    *,
    actor,
    breach: BreachReport,
    what_happened: str,
    how_discovered: str,
    became_aware_at: datetime,
    occurred_at: datetime | None,
    occurred_note: str,
    categories: Iterable[str],
    people_affected_approx: int | None,
    records_affected_approx: int | None,
    people_categories: Iterable[str],
    cyber_incident: bool,
    cyber_details: str,
    containment: str,
    client_references: str,
    team,
) -> BreachReport:
    """Establish the facts. Moving became_aware_at moves the deadline with it."""
    breach = BreachReport.objects.select_for_update().get(pk=breach.pk)
    _ensure_open(breach)
    _check_times(became_aware_at=became_aware_at, occurred_at=occurred_at, now=timezone.now())
    breach.what_happened = what_happened.strip()
    breach.how_discovered = how_discovered.strip()
    breach.became_aware_at = became_aware_at
    breach.deadline_at = deadline_for(became_aware_at)
    breach.occurred_at = occurred_at
    breach.occurred_note = occurred_note.strip()
    breach.categories = _check_categories(categories)
    breach.people_affected_approx = people_affected_approx
    breach.records_affected_approx = records_affected_approx
    breach.people_categories = _check_people_categories(people_categories)
    breach.cyber_incident = cyber_incident
    breach.cyber_details = cyber_details.strip() if cyber_incident else ""
    breach.containment = containment.strip()
    breach.team = team
    _advance(breach, Status.TRIAGED)
    _save(breach, actor=actor, reason="Triaged")
    _set_affected_clients(breach, clients=(), references=client_references)
    # A corrected awareness time moves the deadline: thresholds not yet passed under the
    # new one are armed again, and one already passed but not announced is raised now.
    deadline_check(clock=CLOCK, object_ids=[breach.pk])
    return breach


@transaction.atomic
def breach_assess(
    *,
    actor,
    breach: BreachReport,
    likely_consequences: str,
    likelihood: str,
    severity: str,
    risk_reasoning: str,
    staff_involved: Iterable = (),
) -> BreachReport:
    """Assess the risk to the people affected; the level comes from the documented matrix."""
    breach = BreachReport.objects.select_for_update().get(pk=breach.pk)
    _ensure_open(breach)
    errors = {}
    if not likely_consequences.strip():
        errors["likely_consequences"] = "Describe the likely consequences for the people affected."
    if not risk_reasoning.strip():
        errors["risk_reasoning"] = "Give the reasoning behind the assessment."
    try:
        risk = assess(likelihood, severity)
    except ValueError:
        errors["likelihood" if not likelihood else "severity"] = "Choose the likelihood and the severity."
    if errors:
        raise ValidationError(errors)
    breach.likely_consequences = likely_consequences.strip()
    breach.likelihood = likelihood
    breach.severity = severity
    breach.risk = risk
    breach.risk_reasoning = risk_reasoning.strip()
    _advance(breach, Status.ASSESSED)
    _save(breach, actor=actor, reason="Assessed")
    _set_staff_involved(breach, staff_involved)
    return breach


def _set_staff_involved(breach: BreachReport, people: Iterable) -> None:
    """Keep each person's training date as it was when they were first recorded as involved."""
    people = {person.pk: person for person in people}
    breach.staff_involvements.exclude(user_id__in=people).delete()
    existing = set(breach.staff_involvements.values_list("user_id", flat=True))
    StaffInvolvement.objects.bulk_create(
        StaffInvolvement(breach=breach, user=person, training_on=person.data_protection_training_on)
        for pk, person in people.items()
        if pk not in existing
    )


@transaction.atomic
def breach_decide(
    *,
    actor,
    breach: BreachReport,
    notify_ico: str,
    decision_reasons: str,
    subjects_informed: str = "",
    subjects_informed_at: datetime | None = None,
    subjects_informed_how: str = "",
    subjects_exception: str = "",
    other_organisations_told: str = "",
) -> BreachReport:
    """Decide whether to notify the ICO (and say whether the people affected were told), with reasons."""
    breach = BreachReport.objects.select_for_update().get(pk=breach.pk)
    _ensure_open(breach)
    if not breach.risk:
        raise ValidationError("Assess the risk before deciding whether to notify the ICO.")
    errors = {}
    if notify_ico not in IcoDecision.values:
        errors["notify_ico"] = "Choose whether to notify the ICO."
    elif notify_ico == IcoDecision.NOT_REPORTABLE and breach.risk != Risk.UNLIKELY:
        errors["notify_ico"] = (
            f"The risk was assessed as “{Risk(breach.risk).label.lower()}”: a breach likely to result in a risk "
            "to people must be reported to the ICO. Change the assessment first if it was wrong."
        )
    elif notify_ico == IcoDecision.NOT_REPORTABLE and breach.notifications.exists():
        errors["notify_ico"] = "The ICO has already been notified of this breach."
    if not decision_reasons.strip():
        errors["decision_reasons"] = "Give the reasons for the decision."
    errors.update(
        _check_subjects(breach, subjects_informed, subjects_informed_at, subjects_informed_how, subjects_exception)
    )
    if errors:
        raise ValidationError(errors)
    breach.notify_ico = notify_ico
    breach.decision_reasons = decision_reasons.strip()
    breach.decided_by = actor
    breach.decided_at = timezone.now()
    breach.subjects_informed = subjects_informed
    breach.subjects_informed_at = subjects_informed_at if subjects_informed == SubjectsInformed.TOLD else None
    breach.subjects_informed_how = subjects_informed_how.strip() if subjects_informed == SubjectsInformed.TOLD else ""
    breach.subjects_exception = subjects_exception if subjects_informed == SubjectsInformed.NOT_TOLD else ""
    breach.other_organisations_told = other_organisations_told.strip()
    if notify_ico == IcoDecision.NOT_REPORTABLE:
        breach.status = Status.NOT_REPORTABLE
    elif breach.notifications.filter(kind=BreachNotification.Kind.INITIAL).exists():
        breach.status = Status.NOTIFIED
    else:
        # Decided to notify but not yet notified: the clock keeps running (and alerting),
        # including for a breach earlier decided not reportable.
        breach.status = Status.ASSESSED
    _save(breach, actor=actor, reason="Decided")
    deadline_check(clock=CLOCK, object_ids=[breach.pk])
    return breach


def _check_subjects(breach, informed, informed_at, how, exception) -> dict[str, str]:
    errors = {}
    if informed and informed not in SubjectsInformed.values:
        errors["subjects_informed"] = "Choose one of the options."
    if informed == SubjectsInformed.TOLD:
        if informed_at is None:
            errors["subjects_informed_at"] = "Say when they were told."
        elif informed_at > timezone.now() + CLOCK_SLACK:
            errors["subjects_informed_at"] = "This can’t be in the future."
        elif breach.occurred_at is not None and informed_at < breach.occurred_at:
            errors["subjects_informed_at"] = "This is before the breach happened."
        elif informed_at < breach.became_aware_at:
            errors["subjects_informed_at"] = "This is before the organisation became aware of the breach."
        if not how.strip():
            errors["subjects_informed_how"] = "Say how they were told."
    if informed == SubjectsInformed.NOT_TOLD:
        if exception not in SubjectsException.values:
            errors["subjects_exception"] = "Choose the exception that applies."
        elif exception == SubjectsException.NOT_HIGH_RISK and breach.risk == Risk.HIGH:
            errors["subjects_exception"] = (
                "The risk was assessed as high: the people affected must be told unless another exception applies."
            )
    return errors


@transaction.atomic
def breach_record_notification(
    *,
    actor,
    breach: BreachReport,
    kind: str,
    notified_at: datetime,
    method: str = BreachNotification.Method.ONLINE,
    reference: str = "",
    summary: str = "",
    delay_reasons: str = "",
) -> BreachNotification:
    """Record a report made to the ICO. A late initial report needs the reasons for the delay."""
    breach = BreachReport.objects.select_for_update().get(pk=breach.pk)
    _ensure_open(breach)
    if breach.notify_ico != IcoDecision.NOTIFY:
        raise ValidationError("Record the decision to notify the ICO first.")
    has_initial = breach.notifications.filter(kind=BreachNotification.Kind.INITIAL).exists()
    errors = {}
    if kind not in BreachNotification.Kind.values:
        errors["kind"] = "Choose the kind of report."
    elif kind == BreachNotification.Kind.INITIAL and has_initial:
        errors["kind"] = "The initial report is already recorded: record this one as a follow-up."
    elif kind == BreachNotification.Kind.FOLLOW_UP and not has_initial:
        errors["kind"] = "Record the initial report first."
    if notified_at > timezone.now() + CLOCK_SLACK:
        errors["notified_at"] = "This can’t be in the future."
    elif notified_at < breach.became_aware_at:
        errors["notified_at"] = "This is before the organisation became aware of the breach."
    delay_reasons = delay_reasons.strip() or breach.delay_reasons
    late = kind == BreachNotification.Kind.INITIAL and notified_at > breach.deadline_at
    if late and not delay_reasons:
        errors["delay_reasons"] = (
            "The ICO was notified more than 72 hours after the organisation became aware: "
            "give the reasons for the delay."
        )
    if errors:
        raise ValidationError(errors)
    notification = BreachNotification(
        breach=breach,
        kind=kind,
        notified_at=notified_at,
        method=method,
        reference=reference.strip(),
        summary=summary.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    notification._history_user = actor
    notification.full_clean()
    notification.save()
    breach.delay_reasons = delay_reasons
    if kind == BreachNotification.Kind.INITIAL:
        breach.status = Status.NOTIFIED
    _save(breach, actor=actor, reason=f"ICO notified ({notification.get_kind_display().lower()})")
    return notification


@transaction.atomic
def breach_close(*, actor, breach: BreachReport, lessons: str) -> BreachReport:
    """Close a breach: only with a decision and its reasons (and the ICO report, when notifying)."""
    breach = BreachReport.objects.select_for_update().get(pk=breach.pk)
    _ensure_open(breach)
    problems = []
    if not breach.notify_ico or not breach.decision_reasons.strip():
        problems.append("Record the decision on notifying the ICO, with its reasons, before closing.")
    elif breach.notify_ico == IcoDecision.NOTIFY and breach.status != Status.NOTIFIED:
        problems.append("The decision was to notify the ICO: record the ICO notification before closing.")
    if not breach.subjects_informed:
        problems.append("Record whether the people affected were told before closing.")
    errors: dict[str, list[str]] = {}
    if problems:
        errors["__all__"] = problems
    if not lessons.strip():
        errors["lessons"] = ["Record the lessons learned and the actions taken."]
    if errors:
        raise ValidationError(errors)
    breach.lessons = lessons.strip()
    breach.status = Status.CLOSED
    breach.closed_at = timezone.now()
    breach.closed_by = actor
    _save(breach, actor=actor, reason="Closed")
    return breach


# --- The deadline sweep's heartbeat ------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def heartbeat_check_stale() -> deadline_selectors.HeartbeatState:
    """Is the deadline sweep running? If not, e-mail the ISO, once per stale episode.

    Called by the pages managers look at, so the first request that notices a stopped
    worker or beat raises it. It e-mails directly rather than through Celery, which is
    what has stopped (through the outbox, so it is sent at most once and its outcome is
    recorded). An episode ends when a sweep runs again (last_sweep_at moves past
    stale_emailed_at); the conditional update lets exactly one request claim each episode.
    """
    now = timezone.now()
    state = deadline_selectors.heartbeat_state(now)
    if not state.stale:
        return state
    stale_before = now - deadline_selectors.stale_after()
    try:
        with transaction.atomic():
            SweepHeartbeat.objects.bulk_create([SweepHeartbeat(pk=1)], ignore_conflicts=True)
            claimed = (
                SweepHeartbeat.objects.filter(pk=1)
                .filter(Q(last_sweep_at__isnull=True) | Q(last_sweep_at__lt=stale_before))
                .filter(Q(stale_emailed_at__isnull=True) | Q(stale_emailed_at__lt=F("last_sweep_at")))
                .update(stale_emailed_at=now)
            )
            recipients = selectors.security_officer_emails() if claimed else []
            if recipients:
                context = {
                    "last_sweep_at": state.last_sweep_at,
                    "stale_after": deadline_selectors.stale_after(),
                    "url": _absolute(reverse("breaches:queue")),
                    "organisation_name": settings.ORGANISATION_NAME,
                }
                row = outbox_queue(
                    subject=render_to_string("breaches/email/stale_subject.txt", context).strip(),
                    body=render_to_string("breaches/email/stale_body.txt", context),
                    recipients=recipients,
                )
                # Sent from this process after commit, not only by the worker, which may be
                # what has stopped; the outbox's claim means only one of them sends it.
                transaction.on_commit(partial(outbox_send, outbox_id=row.pk))
    except Exception:  # the warning on the page still shows; the next request tries again
        logger.exception("Could not e-mail the information security officer about the stopped breach sweep.")
    return state
