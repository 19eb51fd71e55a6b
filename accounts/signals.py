"""Receivers that hand authentication events to services. No logic lives here."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import services
from .models import TeamMembership, User


@receiver(user_logged_in, dispatch_uid="accounts.session_start")
def on_login(sender, request, user, **kwargs):
    # Only real sessions: a login without one (e.g. a bare request in a unit test) has
    # nothing to keep single.
    if hasattr(getattr(request, "session", None), "session_key"):
        services.first_factor_passed(actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    services.login_failed_record(username=str(credentials.get("username") or ""), request=request)


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def on_locked_out(sender, request, username, **kwargs):
    services.lockout_record(username=str(username or ""), request=request)


@receiver(post_delete, sender=TeamMembership, dispatch_uid="accounts.membership_left")
def on_membership_deleted(sender, instance, origin=None, **kwargs):
    # Only a membership ended for itself (admin inline, `teams.remove()`, a queryset delete):
    # a person or team being deleted takes its memberships along and has nothing to record.
    if isinstance(origin, TeamMembership) or (isinstance(origin, QuerySet) and origin.model is TeamMembership):
        services.membership_left_record(membership=instance)


@receiver(post_save, sender=User, dispatch_uid="accounts.active_sync")
def on_user_saved(sender, instance, created, update_fields=None, **kwargs):
    if created and instance.is_active:
        return  # a new account has nothing to end or record
    if update_fields is None or "is_active" in update_fields:
        services.staff_active_sync(user=instance)
