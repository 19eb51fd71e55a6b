"""Backup codes (issue 11, item 4): ten one-time codes made at enrolment, shown once,
stored as digests, usable at sign-in instead of the phone, each use a security event."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts import backup_codes, services
from accounts.models import BackupCode, BackupCodeDevice, SecurityEvent
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory, totp_code

Kind = SecurityEvent.Kind
LOGIN = "/accounts/login/"
ENROL = "/accounts/two-factor/set-up/"
VERIFY = "/accounts/two-factor/verify/"
CODE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _enrol(client, user) -> list[str]:
    """Sign in with the password, confirm a new authenticator; return the codes shown."""
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(ENROL, {"token": totp_code(device)})
    assert response.status_code == 200
    return CODE.findall(response.content.decode())


def _codes_for(user) -> list[str]:
    return services.backup_codes_generate(actor=user)


def test_enrolment_shows_ten_codes_once_and_stores_only_digests(client, manager):
    codes = _enrol(client, manager)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = set(BackupCode.objects.filter(device__user=manager).values_list("digest", flat=True))
    assert stored == {backup_codes.digest(code) for code in codes}
    assert not any(code.replace("-", "") in digest for code in codes for digest in stored)
    assert SecurityEvent.objects.filter(kind=Kind.BACKUP_CODES_GENERATED, user=manager).exists()
    # Never shown again: the backup codes page gives a count, not the codes.
    page = client.get(reverse("accounts:two_factor_backup_codes")).content.decode()
    assert CODE.findall(page) == []
    assert "<strong>10</strong> unused backup codes" in page


def test_a_backup_code_signs_in_once_and_is_a_security_event(client, manager):
    TOTPDeviceFactory(user=manager)
    codes = _codes_for(manager)
    client.post(LOGIN, {"username": manager.username, "password": PASSWORD})

    response = client.post(VERIFY, {"backup_code": codes[3].upper().replace("-", " ")})

    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    event = SecurityEvent.objects.get(kind=Kind.BACKUP_CODE_USED, user=manager)
    assert event.detail == "9 codes left"
    assert BackupCode.objects.filter(device__user=manager).count() == 9

    again = Client()
    again.post(LOGIN, {"username": manager.username, "password": PASSWORD})
    refused = again.post(VERIFY, {"backup_code": codes[3]})
    assert refused.status_code == 200
    assert "has been used already" in refused.content.decode()
    assert again.get("/").status_code == 302
    assert SecurityEvent.objects.filter(kind=Kind.TWO_FACTOR_FAILED, user=manager, detail="backup code").exists()


def test_the_verify_page_offers_backup_codes_only_to_people_who_have_them(client, manager):
    TOTPDeviceFactory(user=manager)
    client.post(LOGIN, {"username": manager.username, "password": PASSWORD})
    assert "use a backup code" not in client.get(VERIFY).content.decode()

    _codes_for(manager)
    assert "use a backup code" in client.get(VERIFY).content.decode()


def test_a_backup_code_of_another_person_does_not_work(client, manager, other_manager):
    TOTPDeviceFactory(user=manager)
    TOTPDeviceFactory(user=other_manager)
    _codes_for(manager)
    theirs = _codes_for(other_manager)
    client.post(LOGIN, {"username": manager.username, "password": PASSWORD})

    assert client.post(VERIFY, {"backup_code": theirs[0]}).status_code == 200
    assert client.get("/").status_code == 302


def test_wrong_backup_codes_are_throttled(client, manager):
    TOTPDeviceFactory(user=manager)
    codes = _codes_for(manager)
    client.post(LOGIN, {"username": manager.username, "password": PASSWORD})
    for _ in range(3):
        client.post(VERIFY, {"backup_code": "aaaa-bbbb-cccc"})

    response = client.post(VERIFY, {"backup_code": codes[0]})

    assert "Too many wrong codes" in response.content.decode()
    assert BackupCode.objects.filter(device__user=manager).count() == 10


def test_making_new_codes_needs_a_verified_session_and_retires_the_old_ones(client, login, manager):
    TOTPDeviceFactory(user=manager)
    old = _codes_for(manager)
    login(manager, test_client=client)

    response = client.post(reverse("accounts:two_factor_backup_codes"))

    new = CODE.findall(response.content.decode())
    assert len(new) == 10
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    digests = set(BackupCode.objects.filter(device__user=manager).values_list("digest", flat=True))
    assert backup_codes.digest(old[0]) not in digests
    assert backup_codes.digest(new[0]) in digests
    assert BackupCodeDevice.objects.filter(user=manager).count() == 1


def test_the_status_page_shows_how_many_codes_remain(login, manager):
    TOTPDeviceFactory(user=manager)
    codes = _codes_for(manager)
    BackupCode.objects.filter(digest=backup_codes.digest(codes[0])).delete()
    page = login(manager).get(reverse("accounts:two_factor")).content.decode()
    assert "You have 9 unused backup codes." in page


def test_a_reset_of_two_factor_removes_the_backup_codes_too(admin_user, manager):
    TOTPDeviceFactory(user=manager)
    _codes_for(manager)
    services.two_factor_reset(actor=admin_user, user=manager)
    assert not BackupCodeDevice.objects.filter(user=manager).exists()
    assert not BackupCode.objects.exists()


def test_backup_codes_need_an_authenticator_first(manager):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _codes_for(manager)


def test_a_code_made_before_a_key_rotation_still_works_through_the_fallback(settings, manager):
    TOTPDeviceFactory(user=manager)
    codes = _codes_for(manager)
    device = BackupCodeDevice.objects.get(user=manager)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    assert device.verify_token(codes[0])
    settings.SECRET_KEY_FALLBACKS = []
    assert not device.verify_token(codes[1])


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="abcdefghjkmnpqrstuvwxyz23456789- ", min_size=0, max_size=20))
def test_a_typed_code_matches_only_if_its_letters_match(typed):
    code = backup_codes.generate(1)[0]
    matches = backup_codes.digest(typed) == backup_codes.digest(code)
    assert matches == (backup_codes.normalise(typed) == backup_codes.normalise(code))


def test_the_status_page_costs_one_query_for_the_backup_code_count(client, login, manager, django_assert_num_queries):
    TOTPDeviceFactory(user=manager)
    _codes_for(manager)
    login(manager, test_client=client)
    client.get(reverse("accounts:two_factor"))
    # session (with its live-session key), user, verified device, the person's device, codes left.
    with django_assert_num_queries(5):
        client.get(reverse("accounts:two_factor"))
