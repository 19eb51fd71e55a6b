"""The breach register and its ICO notifications.

Every suspected personal data breach goes in the register, reported to the ICO or not.
`deadline_at` is a real column (became-aware time + 72 hours, UTC), kept by the services,
so the deadline sweep is one indexed range query however large the register grows.
Its alerts are rows of the shared deadline mechanism (deadlines.Alert, clock
"breaches.ico_deadline", registered in breaches/deadlines.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from casework import references
from clients.categories import REGISTRY
from deadlines.registry import Schedule

from .risk import Likelihood, Risk, Severity


class Status(models.TextChoices):
    REPORTED = "reported", "Reported"
    TRIAGED = "triaged", "Triaged"
    ASSESSED = "assessed", "Assessed"
    NOTIFIED = "notified", "ICO notified"
    NOT_REPORTABLE = "not_reportable", "Not reportable"
    CLOSED = "closed", "Closed"


# The clock runs (and alerts are raised) only while nobody has notified the ICO or
# decided the breach is not reportable. The sweep's partial index uses exactly this list.
ALERTING_STATUSES = [Status.REPORTED, Status.TRIAGED, Status.ASSESSED]
OPEN_STATUSES = [s for s in Status if s != Status.CLOSED]


class PeopleCategory(models.TextChoices):
    CLIENTS = "clients", "Clients"
    STAFF = "staff", "Staff or volunteers"
    CHILDREN = "children", "Children"
    VULNERABLE_ADULTS = "vulnerable_adults", "Vulnerable adults"
    OTHER = "other", "Other people (e.g. family, members of the public)"


class IcoDecision(models.TextChoices):
    NOTIFY = "notify", "Notify the ICO"
    NOT_REPORTABLE = "not_reportable", "Do not notify: unlikely to result in a risk to people"


class SubjectsInformed(models.TextChoices):
    TOLD = "told", "Yes, they have been told"
    WILL_TELL = "will_tell", "Not yet, but they will be told"
    NOT_TOLD = "not_told", "No – an exception applies"


class SubjectsException(models.TextChoices):
    NOT_HIGH_RISK = "not_high_risk", "The breach is not likely to result in a high risk to them"
    UNINTELLIGIBLE = "unintelligible", "The data was unintelligible to anyone who got it (e.g. encrypted)"
    RISK_REMOVED = "risk_removed", "Steps taken since mean a high risk is no longer likely"
    DISPROPORTIONATE = (
        "disproportionate",
        "Telling each person would take disproportionate effort; a public notice was used",
    )


# Where the deadline sweep reads only the breaches newly due (deadlines.registry.Schedule).
ALERT_SCHEDULE = Schedule(
    name="breach_alerts",
    due_field="deadline_at",
    seen_field="deadline_alerts_for",
    stale_field="deadline_alerts_stale",
    next_field="next_alert_at",
    armed=Q(status__in=ALERTING_STATUSES),
)


class BreachReport(models.Model):
    Status = Status

    # Reporting
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="breach_reports",
        help_text="The service whose managers are alerted.",
    )
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REPORTED)

    # When: the clock runs from became_aware_at.
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When it happened, as near as known.")
    occurred_note = models.CharField(
        "When it happened (in words)", max_length=200, blank=True, help_text='e.g. "Tuesday afternoon, on the bus"'
    )
    became_aware_at = models.DateTimeField(help_text="When the organisation became aware: the 72 hours start here.")
    deadline_at = models.DateTimeField(help_text="became_aware_at + 72 hours (UTC). Kept by the services.")

    # What
    what_happened = models.TextField()
    how_discovered = models.TextField(blank=True)
    categories = models.JSONField(default=list, blank=True, help_text="Data category keys (clients.categories).")
    people_affected_approx = models.PositiveIntegerField(null=True, blank=True)
    records_affected_approx = models.PositiveIntegerField(null=True, blank=True)
    people_categories = models.JSONField(default=list, blank=True, help_text="PeopleCategory values.")
    affected_clients = models.ManyToManyField("clients.Client", blank=True, related_name="+")
    # References the reporter or manager typed that match no client. Kept for the manager
    # to resolve; never shown to the reporter (it would tell them which references exist).
    unresolved_client_references = models.TextField(blank=True)
    # The shares from the disclosure log this breach concerns (a referral e-mailed to the
    # wrong address, say). A breach may concern several disclosures and vice versa.
    disclosures = models.ManyToManyField("sharing.Disclosure", blank=True, related_name="breach_reports")
    cyber_incident = models.BooleanField(default=False)
    cyber_details = models.TextField(blank=True)
    containment = models.TextField("Containment and recovery", blank=True)
    staff_involved = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StaffInvolvement", blank=True, related_name="+"
    )

    # Assessment
    likely_consequences = models.TextField(blank=True)
    likelihood = models.CharField(max_length=20, choices=Likelihood.choices, blank=True)
    severity = models.CharField(max_length=20, choices=Severity.choices, blank=True)
    risk = models.CharField(max_length=20, choices=Risk.choices, blank=True, help_text="From the risk matrix.")
    risk_reasoning = models.TextField(blank=True)

    # Decision: the ICO, the people affected, other organisations
    notify_ico = models.CharField("ICO decision", max_length=20, choices=IcoDecision.choices, blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    delay_reasons = models.TextField("Reasons for notifying after 72 hours", blank=True)
    subjects_informed = models.CharField(
        "Were the people affected told?", max_length=20, choices=SubjectsInformed.choices, blank=True
    )
    subjects_informed_at = models.DateTimeField(null=True, blank=True)
    subjects_informed_how = models.TextField(blank=True)
    subjects_exception = models.CharField(max_length=20, choices=SubjectsException.choices, blank=True)
    other_organisations_told = models.TextField(blank=True)

    # Closure
    lessons = models.TextField("Lessons learned and actions", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    updated_at = models.DateTimeField(auto_now=True)

    # The deadline sweep's cursor (deadlines.registry.Schedule): bookkeeping, not part of
    # the record, so left out of its history and its forms.
    deadline_alerts_for = models.DateTimeField(null=True, blank=True, editable=False)
    deadline_alerts_stale = ALERT_SCHEDULE.stale_column()
    next_alert_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(m2m_fields=[affected_clients], excluded_fields=ALERT_SCHEDULE.columns())

    class Meta:
        ordering = ["deadline_at", "id"]
        indexes = [
            # The deadline sweep: a range scan over the breaches whose clock is running.
            models.Index(
                fields=["deadline_at"], condition=Q(status__in=ALERTING_STATUSES), name="breach_alerting_deadline"
            ),
            # The managers' queue: open breaches of a team, by deadline.
            models.Index(fields=["team", "deadline_at"], name="breach_team_deadline"),
            *ALERT_SCHEDULE.indexes(),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        return references.numbered("breach", self.pk)

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def is_alerting(self) -> bool:
        return self.status in ALERTING_STATUSES

    @property
    def category_labels(self) -> list[str]:
        return [REGISTRY[key].label for key in self.categories if key in REGISTRY]

    @property
    def special_category_labels(self) -> list[str]:
        return [REGISTRY[key].label for key in self.categories if key in REGISTRY and REGISTRY[key].sensitive]

    @property
    def people_category_labels(self) -> list[str]:
        labels = dict(PeopleCategory.choices)
        return [labels[key] for key in self.people_categories if key in labels]


class StaffInvolvement(models.Model):
    """A member of staff involved in a breach, with their data-protection training as it stood then."""

    breach = models.ForeignKey(BreachReport, on_delete=models.CASCADE, related_name="staff_involvements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    training_on = models.DateField(
        null=True, blank=True, help_text="Their last data-protection training, copied when they were added."
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["breach", "user"], name="one_involvement_per_person")]

    def __str__(self):
        return f"{self.user} in {self.breach}"


class BreachNotification(models.Model):
    """One report to the ICO. Reporting in phases is allowed: an initial report, then follow-ups."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial report"
        FOLLOW_UP = "follow_up", "Follow-up report"

    class Method(models.TextChoices):
        ONLINE = "online", "ICO online form"
        PHONE = "phone", "ICO helpline (telephone)"
        EMAIL = "email", "E-mail"

    breach = models.ForeignKey(BreachReport, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    notified_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.ONLINE)
    reference = models.CharField("ICO reference", max_length=60, blank=True)
    summary = models.TextField("What was reported", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["notified_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.breach_id} at {self.notified_at:%Y-%m-%d %H:%M}"

    @property
    def was_late(self) -> bool:
        return self.notified_at > self.breach.deadline_at
