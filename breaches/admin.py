"""Read-only admin views of the register's machinery. Breaches are handled on their own pages,
where access follows teams; the admin shows no free text and no affected clients.
Their deadline alerts are rows of the deadline mechanism (deadlines/admin.py)."""

from django.contrib import admin

from accounts.admin_base import StrictModelAdmin

from .models import BreachReport


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
