"""Signing a test client in without the login pages (tests and the benchmark)."""

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ActiveSession
from .sessions import FIRST_FACTOR_ONLY


def force_verified_login(client, user, *, device_name: str = "Test phone"):
    """Sign `client` (a django.test.Client) in as `user`, with the second factor passed where the role needs one.

    As a real sign-in would end: for a role that needs two-factor, a confirmed TOTP device
    named `device_name` (made if missing) verifies the session, and the session becomes the
    person's one live session (decision 0005). Returns the client.
    """
    client.force_login(user)
    if user.requires_2fa:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name=device_name, defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.pop(FIRST_FACTOR_ONLY, None)
        session.save()
        ActiveSession.objects.update_or_create(
            user=user, defaults={"session_key": session.session_key, "started_at": timezone.now()}
        )
    return client
