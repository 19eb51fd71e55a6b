"""A password alone never ends a verified session (decision 0005).

Someone who owes a second factor — a confirmed authenticator, or a role that must enrol
one — has a session that waits: it becomes their one live session only when the second
factor passes (a code, a backup code, enrolment, or multi-factor asserted by single
sign-on). Otherwise anyone who knew only the password could keep signing a manager out.
"""

import pytest
from django.test import Client

from accounts import services
from accounts.models import ActiveSession, Role, SecurityEvent
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory, UserFactory, totp_code

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/verify/"
ENROL = "/accounts/two-factor/set-up/"
Kind = SecurityEvent.Kind


def password_only(user) -> Client:
    browser = Client()
    response = browser.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def verified(user, device) -> Client:
    """A browser signed in with the password and a code from `device`."""
    browser = password_only(user)
    response = browser.post(VERIFY, {"token": totp_code(device)})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200
    return browser


def test_a_password_alone_does_not_sign_out_a_verified_manager(db):
    manager = UserFactory(role=Role.SERVICE_MANAGER)
    device = TOTPDeviceFactory(user=manager)
    real = verified(manager, device)
    live_key = real.session.session_key

    intruder = password_only(manager)

    assert real.get("/").status_code == 200
    assert ActiveSession.objects.get(user=manager).session_key == live_key
    assert not SecurityEvent.objects.filter(user=manager, kind=Kind.CONCURRENT_LOGIN).exists()
    # The intruder's session opens nothing but the code page.
    assert intruder.get("/")["Location"].startswith(VERIFY)


def test_a_caseworker_with_an_authenticator_is_protected_the_same_way(db):
    caseworker = UserFactory(role=Role.CASEWORKER)
    device = TOTPDeviceFactory(user=caseworker)
    real = verified(caseworker, device)

    password_only(caseworker)

    assert real.get("/").status_code == 200


def test_a_role_that_must_enrol_does_not_end_a_live_session_by_password_alone(db):
    iso = UserFactory(role=Role.INFORMATION_SECURITY_OFFICER)
    device = TOTPDeviceFactory(user=iso)
    real = verified(iso, device)
    live_key = real.session.session_key
    device.delete()  # e.g. an admin reset the phone: every sign-in must enrol again

    pending = password_only(iso)

    assert pending.get("/")["Location"].startswith(ENROL)
    # The live session is still theirs (it too must enrol now, but it was not signed out).
    assert ActiveSession.objects.get(user=iso).session_key == live_key
    assert real.get("/")["Location"].startswith(ENROL)


@pytest.mark.parametrize("second_factor", ["code", "backup code"])
def test_the_second_factor_makes_the_new_session_the_live_one_and_ends_the_old(db, second_factor):
    manager = UserFactory(role=Role.SERVICE_MANAGER)
    device = TOTPDeviceFactory(user=manager)
    codes = services.backup_codes_generate(actor=manager)
    first = verified(manager, device)

    second = password_only(manager)
    token = codes[0] if second_factor == "backup code" else totp_code(device, steps_ahead=1)
    field = "backup_code" if second_factor == "backup code" else "token"
    response = second.post(VERIFY, {field: token})

    assert response.status_code == 302, response.content[:500]
    assert second.get("/").status_code == 200
    assert ActiveSession.objects.get(user=manager).session_key == second.session.session_key
    assert first.get("/")["Location"] == "/accounts/login/?ended=elsewhere&next=%2F"
    assert SecurityEvent.objects.filter(user=manager, kind=Kind.CONCURRENT_LOGIN).count() == 1


def test_enrolling_makes_the_session_the_live_one(db):
    manager = UserFactory(role=Role.SERVICE_MANAGER)
    browser = password_only(manager)
    assert not ActiveSession.objects.filter(user=manager).exists()

    browser.get(ENROL)
    device = manager.totpdevice_set.get(confirmed=False)
    browser.post(ENROL, {"token": totp_code(device)})

    assert ActiveSession.objects.get(user=manager).session_key == browser.session.session_key
    assert browser.get("/").status_code == 200


def test_a_person_who_owes_no_second_factor_starts_their_live_session_at_the_password(db):
    caseworker = UserFactory(role=Role.CASEWORKER)
    first = password_only(caseworker)

    second = password_only(caseworker)

    assert ActiveSession.objects.get(user=caseworker).session_key == second.session.session_key
    assert first.get("/").status_code == 302
