"""Admin for the retention schedule: one rule per kind of record, with its history.

Rules hold no client data. Batches and reviews are not here: they name clients by id and
live on the retention pages, which only managers and the ISO reach.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_base import StrictLookupMixin

from .models import RetentionRule
from .retention import retention_rule_save


@admin.register(RetentionRule)
class RetentionRuleAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    list_display = ["kind", "period_label", "starts_from", "changed_by", "changed_at"]
    list_select_related = ["changed_by"]
    fields = ["kind", "period_months", "starts_from", "note", "changed_by", "changed_at"]
    readonly_fields = ["changed_by", "changed_at"]

    @admin.display(description="kept for")
    def period_label(self, obj):
        return obj.period_label

    def get_readonly_fields(self, request, obj=None):
        # A rule's kind is what it is about; to stop keeping a kind, change its period.
        return [*self.readonly_fields, "kind"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form has run the model's clean (the start date fits the kind) already.
        retention_rule_save(actor=request.user, rule=obj)
