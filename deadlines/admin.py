"""Read-only admin views of the deadline mechanism: alerts, the outbox (no bodies), the heartbeat."""

from django.contrib import admin

from accounts.admin_base import StrictModelAdmin

from .models import Alert, OutboxEmail, SweepHeartbeat


class ReadOnlyAdmin(StrictModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["clock", "object_id", "label", "due_at", "fire_at", "raised_at", "delivery"]
    list_filter = ["clock", "delivery"]
    fields = list_display


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ["pk", "status", "created_at", "claimed_at", "sent_at", "attempts"]
    list_filter = ["status"]
    fields = ["status", "alert", "message_id", "created_at", "claimed_at", "sent_at", "attempts", "last_error"]


@admin.register(SweepHeartbeat)
class SweepHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["last_sweep_at", "stale_emailed_at"]
