"""Admin for sharing's reference data: data-sharing agreements and purpose templates.

Referrals, disclosures and the tasks after a withdrawal are client data: they are not in
the admin and are reached only through the client's sharing tab, which passes the gate.
The agreement's signed document is checked and stored like consent evidence
(`consent.evidence`): by content, under a generated name, outside the web root.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_base import StrictLookupMixin
from casework.forms import ModelForm
from consent.evidence import ACCEPTED_TEXT, check_upload
from consent.forms import SelectionField

from . import services
from .models import DataSharingAgreement, PurposeTemplate, SharingPolicy


class SelectionAdminForm(ModelForm):
    """The `{category: level}` chooser for a JSON selection column."""

    selection = SelectionField(label="Information", required=True)

    def clean_selection(self):
        return self.cleaned_data["selection"].to_json()


class AgreementForm(SelectionAdminForm):
    upload = forms.FileField(
        required=False,
        label="Signed agreement",
        help_text=f"{ACCEPTED_TEXT} Uploading replaces the link to any earlier copy.",
    )

    class Meta:
        model = DataSharingAgreement
        fields = ["partner", "reference", "purposes", "selection", "starts_on", "ends_on", "notes"]
        labels = {"selection": "Information the partner may receive"}

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        return check_upload(upload) if upload else None


@admin.register(DataSharingAgreement)
class DataSharingAgreementAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    form = AgreementForm
    list_display = ["reference", "partner", "starts_on", "ends_on", "has_document"]
    list_filter = ["partner"]
    search_fields = ["reference", "partner__name"]
    filter_horizontal = ["purposes"]
    readonly_fields = ["document"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner", "document")

    @admin.display(boolean=True, description="Signed copy")
    def has_document(self, obj):
        return obj.document_id is not None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        checked = form.cleaned_data.get("upload")
        if checked is not None:
            services.agreement_document_attach(actor=request.user, agreement=obj, checked=checked)


class PurposeTemplateForm(SelectionAdminForm):
    class Meta:
        model = PurposeTemplate
        fields = ["purpose", "selection", "note"]
        labels = {"selection": "Suggested information"}


@admin.register(PurposeTemplate)
class PurposeTemplateAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    form = PurposeTemplateForm
    list_display = ["purpose", "describe"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("purpose")

    @admin.display(description="Suggested information")
    def describe(self, obj):
        return obj.selection_obj.describe()


@admin.register(SharingPolicy)
class SharingPolicyAdmin(StrictLookupMixin, SimpleHistoryAdmin):
    """The organisation's one sharing-policy row: how referrals reach partners, and what
    happens to a referral to a partner with no data-sharing agreement in force."""

    def has_add_permission(self, request):
        return False  # one row, made on first use: the list opens it

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect("admin:sharing_sharingpolicy_change", SharingPolicy.current().pk)

    def has_delete_permission(self, request, obj=None):
        return False
