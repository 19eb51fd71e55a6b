"""Second-factor secrets and passwords in admin (issue 11, item 3).

An admin never sees anyone's TOTP key or QR code, cannot add or edit a device, and every
reset of someone's second factor or password in admin is a security event for the person
(the admin as actor) and an e-mail to them.
"""

import binascii

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SecurityEvent
from accounts.tests.factories import TOTPDeviceFactory

Kind = SecurityEvent.Kind


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(login, admin_user):
    return login(admin_user, test_client=Client())


def test_admin_never_shows_a_second_factor_key_or_qr_code(admin_client, manager):
    device = TOTPDeviceFactory(user=manager)
    key_base32 = __import__("base64").b32encode(binascii.unhexlify(device.key)).decode()

    pages = [
        admin_client.get(reverse("admin:otp_totp_totpdevice_changelist")),
        admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        content = page.content.decode()
        assert device.key not in content
        assert key_base32[:16] not in content
        assert "qrcode" not in content.lower()
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code == 403
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk])).status_code == 403


def test_admin_cannot_add_or_edit_someone_elses_device(admin_client, manager):
    device = TOTPDeviceFactory(user=manager)
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    admin_client.post(
        reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
        {"user": manager.pk, "name": "x", "key": "00" * 20, "confirmed": "on"},
    )
    device.refresh_from_db()
    assert device.key != "00" * 20


def _assert_reset_recorded(person, actor, mailoutbox, kind=Kind.TWO_FACTOR_RESET):
    event = SecurityEvent.objects.get(kind=kind, user=person)
    assert event.actor == actor
    assert [message.to for message in mailoutbox] == [[person.email]]
    assert actor.get_full_name() in mailoutbox[0].body


def test_resetting_two_factor_from_the_staff_list_is_recorded_and_tells_the_person(
    admin_client, admin_user, manager, mailoutbox, outbox_sent
):
    TOTPDeviceFactory(user=manager)
    with outbox_sent():
        admin_client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "reset_two_factor", "_selected_action": [manager.pk]},
        )

    assert not TOTPDevice.objects.filter(user=manager).exists()
    _assert_reset_recorded(manager, admin_user, mailoutbox)
    assert "two-factor" in mailoutbox[0].subject.lower()


def test_deleting_a_device_in_admin_is_a_recorded_reset(admin_client, admin_user, manager, mailoutbox, outbox_sent):
    device = TOTPDeviceFactory(user=manager)
    with outbox_sent():
        response = admin_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    _assert_reset_recorded(manager, admin_user, mailoutbox)


def test_bulk_deleting_devices_in_admin_records_a_reset_per_person(
    admin_client, admin_user, manager, iso, mailoutbox, outbox_sent
):
    devices = [TOTPDeviceFactory(user=manager), TOTPDeviceFactory(user=iso)]
    with outbox_sent():
        admin_client.post(
            reverse("admin:otp_totp_totpdevice_changelist"),
            {"action": "delete_selected", "_selected_action": [d.pk for d in devices], "post": "yes"},
        )

    assert not TOTPDevice.objects.filter(user__in=[manager, iso]).exists()
    assert set(SecurityEvent.objects.filter(kind=Kind.TWO_FACTOR_RESET).values_list("user", "actor")) == {
        (manager.pk, admin_user.pk),
        (iso.pk, admin_user.pk),
    }
    assert sorted(m.to[0] for m in mailoutbox) == sorted([manager.email, iso.email])


def test_setting_a_password_in_admin_is_recorded_and_tells_the_person(
    admin_client, admin_user, caseworker, mailoutbox, outbox_sent
):
    url = reverse("admin:auth_user_password_change", args=[caseworker.pk])
    with outbox_sent():
        response = admin_client.post(
            url,
            {
                "password1": "a new long passphrase 71",
                "password2": "a new long passphrase 71",
                "set_usable_password": "true",
            },
        )

    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.check_password("a new long passphrase 71")
    _assert_reset_recorded(caseworker, admin_user, mailoutbox, kind=Kind.PASSWORD_SET_BY_ADMIN)


def test_a_refused_password_in_admin_records_nothing(admin_client, caseworker, mailoutbox, outbox_sent):
    url = reverse("admin:auth_user_password_change", args=[caseworker.pk])
    with outbox_sent():
        response = admin_client.post(url, {"password1": "a new long passphrase 71", "password2": "different 71"})

    assert response.status_code == 200
    assert not SecurityEvent.objects.filter(kind=Kind.PASSWORD_SET_BY_ADMIN).exists()
    assert mailoutbox == []
