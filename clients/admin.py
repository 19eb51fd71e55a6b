"""Clients in Django admin: a list of references, and a read-only record that passes the gate.

Only non-personal fields are listed (reference, team, status, dates). Opening one client
goes through access.gate like any other page (audited as an admin view; without a
caseload, that means giving a reason). Nothing is added, changed or deleted here: the
services keep permissions, history and audit in step. Information entries and case
notes are not in admin at all; they are read on the client's record pages.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.db import transaction

from access.gate import (
    AccessDenied,
    Action,
    AuditUnavailable,
    Outcome,
    audit_unavailable_response,
    denied_response,
    gate_client,
    record,
    record_list,
)
from accounts.admin_base import StrictModelAdmin

from .models import Client


@admin.register(Client)
class ClientAdmin(StrictModelAdmin):
    list_display = ("reference", "team", "status", "opened_on", "closed_on")
    list_filter = ("status", "team")
    list_select_related = ("team",)
    search_fields = ("reference",)
    show_full_result_count = False
    fields = (
        "reference",
        "team",
        "status",
        "opened_on",
        "closed_on",
        "closure_reason",
        "first_name",
        "last_name",
        "preferred_name",
        "date_of_birth",
        "phone",
        "email",
        "address",
        "legal_hold_since",
        "legal_hold_reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        query = request.META.get("QUERY_STRING", "")
        try:
            with transaction.atomic():
                record_list(request.user, action=Action.ADMIN, request=request, detail=f"admin client list ?{query}")
                return super().changelist_view(request, extra_context)
        except DisallowedModelAdminLookup:
            # Refused with 400 below; the attempt is evidence, so it is audited as denied.
            with transaction.atomic():
                record(
                    request.user,
                    action=Action.ADMIN,
                    outcome=Outcome.DENIED,
                    request=request,
                    detail=f"admin client list ?{query} (undeclared filter refused)",
                )
            raise
        except AuditUnavailable:
            return audit_unavailable_response(request)

    def _gated(self, request, object_id, view):
        denied = None
        try:
            with transaction.atomic():
                try:
                    gate_client(request, object_id, action=Action.ADMIN, purpose="admin")
                except AccessDenied as exc:
                    denied = exc  # caught inside the block, so the denied row commits
                else:
                    return view()
        except AuditUnavailable:
            return audit_unavailable_response(request)
        return denied_response(request, denied)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._gated(
            request,
            object_id,
            lambda: super(ClientAdmin, self).change_view(request, object_id, form_url, extra_context),
        )

    def history_view(self, request, object_id, extra_context=None):
        return self._gated(
            request, object_id, lambda: super(ClientAdmin, self).history_view(request, object_id, extra_context)
        )
