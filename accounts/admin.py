"""Django admin for staff and teams. Nothing here shows client data.

The admin site signs people in through our own login (lockout and two-factor apply),
and the middleware asks every admin page for a verified second factor.
"""

import functools

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.forms import NeutralisingFormMixin

from . import selectors, services, views
from .admin_base import SafeTabularInline, StrictLookupMixin, StrictModelAdmin
from .models import SecurityEvent, Team, TeamMembership, User

admin.site.login = views.admin_login
admin.site.logout = views.logout_view
admin.site.password_change = views.keeps_active_session(admin.site.password_change)


class TeamsOfStaffInline(SafeTabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["team"]
    readonly_fields = ["joined_on"]
    verbose_name = "team"
    verbose_name_plural = "teams"


class MembersOfTeamInline(SafeTabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]
    readonly_fields = ["joined_on"]
    verbose_name = "member"
    verbose_name_plural = "members"


class StaffCreationForm(NeutralisingFormMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email", "role")


@admin.register(User)
class StaffAdmin(StrictLookupMixin, UserAdmin):
    add_form = StaffCreationForm
    inlines = [TeamsOfStaffInline]
    list_display = ["username", "first_name", "last_name", "role", "team_names", "is_active", "locked_out"]
    list_filter = ["role", "is_active", "teams"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    actions = ["unlock_sign_in", "reset_two_factor"]
    readonly_fields = ["is_staff", "last_login", "date_joined", "sign_in_lockout", "sso_subject"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email", "job_title", "data_protection_training_on"]}),
        (
            "Role and access",
            {
                "fields": ["role", "is_active", "is_staff", "is_superuser", "sign_in_lockout", "sso_subject"],
                "description": "The role decides the person's group and permissions; admins get the admin site.",
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "first_name", "last_name", "email", "role", "password1", "password2"],
            },
        ),
    ]

    def get_queryset(self, request):
        return selectors.staff_with_lockout_flag(super().get_queryset(request).prefetch_related("teams"))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")
        return fields

    @admin.display(description="Teams")
    def team_names(self, obj):
        return ", ".join(team.name for team in obj.teams.all())

    @admin.display(description="Locked out", boolean=True)
    def locked_out(self, obj):
        return getattr(obj, "is_locked_out", False)

    @admin.display(description="Sign-in lockout")
    def sign_in_lockout(self, obj):
        if getattr(obj, "is_locked_out", False):
            return "Locked out after repeated wrong passwords. Use “Unlock sign-in” on the staff list to clear it."
        return "Not locked out."

    def user_change_password(self, request, id, form_url=""):
        return views.keeps_active_session(self._change_password_recorded)(request, id, form_url)

    def _change_password_recorded(self, request, id, form_url=""):
        # Django's form sets the password; the security event and the e-mail to the person
        # go in the same transaction, so a password never changes here unrecorded.
        with transaction.atomic():
            before = User.objects.filter(pk=unquote(id)).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            person = User.objects.filter(pk=unquote(id)).first()
            if before is not None and person is not None and person.password != before:
                services.staff_password_set_record(actor=request.user, user=person, request=request)
        return response

    def save_model(self, request, obj, form, change):
        # The role goes through staff_set_role, which also moves the group and is_staff
        # and records the change; the plain save keeps the previous role.
        role = obj.role
        if change and "role" in form.changed_data:
            obj.role = form.initial["role"]
        super().save_model(request, obj, form, change)
        services.staff_set_role(actor=request.user, user=obj, role=role)

    @admin.action(description="Unlock sign-in (clear lockouts after wrong passwords)")
    def unlock_sign_in(self, request, queryset):
        cleared = [user for user in queryset if services.staff_unlock(actor=request.user, user=user)]
        if cleared:
            names = ", ".join(user.get_username() for user in cleared)
            self.message_user(request, f"Unlocked sign-in for {names}.", messages.SUCCESS)
        else:
            self.message_user(request, "None of the selected people were locked out.", messages.INFO)

    @admin.action(description="Reset two-factor (lost or replaced phone)")
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            services.two_factor_reset(actor=request.user, user=user, request=request)
        self.message_user(
            request,
            "Two-factor reset. Each person is told by e-mail and sets up a new authenticator at their "
            "next sign-in (required for managers, the information security officer and admins).",
            messages.SUCCESS,
        )


@admin.register(Team)
class TeamAdmin(StrictModelAdmin):
    list_display = ["name", "slug", "is_active", "member_count"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembersOfTeamInline]

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering; autocomplete pages need a stable order.
        return super().get_queryset(request).annotate(member_total=Count("memberships")).order_by("name")

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


@admin.register(SecurityEvent)
class SecurityEventAdmin(StrictModelAdmin):
    """Read-only: security events are evidence, not records to edit."""

    list_display = ["at", "kind", "username", "ip_address", "other_ip_address", "actor"]
    list_filter = ["kind"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Other apps' admins, re-registered on the strict base ---------------------------------
# Group (auth), sign-in attempts (axes) and authenticator devices (django_otp) hold
# personal data too (usernames, addresses, who has which device), so their lists accept
# only what they declare, like ours. Their apps come before this one in INSTALLED_APPS,
# so they are registered by the time this module is imported.


def _restrict(model, model_admin_class):
    admin.site.unregister(model)
    admin.site.register(model, type(model_admin_class.__name__, (StrictLookupMixin, model_admin_class), {}))


_restrict(Group, GroupAdmin)
_restrict(AccessAttempt, AccessAttemptAdmin)
_restrict(AccessLog, AccessLogAdmin)
_restrict(AccessFailureLog, AccessFailureLogAdmin)


class AuthenticatorDeviceAdmin(StrictLookupMixin, TOTPDeviceAdmin):
    """Authenticator devices: listed, never added or edited here, and deleting one is a reset.

    Keys and QR codes are hidden (OTP_ADMIN_HIDE_SENSITIVE_DATA): a device is set up only
    by its owner, who alone sees the key, once. Adding one here would let an admin choose
    someone's key; deleting one goes through `two_factor_reset`, which records it and tells
    the person.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.two_factor_reset(actor=request.user, user=obj.user, request=request)

    def delete_queryset(self, request, queryset):
        for user in User.objects.filter(pk__in=queryset.values("user_id")):
            services.two_factor_reset(actor=request.user, user=user, request=request)


admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, AuthenticatorDeviceAdmin)


# --- Autocomplete: only for the fields an admin declares ----------------------------------
# Django's autocomplete endpoint answers for any relation of any model to a registered
# admin with search fields (e.g. a breach's affected clients), declared or not, printing
# str() of every match outside the gate and the audit. Here it answers only for the
# fields some registered admin or inline lists in `autocomplete_fields`.


def declared_autocomplete_fields() -> set[tuple[str, str]]:
    """(model label, field name) pairs some registered admin or inline uses autocomplete for."""
    declared = set()
    for model, model_admin in admin.site._registry.items():
        declared.update((model._meta.label_lower, name) for name in model_admin.autocomplete_fields)
        for inline in model_admin.inlines:
            declared.update((inline.model._meta.label_lower, name) for name in inline.autocomplete_fields)
    return declared


def _autocomplete_declared_only(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        source = f"{request.GET.get('app_label', '')}.{request.GET.get('model_name', '')}".lower()
        if (source, request.GET.get("field_name", "")) not in declared_autocomplete_fields():
            raise PermissionDenied("No autocomplete for that field.")
        return view(request, *args, **kwargs)

    return wrapper


admin.site.autocomplete_view = _autocomplete_declared_only(admin.site.autocomplete_view)
