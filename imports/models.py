"""An import of clients from an old system's spreadsheet: checked (dry run), then confirmed and run."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from casework import references


class ClientImport(models.Model):
    class Status(models.TextChoices):
        CHECKED = "checked", "Checked: waiting for confirmation"
        QUEUED = "queued", "Confirmed: waiting to start"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Stopped"
        CANCELLED = "cancelled", "Not imported"

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    file_name = models.CharField(max_length=200, help_text="The uploaded file's name, as display text only.")
    # The file itself, kept privately (consent.evidence storage) until the import has run.
    stored_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10)  # "csv" or "xlsx"
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CHECKED)
    # The dry run, row by row: [{"row": 2, "outcome": "create"|"invalid"|"match", "name": …, "messages": […]}].
    report = models.JSONField(default=list)
    rows_total = models.PositiveIntegerField(default=0)
    rows_to_import = models.PositiveIntegerField(default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    batch_size = models.PositiveIntegerField(default=200)
    batches_done = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    failed_batch = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(fields=["status"], name="clientimport_pending", condition=Q(status__in=["queued", "running"]))
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        return references.numbered("client_import", self.pk)

    @property
    def batches_total(self) -> int:
        return -(-self.rows_to_import // self.batch_size) if self.rows_to_import else 0

    @property
    def percent(self) -> int:
        return int(100 * self.rows_imported / self.rows_to_import) if self.rows_to_import else 100

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED}
