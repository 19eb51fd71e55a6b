"""Clients' data-protection rights: subject access requests, and erasure requests.

A subject access request (UK GDPR Art 15) is logged in the register with who asked (the
client, or someone acting for them with the authority they hold), how their identity was
verified, what they asked for and when it was received. Its deadline is a real column,
kept by the services from the calendar-month rule (`rights.calendar.response_due`), so
the register sorts and filters on it.

An erasure request (Art 17) is decided by a service manager of the client's team with
the ground that applies, or the exemption that means the information is kept; when it is
granted the client is anonymised by `rights.services.client_anonymise`.
"""

from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.db import DatabaseError, models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from casework import references
from deadlines.registry import Schedule

from .calendar import days_left, response_due

# Where the deadline sweep reads only the requests newly due (deadlines.registry.Schedule).
SAR_SCHEDULE = Schedule(
    name="sar_alerts",
    due_field="due_on",
    seen_field="due_alerts_for",
    stale_field="due_alerts_stale",
    next_field="next_alert_at",
    armed=Q(status="open"),
)
RECTIFICATION_SCHEDULE = Schedule(
    name="rectification_alerts",
    due_field="due_on",
    seen_field="due_alerts_for",
    stale_field="due_alerts_stale",
    next_field="next_alert_at",
    armed=Q(status="open"),
)


class SubjectAccessRequest(models.Model):
    class Requester(models.TextChoices):
        CLIENT = "client", "The client"
        REPRESENTATIVE = "representative", "Someone acting for the client"

    class Authority(models.TextChoices):
        WRITTEN_AUTHORITY = "written_authority", "Written authority signed by the client"
        POWER_OF_ATTORNEY = "power_of_attorney", "Lasting or enduring power of attorney"
        DEPUTY = "deputy", "Deputy appointed by the Court of Protection"
        SOLICITOR = "solicitor", "Solicitor instructed by the client (with the client's signed authority)"
        OTHER = "other", "Other (described below)"

    class Verification(models.TextChoices):
        KNOWN_IN_PERSON = "known_in_person", "Known to staff and seen in person"
        PHOTO_ID = "photo_id", "Photo identity document seen"
        QUESTIONS = "questions", "Answered questions only the client could answer"
        OTHER_DOCUMENTS = "other_documents", "Other documents seen (described below)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Answered"

    reference = models.CharField(max_length=30, unique=True)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")

    requester = models.CharField("who is asking", max_length=20, choices=Requester.choices)
    requester_name = models.CharField("their name", max_length=200, blank=True)
    requester_relationship = models.CharField("their relationship to the client", max_length=200, blank=True)
    authority = models.CharField("their authority to act", max_length=30, choices=Authority.choices, blank=True)
    authority_note = models.TextField("about the authority", blank=True)
    verification = models.CharField("how identity was verified", max_length=20, choices=Verification.choices)
    verification_note = models.TextField(blank=True)
    asked_for = models.TextField("what they asked for")
    received_on = models.DateField("date received")

    # Kept by the services: response_due(received_on, extension_months=extension_months).
    due_on = models.DateField()
    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = models.TextField("why the request is complex", blank=True)
    extension_told_on = models.DateField("date the requester was told of the extension", null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    completion_note = models.TextField(blank=True)

    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField()

    # The deadline sweep's cursors (deadlines.registry.Schedule): bookkeeping, not part of
    # the record, so left out of its history and its forms.
    due_alerts_for = models.DateField(null=True, blank=True, editable=False)
    due_alerts_stale = SAR_SCHEDULE.stale_column()
    next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=SAR_SCHEDULE.columns())

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["due_on"], name="sar_open_due", condition=Q(status="open")),
            *SAR_SCHEDULE.indexes(),
            models.Index(fields=["client", "-received_on"], name="sar_client_received"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(extension_months__lte=2), name="sar_extension_at_most_two_months"),
            models.CheckConstraint(
                condition=Q(extension_months=0) | (~Q(extension_reason="") & Q(extension_told_on__isnull=False)),
                name="sar_extension_has_reason_and_date_told",
            ),
            models.CheckConstraint(
                condition=Q(requester="client") | ~Q(authority=""), name="sar_representative_has_authority"
            ),
            models.CheckConstraint(
                condition=Q(status="open", completed_on__isnull=True)
                | Q(status="completed", completed_on__isnull=False),
                name="sar_completed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.reference} about {self.client_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def original_due_on(self) -> dt.date:
        return response_due(self.received_on)

    def days_left(self, today: dt.date) -> int:
        return days_left(self.due_on, today)

    @property
    def requester_label(self) -> str:
        if self.requester == self.Requester.CLIENT:
            return "The client"
        relationship = f" ({self.requester_relationship})" if self.requester_relationship else ""
        return f"{self.requester_name}{relationship}, {self.get_authority_display().lower()}"


class ErasureRequest(models.Model):
    """A request to erase a client's information (Art 17), decided by a manager, carried out by one service."""

    class Ground(models.TextChoices):
        NO_LONGER_NECESSARY = "no_longer_necessary", "No longer necessary for the purpose it was collected for"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn and no other lawful basis"
        OBJECTION = "objection", "The client objected and there is no overriding legitimate ground"
        UNLAWFUL = "unlawful", "Processed unlawfully"
        LEGAL_OBLIGATION = "legal_obligation", "Erasure needed to comply with a legal obligation"

    class Exemption(models.TextChoices):
        LEGAL_OBLIGATION = "legal_obligation", "Kept to comply with a legal obligation (Art 17(3)(b))"
        PUBLIC_TASK = "public_task", "Kept for a task in the public interest (Art 17(3)(b))"
        LEGAL_CLAIMS = "legal_claims", "Kept for legal claims (Art 17(3)(e))"
        LEGAL_HOLD = "legal_hold", "Under legal hold (a court order or police investigation)"

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting a decision"
        GRANTED = "granted", "Granted: anonymised"
        REFUSED = "refused", "Refused"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField("date received")
    asked_by = models.CharField("who asked", max_length=200)
    asked_text = models.TextField("what they asked for")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField()

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    ground = models.CharField(max_length=30, choices=Ground.choices, blank=True)
    exemption = models.CharField(max_length=30, choices=Exemption.choices, blank=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open")
                | Q(status="granted", exemption="") & ~Q(ground="") & Q(decided_at__isnull=False)
                | Q(status="refused") & ~Q(exemption="") & Q(decided_at__isnull=False),
                name="erasure_decision_has_ground_or_exemption",
            ),
        ]

    def __str__(self):
        return f"{self.reference} about {self.client_id}"

    @property
    def reference(self) -> str:
        return references.numbered("erasure_request", self.pk)


class SarPack(models.Model):
    """A subject access pack compiled for one request by a Celery task, with visible progress.

    The files are stored privately (consent's evidence storage) and served through the gate.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Being compiled"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    sar = models.ForeignKey(SubjectAccessRequest, on_delete=models.PROTECT, related_name="packs")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    # Progress is written by the task with conditional updates: no history is kept of it.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=100, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf_name = models.CharField(max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    archive_name = models.CharField(max_length=200, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # Releasing renders the client's copy, as long as compiling: a task does it too
    # (rights.services.sar_pack_release_request). Blank: not asked; the SarRelease row is the result.
    release_status = models.CharField(
        max_length=10,
        blank=True,
        choices=[("queued", "Waiting for the worker"), ("running", "Being released"), ("failed", "Release failed")],
    )
    release_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"Pack {self.pk} for {self.sar_id}"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def releasing(self) -> bool:
        return self.release_status in ("queued", "running")


# --- Review before release (UK GDPR Art 15(4); DPA 2018 Sch 2) ---------------------------------


class SarWithholding(models.Model):
    """One item of a compiled pack that a reviewer withholds from the requester, with the exemption and why.

    `item_key` is the row's stable key in the compiled pack (`rights.pack.KEY`: "notes:12",
    "disclosures:4", "access:3456"). Changed only before the pack is released (the
    services refuse afterwards); the release keeps a frozen copy of every decision.
    """

    class Exemption(models.TextChoices):
        THIRD_PARTY = "third_party", "Information about another person (DPA 2018 Sch 2 Part 3 para 16)"
        CRIME = (
            "crime",
            "Crime and taxation: telling the client would prejudice the prevention or detection of crime "
            "(DPA 2018 Sch 2 Part 1 para 2)",
        )
        LEGAL_PRIVILEGE = "legal_privilege", "Legal professional privilege (DPA 2018 Sch 2 Part 4 para 19)"

    # What the released pack tells the client was relied on. Not the crime exemption: saying so
    # could itself prejudice the investigation (ICO guidance on exemptions, "neither confirm nor deny").
    TOLD_TO_CLIENT = {
        Exemption.THIRD_PARTY: "Information about other people, who have not agreed to it being shared with you.",
        Exemption.LEGAL_PRIVILEGE: "Information covered by legal professional privilege.",
    }

    pack = models.ForeignKey(SarPack, on_delete=models.PROTECT, related_name="withholdings")
    item_key = models.CharField(max_length=100)
    exemption = models.CharField(max_length=30, choices=Exemption.choices)
    note = models.TextField()
    withheld_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withheld_at = models.DateTimeField()

    class Meta:
        ordering = ["pack", "item_key"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "item_key"], name="sar_withholding_once_per_item"),
            models.CheckConstraint(condition=~Q(note=""), name="sar_withholding_has_note"),
        ]

    def __str__(self):
        return f"{self.item_key} withheld from pack {self.pack_id}"

    @property
    def section(self) -> str:
        return self.item_key.partition(":")[0]


class ReleasedPackChanged(DatabaseError):
    """A released subject access pack is frozen: it is never changed or deleted.

    A DatabaseError, like the trigger's refusal underneath it, so a caller sees one kind of
    error whichever layer refused (the model, the queryset, or the database itself).
    """


class SarReleaseQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ReleasedPackChanged("Cannot update a released subject access pack: it is frozen.")

    def content_remove(self, *, removed_at, content: dict, withheld: list) -> int:
        """The one change a release admits, once: its content removed, what identifies it and its
        SHA-256 kept (`rights.services.sar_releases_content_remove`, docs/decisions/0014 and 0016).
        The database refuses anything else, and a second removal. Returns the rows changed."""
        return super().update(
            content=content, withheld=withheld, pdf_name="", archive_name="", content_removed_at=removed_at
        )

    def delete(self):
        raise ReleasedPackChanged("Cannot delete a released subject access pack: it is frozen.")


class SarRelease(models.Model):
    """The pack as released to the requester: frozen, like a disclosure's snapshot.

    One per request. `content` is exactly what was released (the compiled pack without the
    withheld items), `withheld` the decisions as they stood (key, section, exemption, note,
    who, when), and the SHA-256 of the content's canonical JSON and of the PDF and archive
    bytes stored privately. Written once by `rights.services.sar_pack_release`; the model
    refuses a second save or a delete, and a trigger refuses UPDATE and DELETE in the
    database (PostgreSQL, and SQLite through access.sqlite_triggers).
    """

    sar = models.OneToOneField(SubjectAccessRequest, on_delete=models.PROTECT, related_name="release")
    pack = models.OneToOneField(SarPack, on_delete=models.PROTECT, related_name="release")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField()
    content = models.JSONField()
    content_sha256 = models.CharField(max_length=64)
    withheld = models.JSONField(default=list)
    pdf_name = models.CharField(max_length=200)
    pdf_sha256 = models.CharField(max_length=64)
    archive_name = models.CharField(max_length=200)
    archive_sha256 = models.CharField(max_length=64)
    # Set once, when the personal content is removed after the client was anonymised and the
    # legal-claims period passed (docs/decisions/0014, 0016): the hashes and dates stay.
    content_removed_at = models.DateTimeField(null=True, blank=True)

    objects = SarReleaseQuerySet.as_manager()

    # Columns the content removal writes (access.management.commands.app_role_grants grants these alone).
    CONTENT_REMOVAL_FIELDS = ("content", "withheld", "pdf_name", "archive_name", "content_removed_at")

    class Meta:
        triggers = [
            pgtrigger.Protect(name="sar_release_append_only", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="sar_release_content_removal_only",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    'NOT (OLD."content_removed_at" IS NULL AND NEW."content_removed_at" IS NOT NULL '
                    'AND NEW."id" = OLD."id" AND NEW."sar_id" = OLD."sar_id" '
                    'AND NEW."released_at" = OLD."released_at" AND NEW."content_sha256" = OLD."content_sha256" '
                    'AND NEW."pdf_sha256" = OLD."pdf_sha256" AND NEW."archive_sha256" = OLD."archive_sha256")'
                ),
            ),
        ]

    def __str__(self):
        return f"Release of pack {self.pack_id}"

    def save(self, *args, **kwargs):
        # A guard, not a rule: the row is written once, by the service, and never again.
        if not self._state.adding:
            raise ReleasedPackChanged("Cannot update a released subject access pack: it is frozen.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReleasedPackChanged("Cannot delete a released subject access pack: it is frozen.")


# --- Retention (UK GDPR Art 5(1)(e)) -----------------------------------------------------------
# The schedule, the daily review and approved anonymisation batches (rights.retention;
# docs/decisions/0015).


class RetentionRule(models.Model):
    """How long one kind of record is kept, counted from a named date (admin-editable, with history).

    `kind` is unique: one rule per kind of record. `period_months` counts calendar months
    (rights.calendar.add_calendar_months) from the date `starts_from` names; a record is past
    its retention from that date on. The periods are the organisation's choice, written down
    with the reason in `note`: the law sets no number (Art 5(1)(e) says "no longer than is
    necessary"), so sector practice (e.g. the NHS Records Management Code of Practice) is the
    usual guide.
    """

    class Kind(models.TextChoices):
        CLOSED_CASES = "closed_cases", "Closed cases (the client's whole record)"
        SUBJECT_ACCESS = "subject_access", "Subject access requests"
        BREACH_REPORTS = "breach_reports", "Personal data breach reports"
        STATUTORY_REQUESTS = "statutory_requests", "Police and statutory requests"
        AUDIT_EVENTS = "audit_events", "Audit log events (who opened or shared what)"

    class StartsFrom(models.TextChoices):
        CASE_CLOSED = "case_closed", "The date the case was closed"
        REQUEST_ANSWERED = "request_answered", "The date the request was answered"
        BREACH_DECIDED = "breach_decided", "The date the breach was decided (ICO notified or not reportable)"
        REQUEST_DECIDED = "request_decided", "The date the request was decided"
        EVENT_DATE = "event_date", "The date of the event"

    # The start dates each kind can count from (the date the record stops being worked on).
    STARTS_FOR_KIND = {
        Kind.CLOSED_CASES: [StartsFrom.CASE_CLOSED],
        Kind.SUBJECT_ACCESS: [StartsFrom.REQUEST_ANSWERED],
        Kind.BREACH_REPORTS: [StartsFrom.BREACH_DECIDED],
        Kind.STATUTORY_REQUESTS: [StartsFrom.REQUEST_DECIDED],
        Kind.AUDIT_EVENTS: [StartsFrom.EVENT_DATE],
    }

    kind = models.CharField("kind of record", max_length=30, choices=Kind.choices, unique=True)
    period_months = models.PositiveSmallIntegerField(
        "kept for (months)",
        help_text="Calendar months from the start date; 72 is six years. Sector practice, not law: e.g. the NHS "
        "Records Management Code of Practice keeps most adult care records 8 years after the last contact, and "
        "many housing and support providers keep closed cases 6 years (the limitation period for most claims).",
    )
    starts_from = models.CharField("counted from", max_length=30, choices=StartsFrom.choices)
    note = models.TextField("why this period", blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(period_months__gte=1), name="retention_period_at_least_a_month"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.period_label}"

    @property
    def period_label(self) -> str:
        years, months = divmod(self.period_months, 12)
        if not months:
            return f"{years} year{'s' if years != 1 else ''}"
        if not years:
            return f"{months} month{'s' if months != 1 else ''}"
        return f"{years} year{'s' if years != 1 else ''} {months} month{'s' if months != 1 else ''}"

    def clean(self):
        from django.core.exceptions import ValidationError

        allowed = self.STARTS_FOR_KIND.get(self.kind, [])
        if self.kind and self.starts_from not in allowed:
            raise ValidationError(
                {
                    "starts_from": "For this kind of record, count from: "
                    + " or ".join(str(self.StartsFrom(s).label).lower() for s in allowed)
                    + "."
                }
            )


class RetentionReview(models.Model):
    """What was past its retention on one day, per rule (written by the daily beat task).

    `counts` is a list of {"kind", "label", "period", "due", "held", "action"}; `by_team`
    maps a team id (as a string) to the number of its closed cases due, so a manager's page
    shows their teams' share. One row per local date; a second run that day replaces it.
    """

    taken_on = models.DateField(unique=True)
    taken_at = models.DateTimeField()
    counts = models.JSONField(default=list)
    by_team = models.JSONField(default=dict)

    class Meta:
        ordering = ["-taken_on"]

    def __str__(self):
        return f"Retention review {self.taken_on:%Y-%m-%d}"


class RetentionBatch(models.Model):
    """Clients past their retention, approved for anonymisation as a fixed list at that moment.

    Approved by a service manager (their teams' clients) or the ISO; anonymised by a Celery
    task in bounded transactions, each chunk through `clients_anonymise` after re-checking
    legal hold and retention. Progress is written by the task with conditional updates.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Approved: waiting for the worker"
        RUNNING = "running", "Anonymising"
        DONE = "done", "Finished"

    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="batches")
    # The rule as it stood when approved: a later change does not change what was approved.
    period_months = models.PositiveSmallIntegerField()
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    anonymised = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-approved_at", "-id"]
        indexes = [
            models.Index(
                fields=["status"], name="retentionbatch_pending", condition=Q(status__in=["queued", "running"])
            )
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return references.numbered("retention_batch", self.pk)

    @property
    def processed(self) -> int:
        return self.anonymised + self.skipped

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 100

    @property
    def finished(self) -> bool:
        return self.status == self.Status.DONE


class RetentionBatchItem(models.Model):
    """One client of an approved batch, and what became of it (anonymised, or skipped and why)."""

    class Outcome(models.TextChoices):
        PENDING = "", "Waiting"
        ANONYMISED = "anonymised", "Anonymised"
        SKIPPED = "skipped", "Skipped"

    batch = models.ForeignKey(RetentionBatch, on_delete=models.PROTECT, related_name="items")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True, default="")
    reason = models.CharField(max_length=400, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["batch", "client"], name="retention_item_once_per_batch")]
        indexes = [models.Index(fields=["batch", "outcome"], name="retention_item_batch_outcome")]

    def __str__(self):
        return f"{self.batch_id}: {self.client_id} {self.outcome or 'waiting'}"


# --- Rectification (UK GDPR Art 16) and telling recipients of a correction (Art 19) ----------
# The rules live in rights/rectification.py; docs/decisions/0017-rectification-notices.md says why.


class RectificationRequest(models.Model):
    """A client's request to correct (or complete) what we hold (Art 16), on the one-month clock.

    `due_on` is kept by the services from the calendar-month rule (`rights.calendar.response_due`).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting a decision"
        DECIDED = "decided", "Decided"

    class Decision(models.TextChoices):
        CORRECTED = "corrected", "Corrected as asked"
        PARTLY = "partly", "Partly corrected"
        REFUSED = "refused", "Refused"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField("date received")
    asked_by = models.CharField("who asked", max_length=200)
    what_is_wrong = models.TextField("what they say is wrong or incomplete")
    due_on = models.DateField()
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField()

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField("reasons", blank=True)
    outcome_on = models.DateField("date the client was told the outcome", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    # The deadline sweep's cursors (deadlines.registry.Schedule): bookkeeping, not part of
    # the record, so left out of its history and its forms.
    due_alerts_for = models.DateField(null=True, blank=True, editable=False)
    due_alerts_stale = RECTIFICATION_SCHEDULE.stale_column()
    next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=RECTIFICATION_SCHEDULE.columns())

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["due_on"], name="rectification_open_due", condition=Q(status="open")),
            *RECTIFICATION_SCHEDULE.indexes(),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", decision="", outcome_on__isnull=True)
                | Q(status="decided", outcome_on__isnull=False, decided_at__isnull=False) & ~Q(decision=""),
                name="rectification_decided_has_decision_and_date",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["", "corrected"]) | ~Q(decision_reason=""),
                name="rectification_refusal_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.reference} about client {self.client_id}"

    @property
    def reference(self) -> str:
        return references.numbered("rectification_request", self.pk)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def days_left(self, today: dt.date) -> int:
        return days_left(self.due_on, today)


class RectificationNotice(models.Model):
    """One recipient told of one correction of one item they were sent (Art 19).

    The item is what a disclosure's snapshot carried: an information entry ("entry:12"),
    the identity or contact facts ("facts:identity") or a case note ("note:5"). The
    correction is named by `correction_sha256`, the SHA-256 of the corrected values the
    recipient is told, so the same correction is never sent twice to the same recipient of
    the same disclosure (the unique constraint), and a later, different correction is.
    The corrected values themselves are not kept here: they are in the client's record,
    and in the outbox e-mail that carried them.
    """

    class How(models.TextChoices):
        EMAIL = "email", "Secure e-mail with the corrected information"
        EMAIL_WITHOUT_VALUE = "email_notice", "Secure e-mail without the corrected information"
        PHONE = "phone", "Phone call"
        LETTER = "letter", "Letter"
        IN_PERSON = "in_person", "In person"
        OTHER = "other", "Another way (described)"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    disclosure = models.ForeignKey("sharing.Disclosure", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("consent.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # "partner:<id>", or "body" for a statutory body that is not a registered partner.
    recipient_key = models.CharField(max_length=40)
    recipient_label = models.CharField(max_length=300)
    item_key = models.CharField(max_length=40)
    category = models.CharField(max_length=40)
    correction_sha256 = models.CharField(max_length=64)
    how = models.CharField(max_length=20, choices=How.choices)
    to_address = models.EmailField(blank=True)
    outbox_email = models.ForeignKey(
        "deadlines.OutboxEmail", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The basis the notice went under, as recorded in the SHARE audit row.
    basis = models.CharField(max_length=300)
    # Why the corrected information itself was not sent ("" when it was).
    withheld_reason = models.TextField(blank=True)
    note = models.TextField(blank=True)
    told_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    told_at = models.DateTimeField()

    class Meta:
        ordering = ["told_at", "id"]
        indexes = [models.Index(fields=["client", "item_key"], name="rectification_notice_item")]
        constraints = [
            models.UniqueConstraint(
                fields=["disclosure", "recipient_key", "item_key", "correction_sha256"],
                name="one_rectification_notice_per_correction",
            ),
            models.CheckConstraint(
                condition=~Q(how__in=["email", "email_notice"]) | Q(outbox_email__isnull=False) & ~Q(to_address=""),
                name="rectification_email_has_outbox_row",
            ),
        ]

    def __str__(self):
        return f"Correction notice {self.pk} for {self.disclosure_id}"
