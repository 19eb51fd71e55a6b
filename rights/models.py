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

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .calendar import days_left, response_due


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

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["due_on"], name="sar_open_due", condition=Q(status="open")),
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
        return f"Erasure request {self.pk} about {self.client_id}"


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

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], name="rectification_open_due", condition=Q(status="open"))]
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
        return f"Rectification request {self.pk} about {self.client_id}"

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
