"""Clients, their information by data category, case notes, caseload assignments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Replace, Upper
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from .categories import CATEGORY_CHOICES, REGISTRY


def identifier_key_expression(field: str):
    """An NHS or NI number as the duplicate check compares it (clients.duplicates.identifier_key)."""
    return Upper(Replace(Replace(F(field), Value(" "), Value("")), Value("-"), Value("")))


class Client(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    reference = models.CharField(max_length=20, unique=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="clients")
    # Identity
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    national_insurance_number = models.CharField(max_length=13, blank=True)
    nhs_number = models.CharField(max_length=12, blank=True)
    # Contact
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    preferred_contact = models.CharField(max_length=200, blank=True)
    # Case status
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=200, blank=True)
    # Where the record came from when it was not typed in here, e.g. "Imported from
    # caseload.xlsx (IMP-000004) by Morgan Manager on 3 March 2026".
    source = models.CharField(max_length=300, blank=True)
    # Legal hold: while set, nothing about the client may be deleted or anonymised.
    legal_hold_since = models.DateTimeField(null=True, blank=True)
    legal_hold_reason = models.CharField(max_length=300, blank=True)
    # A second record of the same person, merged (clients.merge.client_merge): a closed
    # tombstone whose pages redirect to the surviving record.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    # Set when the client was anonymised (rights.services.client_anonymise): the row is a stub.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name"]
        permissions = [("open_client", "Can open the client record")]
        indexes = [
            models.Index(fields=["team", "status"], name="client_team_status"),
            models.Index(fields=["last_name", "first_name"], name="client_name"),
            # The duplicate check's candidates (clients.duplicates): one date of birth, or the
            # NHS / NI number as compared (no spaces or hyphens, upper case).
            models.Index(fields=["date_of_birth"], name="client_date_of_birth"),
            models.Index(identifier_key_expression("nhs_number"), name="client_nhs_key"),
            models.Index(identifier_key_expression("national_insurance_number"), name="client_ni_key"),
            # The same name in any case, for a client added without a date of birth.
            models.Index(Lower("last_name"), Lower("first_name"), name="client_name_key"),
        ]

    def __str__(self):
        # The reference only: str() reaches places the gate does not guard (admin delete
        # and history pages, log entries, autocomplete, error reports). Pages that show
        # the name use `display_name`, after the gate opened the client.
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("clients:record", args=[self.pk])

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def under_legal_hold(self) -> bool:
        return self.legal_hold_since is not None


class ClientUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct foreign-key form: one indexed join instead of a generic one."""

    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission", "content_object"], name="client_uperm_lookup")]


class ClientGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["group", "permission", "content_object"], name="client_gperm_lookup")]


class InformationEntry(models.Model):
    """What we hold about a client in one data category: a shareable summary and the detail."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="entries")
    category = models.CharField(max_length=40, choices=CATEGORY_CHOICES)
    summary = models.TextField(help_text="A short statement that is safe to share more widely.")
    detail = models.TextField(blank=True, help_text="The full account. Shared only when the detail level is.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["client", "category", "recorded_at"]
        indexes = [models.Index(fields=["client", "category"], name="entry_client_category")]

    def __str__(self):
        # Without its content: str() reaches pages the gate does not guard.
        return f"{self.category_label} entry {self.pk} for client {self.client_id}"

    @property
    def category_label(self) -> str:
        return REGISTRY[self.category].label


class CaseNote(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="notes")
    category = models.CharField(max_length=40, choices=CATEGORY_CHOICES)
    text = models.TextField()
    # Counselling and welfare notes held in confidence: likely "excluded material" that
    # police can only obtain with a court's production order.
    held_in_confidence = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-written_at"]
        indexes = [models.Index(fields=["client", "-written_at"], name="note_client_written")]

    def __str__(self):
        return f"Note on {self.client_id} at {self.written_at:%Y-%m-%d}"


class Assignment(models.Model):
    """A caseworker working with a client. Starting one grants access; ending it revokes it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assignments")
    caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    is_key_worker = models.BooleanField(default=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Why it ended when a manager did not end it by hand: "Left Outreach North", "Account
    # deactivated", "Client moved to Riverside Hostel", ...
    end_reason = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "caseworker"], condition=Q(ended_on__isnull=True), name="one_open_assignment"
            )
        ]
        indexes = [
            models.Index(fields=["caseworker"], condition=Q(ended_on__isnull=True), name="assignment_open_by_worker"),
            # "Needs a key worker": a team's clients without an open key-worker assignment.
            models.Index(
                fields=["client"], condition=Q(ended_on__isnull=True, is_key_worker=True), name="assignment_open_key"
            ),
        ]

    def __str__(self):
        return f"{self.caseworker} → {self.client_id}"


class Alert(models.Model):
    """A warning about a client that everyone who opens the record must see first.

    Raised and ended only through `clients.services.alert_raise` / `alert_end`, which keep
    its history. A risk to staff is shown before anything else on every page about the client.
    """

    class Kind(models.TextChoices):
        RISK_TO_STAFF = "risk_to_staff", "Risk to staff"
        SAFEGUARDING = "safeguarding", "Safeguarding concern"
        DO_NOT_VISIT_ALONE = "do_not_visit_alone", "Do not visit alone"
        NO_CONTACT_BY_LETTER = "no_letters", "No contact by letter"
        OTHER = "other", "Other"

    # Kinds about the safety of the staff who meet the client: shown before anything else.
    STAFF_SAFETY = frozenset({Kind.RISK_TO_STAFF, Kind.DO_NOT_VISIT_ALONE})

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    text = models.CharField("what people need to know", max_length=500)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    review_by = models.DateField("review by", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField("why it ended", max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["client"], condition=Q(ended_at__isnull=True), name="alert_active_client")]

    def __str__(self):
        return f"{self.get_kind_display()} alert on {self.client_id}"

    @property
    def is_staff_safety(self) -> bool:
        return self.kind in self.STAFF_SAFETY

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class TimelineEvent(models.Model):
    """One key event in a client's story, shown on the timeline beside the case notes.

    Written by `clients.services.timeline_record`, which the services of consent, sharing
    and statutory requests call inside their own transactions (clients may not import them,
    so the object is named by `object_type` and `object_id`, not a foreign key).
    """

    class Kind(models.TextChoices):
        CASE_OPENED = "case_opened", "Case opened"
        CASE_CLOSED = "case_closed", "Case closed"
        CASE_REOPENED = "case_reopened", "Case reopened"
        CASE_MOVED = "case_moved", "Moved to another team"
        ALERT_RAISED = "alert_raised", "Alert raised"
        ALERT_ENDED = "alert_ended", "Alert ended"
        CONSENT_RECORDED = "consent_recorded", "Consent recorded"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
        REFERRAL_SENT = "referral_sent", "Referral sent"
        STATUTORY_LOGGED = "statutory_logged", "Statutory request logged"
        STATUTORY_DECIDED = "statutory_decided", "Statutory request decided"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="timeline_events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # The data categories the event is about, as ",key,key," so one LIKE finds a category
    # (blank: the case as a whole). Read them through `category_keys`.
    categories = models.CharField(max_length=600, blank=True)
    summary = models.CharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(max_length=60, blank=True)  # e.g. "consent.consentrecord"
    object_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["client", "-at"], name="timeline_client_at")]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.client_id} at {self.at:%Y-%m-%d}"

    @property
    def category_keys(self) -> list[str]:
        return [key for key in self.categories.split(",") if key]

    @property
    def category_labels(self) -> list[str]:
        return [REGISTRY[key].label for key in self.category_keys if key in REGISTRY]


class ClientMove(models.Model):
    """A client moved from one team to another by a manager, with the reason. Never edited.

    Both teams' managers see it: the new team's on its "needs a key worker" list, the old
    team's (who can no longer open the record) as a moved-out notice on theirs.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="moves")
    from_team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField()
    reason = models.TextField()
    assignments_ended = models.PositiveIntegerField(default=0)
    assignments_kept = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-moved_at", "-pk"]
        indexes = [
            models.Index(fields=["from_team", "-moved_at"], name="clientmove_from_team"),
            models.Index(fields=["to_team", "-moved_at"], name="clientmove_to_team"),
        ]

    def __str__(self):
        return f"Client {self.client_id} moved {self.from_team_id} → {self.to_team_id} at {self.moved_at:%Y-%m-%d}"
