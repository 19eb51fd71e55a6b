"""Partners, purposes, privacy notices, consent records and the other lawful bases.

Partner organisations, meeting groups and purposes live here, not in `sharing`, because a
consent must name its recipients and purposes and `consent` sits below `sharing`
(docs/decisions/0003-partners-live-in-consent.md).

Both kinds of basis, `ConsentRecord` and `LawfulBasisRecord`, have the same scope shape:
recipients (named partners, or one meeting group), purposes and a `{category: level}`
selection. Whether a basis covers a share is decided in `consent.coverage`; the
queries that feed it are in `consent.selectors`.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clients.categories import Selection
from deadlines.registry import Schedule

from .evidence import StoredFile


class Partner(models.Model):
    """A partner organisation that may receive client information."""

    class Kind(models.TextChoices):
        HOUSING = "housing", "Housing provider"
        SUBSTANCE_USE = "substance_use", "Substance-use service"
        DOMESTIC_ABUSE = "domestic_abuse", "Domestic-abuse service"
        HEALTH = "health", "Health"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        POLICE = "police", "Police"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The only address referrals may be e-mailed to: never a typed-in one.
    secure_email = models.EmailField("registered secure e-mail address")
    # A free webmail address is refused (settings.SECURE_EMAIL_REFUSED_DOMAINS) unless an admin
    # records why it is accepted for this partner.
    webmail_reason = models.TextField(
        "why a free webmail address is accepted",
        blank=True,
        help_text="Only if the partner has no secure address: who agreed, and what the partner does to keep it secure.",
    )
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MeetingGroup(models.Model):
    """A standing multi-agency meeting, e.g. a rough sleeper action group.

    A basis that names the group covers sharing at its meetings with its named member
    organisations only; anyone else present is not covered.
    """

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(Partner, related_name="meeting_groups")
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords(m2m_fields=["members"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Purpose(models.Model):
    """Why information is shared. Consents, bases and referrals speak of the same purposes."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PrivacyNotice(models.Model):
    """One version of the information given to clients. Never edited: publish a new version."""

    version = models.CharField(max_length=40, unique=True)
    text = models.TextField()
    effective_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_on", "-id"]
        triggers = [pgtrigger.Protect(name="privacynotice_immutable", operation=pgtrigger.Update)]

    def __str__(self):
        return f"Privacy notice {self.version} (from {self.effective_on:%d %b %Y})"


class ConsentEvidence(StoredFile):
    """A signed consent form, stored privately and downloadable only through the gate."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    STORAGE_FOLDER = "consent"

    class Meta:
        verbose_name_plural = "consent evidence"


class BasisScope(models.Model):
    """What every basis names: recipients, purposes and the selection of information."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    partners = models.ManyToManyField(Partner, related_name="+", blank=True)
    meeting_group = models.ForeignKey(MeetingGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    purposes = models.ManyToManyField(Purpose, related_name="+")
    # clients.categories.Selection.to_json(): {"housing_history": "detail", ...}
    selection = models.JSONField(default=dict)

    class Meta:
        abstract = True

    @property
    def selection_obj(self) -> Selection:
        return Selection.from_json(self.selection)

    def recipient_names(self) -> list[str]:
        """Uses prefetched partners when present."""
        if self.meeting_group_id:
            return [self.meeting_group.name]
        return [partner.name for partner in self.partners.all()]

    @property
    def recipients_text(self) -> str:
        return _join_names(self.recipient_names())


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# A module-level handle so the service can write one creation row that includes the
# many-to-many scope (see consent.services._write_history).
# Where the deadline sweep reads only the consents and bases newly due (deadlines.registry.Schedule).
# A consent's review clock stops when it expires, so a changed expiry date re-arms it too.
REVIEW_SCHEDULE = Schedule(
    name="consent_review",
    due_field="review_due",
    seen_field="review_alerts_for",
    stale_field="review_alerts_stale",
    next_field="review_next_alert_at",
    armed=Q(withdrawn_at__isnull=True, review_due__isnull=False),
    watch=(("expires_on", "review_alerts_expiry"),),
)
EXPIRY_SCHEDULE = Schedule(
    name="consent_expiry",
    due_field="expires_on",
    seen_field="expiry_alerts_for",
    stale_field="expiry_alerts_stale",
    next_field="expiry_next_alert_at",
    armed=Q(withdrawn_at__isnull=True, expires_on__isnull=False),
)
BASIS_END_SCHEDULE = Schedule(
    name="basis_end",
    due_field="ends_on",
    seen_field="end_alerts_for",
    stale_field="end_alerts_stale",
    next_field="end_next_alert_at",
    armed=Q(ended_at__isnull=True, ends_on__isnull=False),
)

consent_history = HistoricalRecords(
    m2m_fields=["partners", "purposes"], excluded_fields=REVIEW_SCHEDULE.columns() + EXPIRY_SCHEDULE.columns()
)
lawful_basis_history = HistoricalRecords(
    m2m_fields=["partners", "purposes"], excluded_fields=BASIS_END_SCHEDULE.columns()
)


class ConsentRecord(BasisScope):
    """A client's consent to share named information with named recipients for named purposes."""

    class Method(models.TextChoices):
        WRITTEN = "written", "Written, with the signed form"
        VERBAL = "verbal", "Verbal, witnessed"
        ELECTRONIC = "electronic", "Electronic"

    class WithdrawalMethod(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        WRITING = "writing", "By letter or e-mail"
        OTHER_AGENCY = "other_agency", "Through another agency"

    # How each way of withdrawing reads in a sentence: "withdrawn on 3 May 2026, verbally, ...".
    WITHDRAWAL_PHRASES = {
        WithdrawalMethod.IN_PERSON: "verbally",
        WithdrawalMethod.PHONE: "by phone",
        WithdrawalMethod.WRITING: "in writing",
        WithdrawalMethod.OTHER_AGENCY: "through another agency",
    }

    method = models.CharField("how consent was given", max_length=20, choices=Method.choices)
    evidence = models.OneToOneField(
        ConsentEvidence, null=True, blank=True, on_delete=models.PROTECT, related_name="consent"
    )
    witness_name = models.CharField(max_length=200, blank=True)
    verbal_notes = models.TextField(blank=True)
    # For special-category and criminal-offence items a verbal consent must be explicit:
    # the client's own words agreeing to share those items.
    explicit_statement = models.TextField(blank=True)
    electronic_reference = models.CharField(max_length=200, blank=True)
    notice = models.ForeignKey(
        PrivacyNotice, on_delete=models.PROTECT, related_name="consents", verbose_name="privacy notice given"
    )
    # Consent cannot be recorded without capacity; the field records that it was assessed.
    has_capacity = models.BooleanField(default=True)
    support_used = models.CharField("support or interpreter used", max_length=300, blank=True)
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    review_due = models.DateField(null=True, blank=True)
    # The first day on which the consent no longer covers anything.
    expires_on = models.DateField(null=True, blank=True)

    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_method = models.CharField(max_length=20, choices=WithdrawalMethod.choices, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_note = models.TextField(blank=True)

    # The deadline sweep's cursors (deadlines.registry.Schedule): bookkeeping, not part of
    # the record, so left out of its history and its forms.
    review_alerts_for = models.DateField(null=True, blank=True, editable=False)
    review_alerts_stale = REVIEW_SCHEDULE.stale_column()
    review_alerts_expiry = models.DateField(null=True, blank=True, editable=False)
    review_next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)
    expiry_alerts_for = models.DateField(null=True, blank=True, editable=False)
    expiry_alerts_stale = EXPIRY_SCHEDULE.stale_column()
    expiry_next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = consent_history

    kind = "consent"

    class Meta:
        ordering = ["-given_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-given_at"], name="consent_client_given"),
            models.Index(fields=["review_due"], name="consent_review_open", condition=Q(withdrawn_at__isnull=True)),
            *REVIEW_SCHEDULE.indexes(),
            *EXPIRY_SCHEDULE.indexes(),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_method=""), name="withdrawal_has_method"
            ),
        ]

    def __str__(self):
        return f"Consent {self.pk} for client {self.client_id}"

    @property
    def is_explicit(self) -> bool:
        """Written and electronic consent are explicit; verbal only with the client's words recorded."""
        return self.method != self.Method.VERBAL or bool(self.explicit_statement.strip())

    @property
    def withdrawal_phrase(self) -> str:
        return self.WITHDRAWAL_PHRASES.get(self.withdrawal_method, "")

    def label_for(self, recipient: str) -> str:
        return f"Consent to {recipient}"


class LawfulBasis(models.TextChoices):
    PUBLIC_TASK = "public_task", "Public task"
    VITAL_INTERESTS = "vital_interests", "Vital interests"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"


class SpecialCondition(models.TextChoices):
    """UK GDPR Article 9(2) conditions (with DPA 2018 Schedule 1 where it applies)."""

    EXPLICIT_CONSENT = "explicit_consent", "Explicit consent (Art. 9(2)(a))"
    VITAL_INTERESTS = "vital_interests", "Vital interests, client unable to consent (Art. 9(2)(c))"
    LEGAL_CLAIMS = "legal_claims", "Legal claims (Art. 9(2)(f))"
    SUBSTANTIAL_PUBLIC_INTEREST = "substantial_public_interest", "Substantial public interest (Art. 9(2)(g))"
    SAFEGUARDING = (
        "safeguarding",
        "Safeguarding of children and individuals at risk (Art. 9(2)(g), DPA 2018 Sch. 1 para 18)",
    )
    HEALTH_SOCIAL_CARE = "health_social_care", "Health or social care (Art. 9(2)(h))"
    PUBLIC_HEALTH = "public_health", "Public health (Art. 9(2)(i))"


class CriminalCondition(models.TextChoices):
    """DPA 2018 Schedule 1 conditions for criminal-offence data (UK GDPR Article 10)."""

    CONSENT = "consent", "Consent (Sch. 1 para 29)"
    VITAL_INTERESTS = "vital_interests", "Protecting someone's vital interests (Sch. 1 para 30)"
    LEGAL_CLAIMS = "legal_claims", "Legal claims (Sch. 1 para 33)"
    PREVENTING_CRIME = "preventing_crime", "Preventing or detecting unlawful acts (Sch. 1 para 10)"
    SAFEGUARDING = "safeguarding", "Safeguarding of children and individuals at risk (Sch. 1 para 18)"
    HEALTH_SOCIAL_CARE = "health_social_care", "Health or social care purposes (Sch. 1 para 2)"


class BasisPolicy(models.Model):
    """Per lawful basis: whether a manager must approve it before it covers any share."""

    basis = models.CharField(max_length=30, choices=LawfulBasis.choices, unique=True)
    requires_approval = models.BooleanField("needs a manager's approval", default=False)
    guidance = models.TextField(blank=True, help_text="Shown to staff recording this basis.")

    history = HistoricalRecords()

    # Used when no row exists for a basis (a data migration creates the rows).
    DEFAULTS = {
        LawfulBasis.PUBLIC_TASK: False,
        LawfulBasis.VITAL_INTERESTS: True,
        LawfulBasis.LEGAL_OBLIGATION: False,
        LawfulBasis.LEGITIMATE_INTERESTS: True,
    }

    class Meta:
        ordering = ["basis"]
        verbose_name_plural = "basis policies"

    def __str__(self):
        return f"{self.get_basis_display()}: {'approval needed' if self.requires_approval else 'no approval'}"


class BasisEndReason(models.TextChoices):
    OBJECTION = "objection", "The client objected (UK GDPR Article 21)"
    NEED_PASSED = "need_passed", "The need for it has passed"


class LawfulBasisRecord(BasisScope):
    """A lawful basis other than consent, recorded for one client with its scope."""

    basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    justification = models.TextField()
    special_condition = models.CharField(
        "condition for special-category data", max_length=40, choices=SpecialCondition.choices, blank=True
    )
    criminal_condition = models.CharField(
        "condition for criminal-offence data", max_length=40, choices=CriminalCondition.choices, blank=True
    )
    starts_on = models.DateField()
    # The first day on which the basis no longer covers anything.
    ends_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # Copied from BasisPolicy when recorded, so a later policy change does not silently
    # approve or un-approve existing records.
    requires_approval = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # Ended early: the client objected (UK GDPR Art. 21) or the need has passed. ends_on is
    # then the day it was ended, so it covers nothing from that moment.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=20, choices=BasisEndReason.choices, blank=True)
    end_note = models.TextField(blank=True)

    # The deadline sweep's cursors (deadlines.registry.Schedule): bookkeeping, not part of
    # the record, so left out of its history and its forms.
    end_alerts_for = models.DateField(null=True, blank=True, editable=False)
    end_alerts_stale = BASIS_END_SCHEDULE.stale_column()
    end_next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = lawful_basis_history

    kind = "lawful_basis"

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-recorded_at"], name="lawfulbasis_client_recorded"),
            *BASIS_END_SCHEDULE.indexes(),
        ]

    def __str__(self):
        return f"{self.get_basis_display()} basis {self.pk} for client {self.client_id}"

    @property
    def awaiting_approval(self) -> bool:
        return self.requires_approval and self.approved_at is None

    def label_for(self, recipient: str) -> str:
        return f"{self.get_basis_display()} basis for {recipient}"


class SharingRestriction(models.Model):
    """A client's request to restrict processing (UK GDPR Article 18), as it bears on sharing.

    While a restriction is in force nothing about the client is shared on consent or any
    other basis, and pending transmissions are cancelled; only a statutory disclosure that
    the law requires, decided by a manager, may pass (`selectors.restriction_allows_statutory`).
    """

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(help_text="What the client asked for and why, in their words where possible.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(lifted_at__isnull=True), name="one_restriction_in_force"
            ),
        ]

    def __str__(self):
        return f"Sharing restriction {self.pk} for client {self.client_id}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


class ConsentReview(models.Model):
    """A review of a consent with the client: reconfirmed, changed (a new consent replaces it) or ended.

    Reviewing is how consent stays ongoing (ICO guidance on consent: review it, and refresh
    it when anything changes). Rows are only ever added.
    """

    class Outcome(models.TextChoices):
        RECONFIRMED = "reconfirmed", "Reconfirmed: the client still agrees to the same sharing"
        CHANGED = "changed", "Changed: the client agrees to different sharing (a new consent replaces this one)"
        ENDED = "ended", "Ended: the client no longer agrees, or it is no longer needed"

    class Method(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        WRITING = "writing", "By letter or e-mail"
        OTHER_AGENCY = "other_agency", "Through another agency"

    consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="reviews")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    how = models.CharField("how it was reviewed with the client", max_length=20, choices=Method.choices)
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    # Reconfirmed: the review date set from CONSENT_REVIEW_PERIOD_DAYS (None when the
    # consent expires first: its expiry reminder takes over).
    next_review_due = models.DateField(null=True, blank=True)
    # Changed: the consent that replaces this one.
    new_consent = models.OneToOneField(
        ConsentRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="replaces_review"
    )

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="changed", new_consent__isnull=False) | ~Q(outcome="changed"),
                name="changed_review_names_new_consent",
            )
        ]

    def __str__(self):
        return f"Review of consent {self.consent_id}: {self.outcome}"
