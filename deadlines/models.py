"""Alerts raised by the deadline sweep, the e-mail outbox, and the sweep's heartbeat.

An `Alert` says "threshold T of object O was reached, for the due time D it was computed
from". The unique constraint on (clock, object, due time, threshold) makes each threshold
fire once per due time: when the due time changes, the rows of the old one stay as
history and the thresholds of the new one are armed afresh.

An `OutboxEmail` is one e-mail on its way. Its sender claims it (pending → sending) and
commits the claim BEFORE talking to the mail server, then records sent or failed. A row
left "sending" (the process died in between) becomes "unknown" and is never re-sent
automatically: see the README, "What exactly once means for each e-mail".
"""

from django.db import models
from django.db.models import Q


class OutboxEmail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Refused by the mail server (retried)"
        UNKNOWN = "unknown", "Unknown: the sender stopped mid-send"
        NO_RECIPIENTS = "no_recipients", "Nobody to send it to"
        CANCELLED = "cancelled", "Not sent: no longer needed"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # An alert's e-mail is rendered when it is claimed (so it says where the clock stands
    # then); other e-mails are stored with their text when they are queued.
    alert = models.OneToOneField("Alert", null=True, blank=True, on_delete=models.PROTECT, related_name="email")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    recipients = models.TextField(blank=True, help_text="Comma-separated addresses it was (or is to be) sent to.")
    message_id = models.CharField(max_length=250, blank=True, help_text="The Message-ID header, fixed at the claim.")
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The retry path: e-mails not yet sent (or refused), oldest first.
            models.Index(fields=["created_at"], condition=Q(status__in=["pending", "failed"]), name="outbox_to_send"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="outbox_sending"),
        ]

    def __str__(self):
        return f"E-mail {self.pk} ({self.get_status_display()})"


class Alert(models.Model):
    class Delivery(models.TextChoices):
        EMAIL = "email", "Its own e-mail"
        COVERED = "covered", "Passed before anyone was told: included in a later threshold's e-mail"
        CARRIED = "carried", "Already told under an earlier due time, after this point had passed"

    clock = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    due_at = models.DateTimeField(help_text="The due time (UTC) this threshold was computed from.")
    threshold = models.CharField(max_length=20)
    label = models.CharField(max_length=60)
    fire_at = models.DateTimeField(help_text="When the threshold fell due: the due time minus its lead.")
    raised_at = models.DateTimeField()
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    covered_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="covering")

    class Meta:
        ordering = ["clock", "object_id", "fire_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "object_id", "due_at", "threshold"], name="one_alert_per_threshold_and_due_time"
            ),
        ]

    def __str__(self):
        return f"{self.label} for {self.clock} {self.object_id}"

    @property
    def lead(self):
        return self.due_at - self.fire_at


class SweepHeartbeat(models.Model):
    """A single row: when the deadline sweep last ran, and when the ISO was last told it had stopped."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sweep_at = models.DateTimeField(null=True, blank=True)
    stale_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="single_deadline_sweep_heartbeat")]

    def __str__(self):
        return f"Last sweep at {self.last_sweep_at}"


class ClockSchedule(models.Model):
    """The thresholds (keys and leads) each scheduled clock's per-object cursors were worked out with.

    When a clock's thresholds change (a setting such as CONSENT_REVIEW_WINDOW_DAYS), the
    next sweep reads every object of that clock once, re-working out when each is next
    due, and records the new thresholds here (see registry.Schedule).
    """

    clock = models.CharField(max_length=60, primary_key=True)
    thresholds = models.CharField(max_length=500)

    def __str__(self):
        return f"{self.clock}: {self.thresholds}"
