"""The append-only audit log written by the gate, and its seals."""

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
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.client_id} {self.outcome}"
