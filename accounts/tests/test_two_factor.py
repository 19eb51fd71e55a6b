"""TOTP two-factor: required for managers, the ISO and admins; optional for caseworkers."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role, SecurityEvent
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory, UserFactory, totp_code

LOGIN = "/accounts/login/"
ENROL = "/accounts/two-factor/set-up/"
VERIFY = "/accounts/two-factor/verify/"
Kind = SecurityEvent.Kind


def password_login(client, user, **extra):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD, **extra})


@pytest.mark.parametrize(
    ("role", "superuser", "required"),
    [
        (Role.CASEWORKER, False, False),
        (Role.SERVICE_MANAGER, False, True),
        (Role.INFORMATION_SECURITY_OFFICER, False, True),
        (Role.ADMIN, False, True),
        (Role.CASEWORKER, True, True),
    ],
)
def test_two_factor_is_required_by_role(client, db, role, superuser, required):
    user = UserFactory(role=role, is_superuser=superuser)
    response = password_login(client, user)
    assert response["Location"] == (ENROL if required else "/")
    assert client.get("/").status_code == (302 if required else 200)


def test_a_manager_without_a_device_is_sent_to_enrolment_after_the_password(client, manager):
    response = password_login(client, manager, next="/accounts/security-events/")
    assert response["Location"] == f"{ENROL}?next=%2Faccounts%2Fsecurity-events%2F"
    page = client.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert "Your role must use two-factor authentication" in content
    assert '<svg role="img" aria-label="QR code' in content
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    assert device.config_url.split("secret=")[1].split("&")[0][:4] in content.replace(" ", "")


def test_a_manager_cannot_open_other_pages_until_enrolled(client, manager):
    password_login(client, manager)
    for path in ["/", "/accounts/security-events/", "/accounts/two-factor/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(ENROL), path


def test_enrolling_with_the_right_code_turns_two_factor_on(client, manager):
    password_login(client, manager)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=manager)
    response = client.post(ENROL, {"token": totp_code(device), "next": "/accounts/security-events/"})
    # The one showing of the new backup codes, then on to where they were going.
    assert response.status_code == 200
    assert 'href="/accounts/security-events/"' in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/accounts/security-events/").status_code == 200
    assert SecurityEvent.objects.filter(kind=Kind.TWO_FACTOR_ENROLLED, user=manager).count() == 1


def test_the_enrolment_page_keeps_the_same_secret_until_confirmed(client, manager):
    password_login(client, manager)
    client.get(ENROL)
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=manager).count() == 1


def test_enrolling_with_a_wrong_code_explains_and_is_recorded(client, manager):
    password_login(client, manager)
    client.get(ENROL)
    response = client.post(ENROL, {"token": "000000"})
    assert response.status_code == 200
    assert "That code did not match" in response.content.decode()
    assert not TOTPDevice.objects.get(user=manager).confirmed
    assert SecurityEvent.objects.filter(kind=Kind.TWO_FACTOR_FAILED, user=manager).count() == 1
    assert client.get("/")["Location"].startswith(ENROL)


def test_enrolment_after_wrong_codes_says_when_to_try_again(client, manager):
    password_login(client, manager)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=manager)
    with time_machine.travel(timezone.now(), tick=False):
        client.post(ENROL, {"token": "000000"})
        response = client.post(ENROL, {"token": totp_code(device)})
    assert "Too many wrong codes in a row" in response.content.decode()
    assert not TOTPDevice.objects.get(user=manager).confirmed


def test_someone_with_a_device_is_asked_for_a_code_after_the_password(client, caseworker):
    TOTPDeviceFactory(user=caseworker)
    response = password_login(client, caseworker)
    assert response["Location"] == VERIFY
    assert client.get("/")["Location"].startswith(VERIFY)


def test_the_right_code_lets_them_in(client, manager):
    device = TOTPDeviceFactory(user=manager)
    password_login(client, manager, next="/accounts/two-factor/")
    response = client.post(VERIFY, {"token": totp_code(device), "next": "/accounts/two-factor/"})
    assert response["Location"] == "/accounts/two-factor/"
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message_and_recorded(client, manager):
    TOTPDeviceFactory(user=manager)
    password_login(client, manager)
    response = client.post(VERIFY, {"token": "123456"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "That code is not right" in content
    assert client.get("/")["Location"].startswith(VERIFY)
    event = SecurityEvent.objects.get(kind=Kind.TWO_FACTOR_FAILED)
    assert event.user == manager


def test_after_wrong_codes_it_says_when_to_try_again(client, manager):
    device = TOTPDeviceFactory(user=manager)
    password_login(client, manager)
    with time_machine.travel(timezone.now(), tick=False):
        client.post(VERIFY, {"token": "123456"})
        response = client.post(VERIFY, {"token": totp_code(device)})
        assert "Too many wrong codes in a row" in response.content.decode()
        assert client.get("/")["Location"].startswith(VERIFY)


def test_a_code_cannot_be_used_twice(client, manager):
    device = TOTPDeviceFactory(user=manager)
    code = totp_code(device)
    password_login(client, manager)
    client.post(VERIFY, {"token": code})
    second = Client()
    password_login(second, manager)
    response = second.post(VERIFY, {"token": code})
    assert "That code is not right" in response.content.decode()


@pytest.mark.parametrize("token", ["", "12345", "1234567", "abcdef", "12 34 5", "١٢٣٤٥٦", "\x00" * 6, "9" * 500])
def test_malformed_codes_get_an_error_beside_the_field(client, manager, token):
    TOTPDeviceFactory(user=manager)
    password_login(client, manager)
    response = client.post(VERIFY, {"token": token})
    assert response.status_code == 200
    assert 'id="id_token_error"' in response.content.decode()


def test_a_code_typed_with_a_space_is_accepted(client, manager):
    device = TOTPDeviceFactory(user=manager)
    password_login(client, manager)
    code = totp_code(device)
    response = client.post(VERIFY, {"token": f"{code[:3]} {code[3:]}"})
    assert response["Location"] == "/"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(["token", "next", "x"]), st.text(max_size=100)))
def test_any_post_to_the_code_pages_gets_an_answer_not_a_500(client, manager, data):
    password_login(client, manager)
    assert client.post(ENROL, data).status_code in {200, 302}
    assert client.post(VERIFY, data).status_code in {200, 302}


def test_a_caseworker_without_a_device_goes_straight_to_the_dashboard(client, caseworker):
    assert password_login(client, caseworker)["Location"] == "/"
    response = client.get("/accounts/two-factor/")
    assert "It is optional for your role" in response.content.decode()


def test_a_caseworker_can_turn_two_factor_on_and_off(client, caseworker):
    password_login(client, caseworker)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=caseworker)
    client.post(ENROL, {"token": totp_code(device)})
    assert "You use an authenticator app" in client.get("/accounts/two-factor/").content.decode()

    response = client.post("/accounts/two-factor/turn-off/")
    assert response["Location"] == "/accounts/two-factor/"
    assert not TOTPDevice.objects.filter(user=caseworker).exists()
    assert SecurityEvent.objects.filter(kind=Kind.TWO_FACTOR_REMOVED, user=caseworker).exists()


def test_a_manager_cannot_turn_two_factor_off(client, login, manager):
    login(manager)
    assert client.post("/accounts/two-factor/turn-off/").status_code == 403
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_a_password_alone_cannot_enrol_a_new_device_over_the_existing_one(client, manager):
    TOTPDeviceFactory(user=manager)
    password_login(client, manager)
    response = client.get(ENROL)
    assert response["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=manager).count() == 1


def test_a_verified_person_can_move_to_a_new_phone(client, login, manager):
    login(manager)
    old = TOTPDevice.objects.get(user=manager)
    client.get(ENROL)
    new = TOTPDevice.objects.get(user=manager, confirmed=False)
    client.post(ENROL, {"token": totp_code(new)})
    assert list(TOTPDevice.objects.filter(user=manager)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_the_admin_site_needs_a_verified_second_factor(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(ENROL)


def test_a_verified_admin_reaches_the_admin_site(client, login, admin_user):
    login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_page_sends_people_to_our_login(client, db):
    response = client.get("/admin/login/?next=/admin/accounts/team/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/accounts/team/"


def test_the_admin_site_refuses_staff_without_the_admin_role(client, login, caseworker):
    login(caseworker)
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert client.get(response["Location"]).status_code == 403


def test_an_admin_reset_makes_the_person_enrol_again(client, login, manager, admin_user):
    TOTPDeviceFactory(user=manager)
    admin_client = login(admin_user, test_client=Client())
    admin_client.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [manager.pk]}, follow=True
    )
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert password_login(client, manager)["Location"] == ENROL
    event = SecurityEvent.objects.get(kind=Kind.TWO_FACTOR_RESET)
    assert event.actor == admin_user


def test_throttling_lifts_after_the_wait(client, manager):
    device = TOTPDeviceFactory(user=manager)
    password_login(client, manager)
    client.post(VERIFY, {"token": "123456"})
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        response = client.post(VERIFY, {"token": totp_code(device)})
    assert response["Location"] == "/"
