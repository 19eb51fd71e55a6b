"""The audit log in Django admin: readable, never writable (it is append-only)."""

from django.contrib import admin

from accounts.admin_base import StrictModelAdmin

from .models import AccessEvent, AccessReview, AuditSeal


class ReadOnlyAdmin(StrictModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    # The client is shown by id only: its name is client data, and opening that goes through the gate.
    list_display = ("at", "actor", "action", "outcome", "break_glass", "client_id", "reason_category")
    list_filter = ("action", "outcome", "break_glass", "reason_category")
    list_select_related = ("actor",)
    date_hierarchy = "at"
    search_fields = ("actor__username", "object_type", "object_id")
    show_full_result_count = False
    fields = (
        "at",
        "actor",
        "action",
        "outcome",
        "client_id",
        "object_type",
        "object_id",
        "categories",
        "purpose",
        "reason_category",
        "reason",
        "break_glass",
        "basis",
        "detail",
        "ip_address",
        "session_hash",
    )
    readonly_fields = fields


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    list_display = ("sealed_at", "after_id", "last_id", "row_count", "seal_hash")
    date_hierarchy = "sealed_at"


@admin.register(AccessReview)
class AccessReviewAdmin(ReadOnlyAdmin):
    list_display = ("reviewed_at", "reviewed_by", "event_id", "security_event_id", "subject", "period_start")
    list_select_related = ("reviewed_by", "subject")
    date_hierarchy = "reviewed_at"
