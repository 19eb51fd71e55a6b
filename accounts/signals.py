"""Receivers that hand authentication events to services. No logic lives here."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="accounts.session_start")
def on_login(sender, request, user, **kwargs):
    # Only real sessions: a login without one (e.g. a bare request in a unit test) has
    # nothing to keep single.
    if hasattr(getattr(request, "session", None), "session_key"):
        services.active_session_start(actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="accounts.login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    services.login_failed_record(username=str(credentials.get("username") or ""), request=request)


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def on_locked_out(sender, request, username, **kwargs):
    services.lockout_record(username=str(username or ""), request=request)
