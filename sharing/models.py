"""Data-sharing agreements, purpose templates, referrals, the disclosure log and the
"tell the recipient to stop" tasks that follow a withdrawal.

Partners, meeting groups and purposes are `consent`'s (docs/decisions/0003): an agreement,
a referral and a disclosure all point at the same `consent.Partner` and `consent.Purpose`
rows a consent names, so one comparison decides whether a share is covered.

`Disclosure` is the log of everything that left the organisation. A row is written once,
in the transaction that shares, and never changed: a PostgreSQL trigger refuses UPDATE and
DELETE, like the audit log. Its `snapshot` is exactly what was sent, so a later edit of the
client's record does not change what the log (or the referral PDF) says was disclosed.
"""

from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from casework import references
from clients.categories import REGISTRY, Selection
from consent.evidence import StoredFile
from deadlines.registry import Schedule


class AgreementDocument(StoredFile):
    """The signed data-sharing agreement, stored privately (consent's evidence storage)."""

    STORAGE_FOLDER = "agreements"


# Where the deadline sweep reads only the agreements newly due (deadlines.registry.Schedule).
AGREEMENT_END_SCHEDULE = Schedule(
    name="agreement_end",
    due_field="ends_on",
    seen_field="end_alerts_for",
    stale_field="end_alerts_stale",
    next_field="end_next_alert_at",
    armed=Q(ends_on__isnull=False),
)


class DataSharingAgreement(models.Model):
    """What a partner organisation has agreed to receive, for which purposes, and when.

    An agreement does not replace the client's consent or another lawful basis: it is the
    organisations' framework for sharing. A referral to a partner with an agreement in
    force may carry only what the agreement allows; a partner with none can still receive
    a consent-based referral, which managers then see listed.
    """

    partner = models.ForeignKey("consent.Partner", on_delete=models.PROTECT, related_name="sharing_agreements")
    reference = models.CharField(max_length=60, unique=True, help_text="e.g. DSA-2026-04")
    purposes = models.ManyToManyField("consent.Purpose", related_name="+")
    # clients.categories.Selection.to_json(): the most the partner may receive.
    selection = models.JSONField("information allowed", default=dict)
    starts_on = models.DateField()
    # The first day on which the agreement no longer covers anything.
    ends_on = models.DateField(null=True, blank=True)
    document = models.OneToOneField(
        AgreementDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="agreement"
    )
    notes = models.TextField(blank=True)

    # The deadline sweep's cursors (deadlines.registry.Schedule): bookkeeping, not part of
    # the record, so left out of its history and its forms.
    end_alerts_for = models.DateField(null=True, blank=True, editable=False)
    end_alerts_stale = AGREEMENT_END_SCHEDULE.stale_column()
    end_next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(m2m_fields=["purposes"], excluded_fields=AGREEMENT_END_SCHEDULE.columns())

    class Meta:
        ordering = ["partner__name", "-starts_on"]
        indexes = [
            models.Index(fields=["partner", "starts_on"], name="agreement_partner_start"),
            *AGREEMENT_END_SCHEDULE.indexes(),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="agreement_ends_after_start",
            )
        ]

    def __str__(self):
        return self.reference

    @property
    def selection_obj(self) -> Selection:
        return Selection.from_json(self.selection)

    def in_force(self, on: dt.date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on < self.ends_on)


class PurposeTemplate(models.Model):
    """The selection a referral for this purpose usually needs; a caseworker narrows or widens it."""

    purpose = models.OneToOneField("consent.Purpose", on_delete=models.PROTECT, related_name="sharing_template")
    selection = models.JSONField("suggested information", default=dict)
    note = models.TextField(blank=True, help_text="Shown on the referral: why these items are usually necessary.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["purpose__name"]

    def __str__(self):
        return f"Template for {self.purpose}"

    @property
    def selection_obj(self) -> Selection:
        return Selection.from_json(self.selection)


class Disclosure(models.Model):
    """One share that left the organisation. Append-only: written once, never changed."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral"
        MEETING = "meeting", "Multi-agency meeting"
        STATUTORY = "statutory", "Police or statutory request"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    reference = models.CharField(max_length=30, unique=True)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    # The recipient: one partner (a referral), or a meeting and the organisations present.
    partner = models.ForeignKey(
        "consent.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    meeting_group = models.ForeignKey(
        "consent.MeetingGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    meeting_on = models.DateField(null=True, blank=True)
    organisations_present = models.ManyToManyField(
        "consent.Partner", through="MeetingAttendance", related_name="+", blank=True
    )
    recipient_label = models.CharField(max_length=500)
    purpose = models.ForeignKey("consent.Purpose", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    purpose_label = models.CharField(max_length=200)
    # The basis that covered the whole share (one basis covers a share: consent.coverage).
    consent = models.ForeignKey(
        "consent.ConsentRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    lawful_basis = models.ForeignKey(
        "consent.LawfulBasisRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    basis_label = models.CharField(max_length=300)
    # The data-sharing agreement in force when it was sent; none is allowed but listed.
    agreement = models.ForeignKey(
        DataSharingAgreement, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    selection = models.JSONField()
    # Why each special-category or criminal-offence item was necessary: {key: text}.
    reasons = models.JSONField(default=dict, blank=True)
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    disclosed_at = models.DateTimeField()
    # Exactly what was sent (sharing.snapshot), and SHA-256 over its canonical JSON.
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)
    # Set once, when the personal content of the snapshot is removed after the client was
    # anonymised and the legal-claims period passed (`disclosure_content_remove`,
    # docs/decisions/0014); the reference, recipient, dates, basis and SHA-256 stay.
    content_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-disclosed_at"], name="disclosure_client_at"),
            models.Index(fields=["-disclosed_at"], name="disclosure_no_agreement", condition=Q(agreement__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(consent__isnull=False) & Q(lawful_basis__isnull=False)), name="disclosure_one_basis"
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="disclosure_append_only", operation=pgtrigger.Delete),
            # The one change the log admits: removing the content once, keeping what identifies the
            # disclosure and its hash. The app's database role may update only these columns.
            pgtrigger.Protect(
                name="disclosure_content_removal_only",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    'NOT (OLD."content_removed_at" IS NULL AND NEW."content_removed_at" IS NOT NULL '
                    'AND NEW."id" = OLD."id" AND NEW."reference" = OLD."reference" '
                    'AND NEW."client_id" = OLD."client_id" AND NEW."disclosed_at" = OLD."disclosed_at" '
                    'AND NEW."snapshot_sha256" = OLD."snapshot_sha256")'
                ),
            ),
        ]

    # Columns the content removal writes (access.management.commands.app_role_grants grants these alone).
    CONTENT_REMOVAL_FIELDS = ("snapshot", "reasons", "content_removed_at")

    def __str__(self):
        # No recipient: str() reaches admin delete pages outside the gate, and a named
        # officer or worker beside a disclosure about a client says too much there.
        return f"{self.reference}: {self.get_kind_display()}"

    @property
    def selection_obj(self) -> Selection:
        return Selection.from_json(self.selection)

    @property
    def basis(self):
        return self.consent or self.lawful_basis

    @property
    def reason_items(self) -> list[tuple[str, str]]:
        """(category label, why it was necessary), in registry order."""
        return [(REGISTRY[key].label, self.reasons[key]) for key in self.selection_obj if key in self.reasons]


class MeetingAttendance(models.Model):
    """An organisation present when a client was discussed at a meeting. Append-only too."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="attendances")
    partner = models.ForeignKey("consent.Partner", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["disclosure", "partner"], name="one_attendance_per_partner")]
        triggers = [
            pgtrigger.Protect(name="attendance_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.partner_id} at {self.disclosure_id}"


class Referral(models.Model):
    """A referral to a partner: a draft the caseworker shapes, then sent once (a Disclosure)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        DISCARDED = "discarded", "Discarded"

    class Safe(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNKNOWN = "unknown", "Not known: ask the client first"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("consent.Partner", on_delete=models.PROTECT, related_name="referrals")
    purpose = models.ForeignKey("consent.Purpose", on_delete=models.PROTECT, related_name="+")
    selection = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    disclosure = models.OneToOneField(
        Disclosure, null=True, blank=True, on_delete=models.PROTECT, related_name="referral"
    )
    # What we ask the partner to do and why now.
    request = models.TextField("what we are asking for", blank=True)
    # How the partner reaches the referring worker (name, team and e-mail come from their account).
    referrer_phone = models.CharField("your phone number", max_length=40, blank=True)
    # How the partner may contact the client safely (essential for domestic-abuse referrals).
    safe_to_phone = models.CharField("safe to phone?", max_length=10, choices=Safe.choices, blank=True)
    voicemail_ok = models.CharField("safe to leave a voicemail?", max_length=10, choices=Safe.choices, blank=True)
    letters_ok = models.CharField("safe to send letters?", max_length=10, choices=Safe.choices, blank=True)
    safe_contact_notes = models.TextField("safe time or number", blank=True)
    # Case notes chosen one by one: [note id, ...], each in a category chosen at detail level.
    notes = models.JSONField("case notes", default=list, blank=True)
    # A manager's approval to send with no data-sharing agreement in force (SharingPolicy).
    unagreed_approved_at = models.DateTimeField(null=True, blank=True)
    unagreed_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unagreed_reason = models.TextField("why it may go without an agreement", blank=True)
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="referral_client_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", disclosure__isnull=True)
                | Q(status="sent", disclosure__isnull=False)
                | Q(status="discarded", disclosure__isnull=True, discarded_at__isnull=False),
                name="referral_status_matches_disclosure",
            )
        ]

    def __str__(self):
        return f"{self.reference} to {self.partner_id}"

    @property
    def reference(self) -> str:
        return references.numbered("referral", self.pk)

    @property
    def selection_obj(self) -> Selection:
        return Selection.from_json(self.selection)

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def unagreed_approval(self) -> str:
        """ "Approved by M. Manager on 3 May 2026: reason", or "" when not approved."""
        if self.unagreed_approved_at is None:
            return ""
        by = self.unagreed_approved_by
        name = (by.get_full_name() or by.get_username()) if by is not None else "a manager"
        return f"Approved by {name} on {self.unagreed_approved_at:%-d %B %Y}: {self.unagreed_reason}"


class RecipientNotice(models.Model):
    """A task: tell a recipient to stop using information shared on a consent since withdrawn."""

    class How(models.TextChoices):
        EMAIL = "email", "Secure e-mail to the registered address"
        PHONE = "phone", "Phone call"
        LETTER = "letter", "Letter"
        IN_PERSON = "in_person", "In person"

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="notices")
    consent = models.ForeignKey("consent.ConsentRecord", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("consent.Partner", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recipient_notices"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The partner's registered secure address when the task was made: never a typed one.
    to_address = models.EmailField()
    subject = models.CharField(max_length=200)
    message = models.TextField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_how = models.CharField(max_length=20, choices=How.choices, blank=True)
    done_note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["disclosure", "consent", "partner"], name="one_notice_per_recipient"),
            models.CheckConstraint(condition=Q(done_at__isnull=True) | ~Q(done_how=""), name="notice_done_has_how"),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "created_at"], name="notice_open_by_worker", condition=Q(done_at=None)),
        ]

    def __str__(self):
        return f"Tell {self.partner_id} to stop using {self.disclosure_id}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class SharingPolicy(models.Model):
    """The organisation's sharing policy: one row, edited in admin (`SharingPolicy.current()`)."""

    class Delivery(models.TextChoices):
        EMAIL = "email", "By secure e-mail to the partner's registered address, as it is sent"
        OTHER = "other", "Handed over another way: recorded here, transmitted outside the system"

    class WithoutAgreement(models.TextChoices):
        APPROVAL = "approval", "Needs a service manager's approval, with a reason, before it can be sent"
        REFUSE = "refuse", "Refused"
        LISTED = "listed", "Sent on the client's consent alone, and listed for service managers"

    referral_delivery = models.CharField(
        "how referrals reach partners", max_length=10, choices=Delivery.choices, default=Delivery.EMAIL
    )
    without_agreement = models.CharField(
        "a referral to a partner with no data-sharing agreement in force",
        max_length=10,
        choices=WithoutAgreement.choices,
        default=WithoutAgreement.APPROVAL,
        help_text="Multi-agency meetings: with 'Refused', every organisation present needs an agreement in force.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "sharing policy"

    def __str__(self):
        return "Sharing policy"

    @classmethod
    def current(cls) -> SharingPolicy:
        """The one row (made with the defaults the first time it is asked for)."""
        return cls.objects.get_or_create(pk=1)[0]


class Transmission(models.Model):
    """One delivery of a referral, or of a "tell the recipient to stop" notice, by secure e-mail.

    Recording a disclosure and transmitting it are separate steps (DESIGN.md, "Leaving the
    organisation"). A transmission is requested (queued), claimed by the worker with a
    conditional update that commits before anything is sent (sending), and then sent or
    failed; a withdrawal, an ended basis, an objection or a restriction cancels a queued
    one; a claim that a crashed worker left behind becomes unknown (it may have left).
    Each request and each claim re-checks the basis with the basis rows locked.
    """

    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral"
        NOTICE = "notice", "Tell the recipient to stop"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        UNKNOWN = "unknown", "Outcome unknown"

    PENDING = (Status.QUEUED, Status.FAILED)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="transmissions")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="transmissions"
    )
    notice = models.ForeignKey(
        RecipientNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="transmissions"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("consent.Partner", on_delete=models.PROTECT, related_name="+")
    # The partner's registered secure address: when requested, then as claimed for sending.
    to_address = models.EmailField()
    # The basis a referral's transmission relies on (the disclosure's); none for a notice.
    consent = models.ForeignKey(
        "consent.ConsentRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lawful_basis = models.ForeignKey(
        "consent.LawfulBasisRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    # A failed send with attempts left: when its retry is due (UTC). The worker's retry is
    # scheduled for then; if that message is lost, the deadline sweep hands it on again.
    retry_due_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # The requester dismissed the dashboard message about a cancelled or failed transmission.
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(
                fields=["consent"], name="transmission_pending_consent", condition=Q(status__in=["queued", "failed"])
            ),
            models.Index(
                fields=["lawful_basis"], name="transmission_pending_basis", condition=Q(status__in=["queued", "failed"])
            ),
            models.Index(
                fields=["client"], name="transmission_pending_client", condition=Q(status__in=["queued", "failed"])
            ),
            models.Index(
                fields=["requested_by", "-requested_at"],
                name="transmission_stopped_by",
                condition=Q(status__in=["cancelled", "failed", "unknown"], dismissed_at=None),
            ),
        ]
        constraints = [
            # One delivery in progress at a time for a disclosure to a partner, per kind.
            models.UniqueConstraint(
                fields=["disclosure", "partner", "kind"],
                condition=Q(status__in=["queued", "sending", "failed"]),
                name="one_pending_transmission",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False) | ~Q(status="cancelled"),
                name="transmission_cancel_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.disclosure_id} to {self.to_address}: {self.status}"

    @property
    def basis(self):
        return self.consent or self.lawful_basis

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.SENDING, self.Status.FAILED)
