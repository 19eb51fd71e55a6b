"""Police and statutory requests: who asked, on what basis, for what, and what we decided.

Police and other statutory bodies have no general right to client information
(DESIGN.md, principle 5). A request names one client (a request about several people
is logged once per person), what is asked for as a `{category: level}` selection plus
free text, and the basis claimed: a warrant or court order (scoped to what it names), an
emergency (only what serves it), a DPA 2018 Schedule 2 crime-exemption request, or none.
Immigration Enforcement has no power to demand anything: only the client's consent can
cover a disclosure to it.

A request is decided by a service manager of the client's team or the information
security officer; what is disclosed goes through sharing's public `disclosure_record`
service into the disclosure log, like every other share. The link from a request to the
disclosures that answered it lives here (`StatutoryDisclosure`), so that `sharing` never
depends on `statutory`.
"""

from __future__ import annotations

import datetime as dt

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from clients.categories import Selection
from consent.evidence import StoredFile
from deadlines.registry import Schedule

# An emergency disclosure made by a caseworker must be reviewed by a manager within this.
REVIEW_WITHIN = dt.timedelta(hours=24)


# Where the deadline sweep reads only the emergency requests and reviews newly due
# (deadlines.registry.Schedule): one cursor for each of the two clocks (statutory/deadlines.py).
EMERGENCY_REQUEST_SCHEDULE = Schedule(
    name="statutory_emergency",
    due_field="logged_at",
    seen_field="emergency_alerts_for",
    stale_field="emergency_alerts_stale",
    next_field="emergency_next_alert_at",
    armed=Q(status="open", basis="emergency"),
)
EMERGENCY_REVIEW_SCHEDULE = Schedule(
    name="statutory_review",
    due_field="decided_at",
    seen_field="review_alerts_for",
    stale_field="review_alerts_stale",
    next_field="review_next_alert_at",
    armed=Q(status="awaiting_review", decided_at__isnull=False),
)


class StatutoryRequest(models.Model):
    class Body(models.TextChoices):
        POLICE = "police", "Police force"
        IMMIGRATION = "immigration", "Immigration Enforcement (Home Office)"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        DWP = "dwp", "Department for Work and Pensions (DWP)"
        COURT = "court", "Court"
        OTHER = "other", "Other"

    class Verification(models.TextChoices):
        CALL_BACK = "call_back", "Called back through the force's or organisation's main switchboard"
        ID_SEEN = "id_seen", "Warrant card or official identity card seen and checked"
        OFFICIAL_EMAIL = "official_email", "Came from the organisation's official e-mail domain"
        KNOWN_CONTACT = "known_contact", "A named contact we already know and have verified before"
        NOT_VERIFIED = "not_verified", "Not verified yet"

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", "In person (at the door or office)"
        PHONE = "phone", "Phone"
        EMAIL = "email", "E-mail"
        LETTER = "letter", "Letter"
        OTHER = "other", "Other"

    class Basis(models.TextChoices):
        COURT_ORDER = "court_order", "Warrant or court order"
        EMERGENCY = "emergency", "Emergency"
        SCHEDULE_2 = "schedule_2", "DPA 2018 Schedule 2 crime-exemption request"
        NONE = "none", "No basis claimed"

    class OrderKind(models.TextChoices):
        SEARCH_WARRANT = "search_warrant", "Search warrant"
        PRODUCTION_ORDER = "production_order", "Production order"
        PRODUCTION_NOTICE = "production_notice", "Notice of an application for a production order"
        COURT_ORDER = "court_order", "Another court order (for example a witness summons)"

    class EmergencyKind(models.TextChoices):
        PREVENT_SERIOUS_CRIME = "prevent_serious_crime", "To prevent a serious crime"
        LOCATE_VICTIM = "locate_victim", "To locate a victim"
        APPREHEND_PERPETRATOR = "apprehend_perpetrator", "To apprehend a perpetrator"

    class Prejudice(models.TextChoices):
        YES = "yes", "Yes: telling the client would prejudice the investigation"
        NO = "no", "No"
        NOT_SAID = "not_said", "They did not say"

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting a decision"
        AWAITING_REVIEW = "awaiting_review", "Emergency disclosure awaiting a manager's review"
        CLOSED = "closed", "Decided"

    class Outcome(models.TextChoices):
        REFUSED = "refused", "Refused"
        DISCLOSED_FULL = "disclosed_full", "Disclosed in full"
        DISCLOSED_PART = "disclosed_part", "Disclosed in part"

    reference = models.CharField(max_length=30, unique=True)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")

    # Who is asking
    body = models.CharField("requesting body", max_length=20, choices=Body.choices)
    body_name = models.CharField("force or organisation", max_length=200)
    # The registered organisation, when it is one: only then can a consent name it.
    partner = models.ForeignKey(
        "consent.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="statutory_requests"
    )
    requester_name = models.CharField(max_length=200)
    requester_rank = models.CharField(max_length=100, blank=True)
    requester_number = models.CharField("collar or badge number", max_length=50, blank=True)
    requester_contact = models.TextField("contact details")
    verification = models.CharField("how their identity was verified", max_length=20, choices=Verification.choices)
    verification_note = models.TextField(blank=True)

    # How it reached us
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    logged_at = models.DateTimeField()

    # What they ask for
    period_from = models.DateField(null=True, blank=True)
    period_to = models.DateField(null=True, blank=True)
    asked_selection = models.JSONField("information asked for", default=dict, blank=True)
    asked_text = models.TextField("what they asked for, in their words")
    # "Everything you hold": chosen by the person logging it, or found by `statutory.is_broad`.
    broad = models.BooleanField("asks for everything we hold", default=False)
    # Case notes held in confidence when the request was logged: likely excluded material.
    confidential_notes = models.PositiveIntegerField(default=0)

    # The basis claimed
    basis = models.CharField("basis claimed", max_length=20, choices=Basis.choices)
    order_kind = models.CharField(max_length=20, choices=OrderKind.choices, blank=True)
    order_reference = models.CharField(max_length=100, blank=True)
    order_court = models.CharField("issuing court", max_length=200, blank=True)
    order_date = models.DateField(null=True, blank=True)
    # The warrant's scope, or for an emergency what serves it: nothing wider may be disclosed.
    scope = models.JSONField(default=dict, blank=True)
    emergency_kind = models.CharField(max_length=30, choices=EmergencyKind.choices, blank=True)
    emergency_urgency = models.TextField("why it is urgent", blank=True)
    authorising_officer_name = models.CharField(max_length=200, blank=True)
    authorising_officer_rank = models.CharField(max_length=100, blank=True)
    why_needed = models.TextField("why the information is needed")
    why_not_otherwise = models.TextField("why it cannot be obtained another way", blank=True)
    prejudice = models.CharField(
        "would telling the client prejudice the investigation", max_length=10, choices=Prejudice.choices
    )
    prejudice_note = models.TextField(blank=True)
    # Whether logging this request placed the client's records under legal hold.
    placed_legal_hold = models.BooleanField(default=False)

    # The decision
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reasons = models.TextField(blank=True)
    client_told = models.BooleanField(null=True, blank=True)
    client_not_told_reason = models.TextField(blank=True)

    # The emergency exception: a caseworker disclosed because life was at risk and no
    # manager or information security officer could be reached.
    emergency_exception = models.BooleanField(default=False)
    emergency_life_at_risk = models.TextField(blank=True)
    emergency_managers_tried = models.TextField(blank=True)
    # Set when the client was restricted for sharing (UK GDPR Art 18) and the caseworker's
    # emergency disclosure went ahead anyway (Art 18(2)): what was passed, for the review.
    emergency_restriction_passed = models.TextField("sharing restriction passed without a manager", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_upheld = models.BooleanField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    # The disclosures that answered it (at most one today), linked from this app.
    disclosures = models.ManyToManyField(
        "sharing.Disclosure", through="StatutoryDisclosure", related_name="statutory_requests", blank=True
    )

    # The deadline sweep's cursors (deadlines.registry.Schedule): bookkeeping, not part of
    # the record, so left out of its history and its forms.
    emergency_alerts_for = models.DateTimeField(null=True, blank=True, editable=False)
    emergency_alerts_stale = EMERGENCY_REQUEST_SCHEDULE.stale_column()
    emergency_next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_alerts_for = models.DateTimeField(null=True, blank=True, editable=False)
    review_alerts_stale = EMERGENCY_REVIEW_SCHEDULE.stale_column()
    review_next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=EMERGENCY_REQUEST_SCHEDULE.columns() + EMERGENCY_REVIEW_SCHEDULE.columns()
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-received_at"], name="statutory_client_received"),
            models.Index(fields=["received_at"], name="statutory_received"),
            models.Index(fields=["received_at"], name="statutory_open", condition=~Q(status="closed")),
            *EMERGENCY_REQUEST_SCHEDULE.indexes(),
            *EMERGENCY_REVIEW_SCHEDULE.indexes(),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_from__isnull=True)
                | Q(period_to__isnull=True)
                | Q(period_to__gte=models.F("period_from")),
                name="statutory_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(status="open", outcome="")
                | (~Q(status="open") & ~Q(outcome="") & Q(decided_at__isnull=False)),
                name="statutory_decided_has_outcome",
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.get_body_display()} about {self.client_id}"

    @property
    def scope_obj(self) -> Selection:
        return Selection.from_json(self.scope)

    @property
    def asked_obj(self) -> Selection:
        return Selection.from_json(self.asked_selection)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_emergency(self) -> bool:
        return self.basis == self.Basis.EMERGENCY

    @property
    def is_court_order(self) -> bool:
        return self.basis == self.Basis.COURT_ORDER

    @property
    def is_immigration(self) -> bool:
        return self.body == self.Body.IMMIGRATION

    @property
    def needs_consent(self) -> bool:
        """Only the client's consent can cover a disclosure: Immigration Enforcement, or no basis claimed."""
        return self.is_immigration or self.basis == self.Basis.NONE

    @property
    def limit(self) -> Selection:
        """The most that may be disclosed: a warrant's scope, what an emergency needs, else what was asked."""
        if self.basis in (self.Basis.COURT_ORDER, self.Basis.EMERGENCY) and not self.needs_consent:
            return self.scope_obj
        return self.asked_obj

    @property
    def limit_name(self) -> str:
        if self.needs_consent:
            return "what was asked for"
        if self.is_court_order:
            return f"the {self.get_order_kind_display().lower()}'s scope" if self.order_kind else "the order's scope"
        if self.is_emergency:
            return "what the emergency needs"
        return "what was asked for"

    @property
    def is_disclosed(self) -> bool:
        return self.outcome in (self.Outcome.DISCLOSED_FULL, self.Outcome.DISCLOSED_PART)

    @property
    def review_due_at(self) -> dt.datetime | None:
        if self.status != self.Status.AWAITING_REVIEW or self.decided_at is None:
            return None
        return self.decided_at + REVIEW_WITHIN

    def review_overdue(self, now: dt.datetime) -> bool:
        due = self.review_due_at
        return due is not None and now >= due

    @property
    def requester_label(self) -> str:
        parts = [self.requester_rank, self.requester_name]
        label = " ".join(p for p in parts if p)
        return f"{label} ({self.requester_number})" if self.requester_number else label

    @property
    def recipient_label(self) -> str:
        return f"{self.body_name} – {self.requester_label}"

    @property
    def basis_claim_label(self) -> str:
        """The basis claimed in one line, as the queue, the log and the PDF name it."""
        if self.basis == self.Basis.COURT_ORDER:
            kind = self.get_order_kind_display() or "Court order"
            court = f", {self.order_court}" if self.order_court else ""
            date = f", {self.order_date.day} {self.order_date:%B %Y}" if self.order_date else ""
            return f"{kind} {self.order_reference}{court}{date}".strip()
        if self.basis == self.Basis.EMERGENCY:
            return f"Emergency: {self.get_emergency_kind_display().lower()}" if self.emergency_kind else "Emergency"
        if self.basis == self.Basis.SCHEDULE_2:
            rank = f", authorised by {self.authorising_officer_rank}" if self.authorising_officer_rank else ""
            return f"DPA 2018 Schedule 2 crime exemption{rank}"
        return "No basis claimed"


class StatutoryDocument(StoredFile):
    """A copy of the warrant or court order, or the signed Schedule 2 form; private, served through the gate."""

    STORAGE_FOLDER = "statutory"

    class Kind(models.TextChoices):
        ORDER = "order", "Copy of the warrant or court order"
        SCHEDULE_2_FORM = "schedule_2_form", "Signed Schedule 2 request form"

    statutory_request = models.ForeignKey(StatutoryRequest, on_delete=models.PROTECT, related_name="documents")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["uploaded_at", "id"]


class StatutoryDisclosure(models.Model):
    """The request a police or statutory disclosure answered (its basis). Append-only, like the log."""

    statutory_request = models.ForeignKey(StatutoryRequest, on_delete=models.PROTECT, related_name="+")
    disclosure = models.OneToOneField("sharing.Disclosure", on_delete=models.PROTECT, related_name="statutory_link")

    class Meta:
        triggers = [
            pgtrigger.Protect(name="statutory_disclosure_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.disclosure_id} answered {self.statutory_request_id}"
