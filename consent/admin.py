"""Admin for the reference data of consent: partners, meeting groups, purposes, privacy
notices and the approval policy per lawful basis.

Consent records and other bases are client data: they are not in the admin at all and are
reached only through the consent tab, which passes the gate.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_base import StrictLookupMixin, StrictModelAdmin

from .models import BasisPolicy, MeetingGroup, Partner, PrivacyNotice, Purpose


@admin.register(Partner)
class PartnerAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "secure_email", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "secure_email"]


@admin.register(MeetingGroup)
class MeetingGroupAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    list_display = ["name", "member_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    @admin.display(description="Members")
    def member_count(self, obj):
        return len(obj.members.all())


@admin.register(Purpose)
class PurposeAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    list_display = ["name", "key", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "key"]

    def get_readonly_fields(self, request, obj=None):
        # Other apps (sharing's purpose templates) refer to purposes by key.
        return ["key"] if obj is not None else []


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(StrictModelAdmin):
    """Versions are immutable: consents keep pointing at the exact wording the client was given."""

    list_display = ["version", "effective_on", "created_at"]
    search_fields = ["version"]

    readonly_fields = ["created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # publish a new version instead

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BasisPolicy)
class BasisPolicyAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    list_display = ["basis", "requires_approval"]
    list_editable = ["requires_approval"]

    def get_readonly_fields(self, request, obj=None):
        return ["basis"] if obj is not None else []
