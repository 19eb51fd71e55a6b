"""Lockout after repeated wrong passwords, keyed on username and IP address together."""

from datetime import timedelta

import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
HOSTEL_IP = "203.0.113.7"
Kind = SecurityEvent.Kind


def fail(client, username, ip=HOSTEL_IP, times=5):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)
    return response


def sign_in(client, username, ip=HOSTEL_IP):
    return client.post(LOGIN, {"username": username, "password": PASSWORD}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_pause_signing_in_with_a_clear_message(client, caseworker):
    response = fail(client, "casey")
    assert response.status_code == 429
    content = response.content.decode()
    assert "Signing in is paused" in content
    assert "5 wrong passwords in a row for <strong>casey</strong>" in content
    assert "Wait 30 minutes without trying" in content
    assert "ask an admin to unlock your account" in content


def test_even_the_right_password_is_refused_while_locked_out(client, caseworker):
    fail(client, "casey")
    response = sign_in(client, "casey")
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_four_wrong_passwords_do_not_lock_anyone_out(client, caseworker):
    fail(client, "casey", times=4)
    response = sign_in(client, "casey")
    assert response.status_code == 302


def test_the_lockout_is_recorded_once_with_each_failed_try(client, caseworker):
    fail(client, "casey", times=7)
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, user=caseworker, ip_address=HOSTEL_IP).count() == 1
    assert SecurityEvent.objects.filter(kind=Kind.LOGIN_FAILED, user=caseworker).count() == 7


def test_the_same_username_from_another_address_is_not_locked(client, caseworker):
    fail(client, "casey", ip=HOSTEL_IP)
    response = sign_in(client, "casey", ip="198.51.100.20")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(caseworker.pk)


def test_another_username_from_the_same_address_is_not_locked(client, caseworker):
    """Staff in a hostel share one public address: one person's lockout must not stop the rest."""
    UserFactory(username="colleague")
    fail(client, "casey", ip=HOSTEL_IP)
    response = sign_in(client, "colleague", ip=HOSTEL_IP)
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail(client, "casey")
        clock.shift(timedelta(minutes=29))
        assert sign_in(client, "casey").status_code == 429
        # That attempt restarted the wait, as the page says.
        clock.shift(timedelta(minutes=31))
        assert sign_in(client, "casey").status_code == 302


def test_an_admin_can_unlock_a_locked_out_person(client, login, caseworker, admin_user):
    fail(client, "casey")
    assert AccessAttempt.objects.filter(username="casey").exists()

    admin_client = login(admin_user, test_client=type(client)())
    changelist = admin_client.get("/admin/accounts/user/")
    assert changelist.status_code == 200
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "unlock_sign_in", "_selected_action": [caseworker.pk]},
        follow=True,
    )
    assert "Unlocked sign-in for casey." in response.content.decode()
    assert not AccessAttempt.objects.filter(username="casey").exists()
    event = SecurityEvent.objects.get(kind=Kind.UNLOCKED)
    assert (event.user, event.actor) == (caseworker, admin_user)

    assert sign_in(client, "casey").status_code == 302


def test_the_staff_list_shows_who_is_locked_out(client, login, caseworker, other_caseworker, admin_user):
    fail(client, "casey")
    admin_client = login(admin_user, test_client=type(client)())
    response = admin_client.get("/admin/accounts/user/")
    rows = {user.username: user.is_locked_out for user in response.context["cl"].result_list}
    assert rows["casey"] is True
    assert rows["olly"] is False


def test_unlocking_someone_who_is_not_locked_says_so(client, login, caseworker, admin_user):
    admin_client = login(admin_user)
    response = admin_client.post(
        "/admin/accounts/user/", {"action": "unlock_sign_in", "_selected_action": [caseworker.pk]}, follow=True
    )
    assert "None of the selected people were locked out." in response.content.decode()
