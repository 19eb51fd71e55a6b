"""Admin for the reference data of consent: partners, meeting groups, purposes, privacy
notices and the approval policy per lawful basis.

Consent records and other bases are client data: they are not in the admin at all and are
reached only through the consent tab, which passes the gate.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_base import StrictLookupMixin, StrictModelAdmin
from casework.forms import ModelForm

from . import services
from .models import BasisPolicy, MeetingGroup, Partner, PrivacyNotice, Purpose


class PartnerAdminForm(ModelForm):
    class Meta:
        model = Partner
        fields = ["name", "kind", "secure_email", "webmail_reason", "phone", "address", "is_active"]

    def clean(self):
        data = super().clean()
        try:
            services.partner_address_check(
                secure_email=data.get("secure_email") or "", webmail_reason=data.get("webmail_reason") or ""
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field, errors)
        return data


@admin.register(Partner)
class PartnerAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    form = PartnerAdminForm
    list_display = ["name", "kind", "secure_email", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "secure_email"]

    def save_model(self, request, obj, form, change):
        old = Partner.objects.filter(pk=obj.pk).values_list("secure_email", flat=True).first() if change else ""
        if change and old != obj.secure_email:
            obj._change_reason = f"Secure address changed from {old} to {obj.secure_email}"
        super().save_model(request, obj, form, change)
        if old != obj.secure_email:
            services.partner_address_changed(actor=request.user, partner=obj, old_address=old)


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
