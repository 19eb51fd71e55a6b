"""Read-only admin views of the register's machinery. Breaches are handled on their own pages,
where access follows teams; the admin shows no free text and no affected clients."""

from django.contrib import admin

from accounts.admin_base import StrictModelAdmin

from .models import BreachAlert, BreachReport, SweepHeartbeat


class ReadOnlyAdmin(StrictModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreachReport)
class BreachReportAdmin(ReadOnlyAdmin):
    list_display = ["reference", "team", "status", "became_aware_at", "deadline_at", "risk", "notify_ico"]
    list_filter = ["status", "risk", "team"]
    fields = ["team", "status", "reported_at", "became_aware_at", "deadline_at", "risk", "notify_ico", "closed_at"]


@admin.register(BreachAlert)
class BreachAlertAdmin(ReadOnlyAdmin):
    list_display = ["breach", "threshold_hours", "due_at", "raised_at", "emailed_at"]
    list_filter = ["threshold_hours"]


@admin.register(SweepHeartbeat)
class SweepHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["last_sweep_at", "stale_emailed_at"]
