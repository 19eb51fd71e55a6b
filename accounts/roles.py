"""Roles as Django groups, and the permissions each role's group holds.

Model permissions here are coarse capabilities ("may record a consent", "may see the
breach register"). Which *client* someone may open is decided by the gate in `access/`,
never by these permissions alone.

The groups are created by a migration (accounts 0003). Permissions are attached by
`sync_role_permissions`, which runs after every `migrate` (post_migrate, once the last
app's permissions exist) and which a later app's migration may call through
`sync_role_permissions_migration` if it needs the permissions in place at once. A
permission named here whose model does not exist yet is skipped, not an error. See
docs/decisions for why.
"""

import logging

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

from .models import ROLE_GROUP_NAMES, Role

log = logging.getLogger(__name__)

_CASEWORKER = (
    "clients.view_client",
    "clients.open_client",
    "clients.add_client",
    "clients.change_client",
    "clients.view_informationentry",
    "clients.add_informationentry",
    "clients.change_informationentry",
    "clients.view_casenote",
    "clients.add_casenote",
    "consent.view_consentrecord",
    "consent.add_consentrecord",
    "consent.change_consentrecord",
    "consent.view_lawfulbasisrecord",
    "consent.view_partner",
    "consent.view_purpose",
    "sharing.view_purposetemplate",
    "sharing.view_referral",
    "sharing.add_referral",
    "breaches.add_breachreport",
)

# "app_label.codename" per role. Apps may add their own through an AppConfig attribute
# `role_permissions = {"caseworker": ("app.codename", ...)}`, read by the sync below, so
# that accounts never has to import an app above it.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.CASEWORKER: _CASEWORKER,
    Role.SERVICE_MANAGER: (
        *_CASEWORKER,
        "clients.view_assignment",
        "clients.add_assignment",
        "clients.change_assignment",
        "consent.add_lawfulbasisrecord",
        "consent.change_lawfulbasisrecord",
        "sharing.view_datasharingagreement",
        "sharing.view_disclosure",
        "breaches.view_breachreport",
        "breaches.change_breachreport",
        "access.view_accessevent",
        "access.view_accessreview",
        "access.add_accessreview",
        "accounts.view_securityevent",
    ),
    Role.INFORMATION_SECURITY_OFFICER: (
        "clients.view_client",
        "clients.open_client",
        "consent.view_partner",
        "consent.view_lawfulbasisrecord",
        "sharing.view_datasharingagreement",
        "sharing.view_disclosure",
        "breaches.view_breachreport",
        "breaches.change_breachreport",
        "access.view_accessevent",
        "access.view_auditseal",
        "access.view_accessreview",
        "access.add_accessreview",
        "accounts.view_user",
        "accounts.view_team",
        "accounts.view_securityevent",
        "axes.view_accessattempt",
    ),
    # Admins configure the system; they hold no permission on client data.
    Role.ADMIN: (
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
        "accounts.view_teammembership",
        "accounts.add_teammembership",
        "accounts.change_teammembership",
        "accounts.delete_teammembership",
        "accounts.view_securityevent",
        "auth.view_group",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "consent.view_partner",
        "consent.add_partner",
        "consent.change_partner",
        "consent.view_meetinggroup",
        "consent.add_meetinggroup",
        "consent.change_meetinggroup",
        "consent.view_purpose",
        "consent.add_purpose",
        "consent.change_purpose",
        "consent.view_privacynotice",
        "consent.add_privacynotice",
        "consent.change_privacynotice",
        "sharing.view_datasharingagreement",
        "sharing.add_datasharingagreement",
        "sharing.change_datasharingagreement",
        "sharing.view_purposetemplate",
        "sharing.add_purposetemplate",
        "sharing.change_purposetemplate",
    ),
}


def role_permission_names() -> dict[str, set[str]]:
    """The full mapping: the table above plus what installed apps declare."""
    wanted = {role: set(names) for role, names in ROLE_PERMISSIONS.items()}
    for config in global_apps.get_app_configs():
        for role, names in getattr(config, "role_permissions", {}).items():
            wanted.setdefault(role, set()).update(names)
    return wanted


def _lookup(names: set[str]) -> Q:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def sync_role_permissions(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Make each role's group exist and hold exactly the permissions named for it.

    The code is the source of truth: a permission added to a role group by hand is
    removed at the next migrate. Permissions of models that do not exist yet are skipped.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = role_permission_names()
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        names = wanted.get(role, set())
        found = list(Permission.objects.using(using).filter(_lookup(names)).select_related("content_type"))
        missing = names - {f"{p.content_type.app_label}.{p.codename}" for p in found}
        if missing:
            log.debug("Role %s: permissions not (yet) defined: %s", role, ", ".join(sorted(missing)))
        group.permissions.set(found)


def sync_role_permissions_migration(apps, schema_editor):
    """For `migrations.RunPython` in any app: create pending permissions, then sync.

    Django creates permissions only after all migrations ran, so a migration that needs
    them now creates them first (the same call post_migrate would make).
    """
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0, using=using)
        config.models_module = None
    sync_role_permissions(apps=apps, using=using)


def sync_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, **kwargs):
    """post_migrate receiver: sync once per migrate, after the last app's permissions exist."""
    last = [config for config in global_apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label == last.label:
        sync_role_permissions(using=using)
