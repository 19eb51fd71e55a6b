"""Idle timeout, absolute lifetime and one active session per person."""

from datetime import timedelta
from importlib import import_module

import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ActiveSession, SecurityEvent
from accounts.tests.factories import PASSWORD

LOGIN = "/accounts/login/"
Kind = SecurityEvent.Kind
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36"


def sign_in(client, user, *, ip="192.0.2.10", agent=FIREFOX):
    response = client.post(
        LOGIN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ip, HTTP_USER_AGENT=agent
    )
    assert response.status_code == 302
    return client


def session_exists(key):
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(key)


# --- Idle timeout and absolute lifetime -------------------------------------------------


def test_a_session_idle_for_the_timeout_is_signed_out_with_a_clear_message(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, caseworker)
        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=30, seconds=1))
        response = client.get("/accounts/two-factor/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?ended=idle&next=%2Faccounts%2Ftwo-factor%2F"
    assert SESSION_KEY not in client.session
    assert SecurityEvent.objects.filter(kind=Kind.SESSION_EXPIRED, user=caseworker).count() == 1
    assert not ActiveSession.objects.filter(user=caseworker).exists()
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out because you had not used the system for 30 minutes" in page


def test_activity_keeps_the_session_alive(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, caseworker)
        for _ in range(6):
            clock.shift(timedelta(minutes=25))
            assert client.get("/").status_code == 200


def test_the_absolute_lifetime_ends_even_a_busy_session(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, caseworker)
        for _ in range(29):  # every 20 minutes for 9h40
            clock.shift(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=20))
        response = client.get("/")
    assert response["Location"].startswith("/accounts/login/?ended=lifetime")
    assert "sessions last at most 10 hours" in client.get(response["Location"]).content.decode()


@override_settings(SESSION_IDLE_TIMEOUT=timedelta(minutes=5), SESSION_ABSOLUTE_LIFETIME=timedelta(minutes=12))
def test_the_timeouts_follow_the_settings(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, caseworker)
        clock.shift(timedelta(minutes=4))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=5, seconds=1))
        assert client.get("/")["Location"].startswith("/accounts/login/?ended=idle")
        sign_in(client, caseworker)
        for _ in range(2):
            clock.shift(timedelta(minutes=4))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=4))
        assert client.get("/")["Location"].startswith("/accounts/login/?ended=lifetime")


def test_a_form_posted_after_the_timeout_is_not_replayed_after_signing_in(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, caseworker)
        clock.shift(timedelta(hours=1))
        response = client.post("/accounts/password/change/", {})
    assert response["Location"] == "/accounts/login/?ended=idle"


# --- One active session per person -------------------------------------------------------


def test_a_second_login_ends_the_first_session_and_records_both(caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = sign_in(Client(), caseworker, ip="192.0.2.10", agent=FIREFOX)
        first_key = first.session.session_key
        clock.shift(timedelta(minutes=10))
        second = sign_in(Client(), caseworker, ip="198.51.100.99", agent=PHONE)
        event = SecurityEvent.objects.get(kind=Kind.CONCURRENT_LOGIN)

    assert not session_exists(first_key)
    assert event.user == caseworker
    assert (event.ip_address, event.user_agent) == ("198.51.100.99", PHONE)
    assert (event.other_ip_address, event.other_user_agent) == ("192.0.2.10", FIREFOX)
    assert event.at - event.other_started_at == timedelta(minutes=10)

    response = first.get("/")
    assert response["Location"] == "/accounts/login/?ended=elsewhere&next=%2F"
    page = first.get(response["Location"]).content.decode()
    assert "your account was used to sign in on another device or browser" in page
    assert second.get("/").status_code == 200


def test_the_old_session_is_refused_even_if_the_store_still_had_it(client, caseworker):
    """Session engines that cannot delete (signed cookies) are caught by the key check."""
    sign_in(client, caseworker)
    # As if a newer login elsewhere had taken over without removing this session.
    ActiveSession.objects.filter(user=caseworker).update(session_key="a-newer-session-key")
    response = client.get("/")
    assert response["Location"] == "/accounts/login/?ended=elsewhere&next=%2F"
    assert SESSION_KEY not in client.session


def test_signing_in_again_after_signing_out_is_not_a_concurrent_login(client, caseworker):
    sign_in(client, caseworker)
    client.post("/accounts/logout/")
    sign_in(client, caseworker)
    assert not SecurityEvent.objects.filter(kind=Kind.CONCURRENT_LOGIN).exists()


def test_signing_in_after_a_timed_out_session_is_not_a_concurrent_login(caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(Client(), caseworker)  # the browser is left open, unused
        clock.shift(timedelta(minutes=45))
        sign_in(Client(), caseworker)
    assert not SecurityEvent.objects.filter(kind=Kind.CONCURRENT_LOGIN).exists()


def test_signing_in_twice_in_the_same_browser_is_not_a_concurrent_login(client, caseworker):
    sign_in(client, caseworker)
    sign_in(client, caseworker)
    assert not SecurityEvent.objects.filter(kind=Kind.CONCURRENT_LOGIN).exists()
    assert client.get("/").status_code == 200


def test_a_session_from_before_a_password_reset_is_not_a_concurrent_login(caseworker):
    sign_in(Client(), caseworker)
    caseworker.set_password("a whole new passphrase 2026")
    caseworker.save()
    response = Client().post(LOGIN, {"username": "casey", "password": "a whole new passphrase 2026"})
    assert response.status_code == 302
    assert not SecurityEvent.objects.filter(kind=Kind.CONCURRENT_LOGIN).exists()


def test_a_browser_with_an_expired_session_cookie_is_told_its_session_expired(client, caseworker):
    sign_in(client, caseworker)
    import_module(settings.SESSION_ENGINE).SessionStore(client.session.session_key).delete()
    response = client.get("/")
    assert response["Location"] == "/accounts/login/?ended=expired&next=%2F"


def test_a_stale_cookie_on_a_public_page_is_left_alone(client, caseworker):
    sign_in(client, caseworker)
    import_module(settings.SESSION_ENGINE).SessionStore(client.session.session_key).delete()
    assert client.get("/accounts/password/reset/").status_code == 200


def test_changing_the_password_keeps_this_session(client, caseworker):
    sign_in(client, caseworker)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert ActiveSession.objects.get(user=caseworker).session_key == client.session.session_key
    assert SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED, user=caseworker).exists()


# --- Cost -----------------------------------------------------------------------------


def test_the_session_check_costs_one_query_per_request(client, caseworker):
    sign_in(client, caseworker)
    client.get("/accounts/two-factor/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/accounts/two-factor/")
    session_checks = [q["sql"] for q in queries.captured_queries if "accounts_activesession" in q["sql"]]
    assert len(session_checks) == 1
    # The session is not rewritten on every request (activity is kept to the minute).
    assert not any(q["sql"].startswith("UPDATE") for q in queries.captured_queries)


def test_a_signed_in_page_costs_a_fixed_number_of_queries(client, caseworker, django_assert_num_queries):
    sign_in(client, caseworker)
    client.get("/accounts/two-factor/")
    # The session (with its live-session check), the user, the person's device (no device: no backup-code count).
    with django_assert_num_queries(3):
        client.get("/accounts/two-factor/")


def test_anonymous_pages_cost_no_session_check(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get(LOGIN)


def test_changing_the_password_in_the_admin_keeps_this_session(client, login, admin_user):
    login(admin_user)
    new = "another long passphrase"
    response = client.post(
        "/admin/password_change/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert ActiveSession.objects.get(user=admin_user).session_key == client.session.session_key


def test_an_admin_setting_their_own_password_in_the_staff_admin_stays_signed_in(client, login, admin_user):
    login(admin_user)
    new = "another long passphrase"
    response = client.post(
        f"/admin/accounts/user/{admin_user.pk}/password/",
        {"usable_password": "true", "password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
