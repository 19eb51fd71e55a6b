"""The append-only audit log written by the gate, and its seals."""

import pgtrigger
from django.conf import settings
from django.db import models


class AccessEvent(models.Model):
    """One decision of the gate, allowed or denied. Never updated, never deleted."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"

    class Action(models.TextChoices):
        VIEW = "view", "Viewed record"
        EDIT = "edit", "Edited record"
        SEARCH = "search", "Searched clients"
        LIST = "list", "Listed clients"
        HISTORY = "history", "Viewed who accessed"
        DOWNLOAD = "download", "Downloaded document"
        SHARE = "share", "Shared outside the organisation"
        STATUTORY = "statutory", "Statutory request step"
        REVIEW = "review", "Reviewed access"
        ADMIN = "admin", "Admin view"

    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # What exactly was touched, e.g. "consent.ConsentRecord:12" or a search query.
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    categories = models.JSONField(default=list, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    # Break the glass: the category and text the person gave for opening outside caseload.
    reason_category = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    break_glass = models.BooleanField(default=False)
    basis = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True, help_text="Why it was denied, or what the search asked for.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    session_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["client", "at"], name="accessevent_client_at"),
            models.Index(fields=["at"], name="accessevent_at"),
            models.Index(fields=["actor", "at"], name="accessevent_actor_at"),
            # The access review's queues: break-the-glass openings and refusals, by time.
            models.Index(fields=["at"], name="accessevent_break_glass_at", condition=models.Q(break_glass=True)),
            models.Index(fields=["at"], name="accessevent_denied_at", condition=models.Q(outcome="denied")),
            # Idle caseload assignments: a caseworker's last allowed access to one client.
            models.Index(
                fields=["client", "actor", "at"],
                name="accessevent_client_actor_at",
                condition=models.Q(outcome="allowed"),
            ),
            # The reports page's year of break-the-glass openings and refusals, read as
            # index-only scans of these rare rows (id for the reviewed/unreviewed anti-join),
            # never the year's whole log.
            models.Index(
                fields=["at"],
                include=["id", "actor", "client"],
                name="accessevent_glass_cover",
                condition=models.Q(break_glass=True, outcome="allowed"),
            ),
            models.Index(
                fields=["at"],
                include=["id", "client"],
                name="accessevent_denied_cover",
                condition=models.Q(outcome="denied"),
            ),
            models.Index(
                fields=["at"], name="accessevent_share_denied_at", condition=models.Q(action="share", outcome="denied")
            ),
        ]
        # Append-only in the database itself: a trigger refuses UPDATE and DELETE.
        triggers = [
            pgtrigger.Protect(name="accessevent_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.client_id} {self.outcome}"


class AuditSeal(models.Model):
    """A hash-chained batch of audit rows: ids (after_id, last_id], chained to the previous seal."""

    after_id = models.BigIntegerField(help_text="The last id sealed by the previous seal (0 for the first).")
    last_id = models.BigIntegerField()
    row_count = models.PositiveIntegerField()
    rows_digest = models.CharField(max_length=64, help_text="SHA-256 over the canonical form of the sealed rows.")
    previous_hash = models.CharField(max_length=64)
    seal_hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()
    # The AccessEvent columns hashed, in order, so adding a column later does not break
    # the verification of rows sealed before it existed.
    columns = models.JSONField(default=list)
    # Locators, not evidence (the evidence is rows_digest, chained by seal_hash): ids in
    # the range that had no row when sealed (rolled-back inserts), as [first, last]
    # pairs, and the first 4 bytes of each sealed row's hash, in id order. They let
    # verify_audit name the row that was altered, removed or slipped in.
    gaps = models.JSONField(default=list)
    row_fingerprints = models.BinaryField(default=b"")

    class Meta:
        ordering = ["last_id"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["after_id"], name="one_seal_per_start")]
        triggers = [
            pgtrigger.Protect(name="auditseal_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"Seal of events {self.after_id + 1}–{self.last_id}"


class SealDigest(models.Model):
    """The daily e-mail of one UTC day's seals to the information security officers, once per day."""

    day = models.DateField(unique=True)
    sent_at = models.DateTimeField()
    recipients = models.TextField(help_text="The addresses it went to, one per line.")
    seal_count = models.PositiveIntegerField()
    head_hash = models.CharField(max_length=64, blank=True, help_text="The chain head when it was sent.")

    class Meta:
        ordering = ["-day"]
        default_permissions = ("view",)

    def __str__(self):
        return f"Seal digest for {self.day:%Y-%m-%d}"


class AccessReview(models.Model):
    """A manager's review of one item on the access-review page (itself audited).

    Kept apart from AccessEvent and SecurityEvent so those stay append-only.
    """

    event = models.OneToOneField(AccessEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="review")
    security_event = models.OneToOneField(
        "accounts.SecurityEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="review"
    )
    # For "unusual volume" findings, which are not a single row.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    note = models.TextField()

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self):
        return f"Review by {self.reviewed_by_id} at {self.reviewed_at:%Y-%m-%d %H:%M}"
