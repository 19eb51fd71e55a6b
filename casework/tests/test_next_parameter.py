"""Every view that takes a `next` parameter goes only to a local path, and never answers 500.

The hostile values are the kinds that have broken "safe next" checks: bare words that
`redirect()` would reverse as view names, protocol-relative and backslash hosts, schemes,
control characters, very long and non-ASCII values.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from access.gate import open_client
from access.models import AccessReview
from accounts.models import ActiveSession
from accounts.redirects import is_local_path, safe_next
from accounts.tests.factories import PASSWORD, TOTPDeviceFactory, unused_totp_code

HOSTILE = [
    "abc",
    "2",
    "home-page",
    "accounts:login",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    " /clients/",
    "\t//evil.example",
    "\x00",
    "/\x00",
    "/clients/\r\nLocation: https://evil.example/",
    "/" + "a" * 5000,
    "/cl\u00efents/",
    "/\u2215\u2215evil.example",
    "\uff0f\uff0fevil.example",
]
LOCAL = "/clients/?page=2"


def assert_local_or_page(response, default: str | None = None):
    """Not a 500; a redirect goes to a local path (the default, when one is given)."""
    assert response.status_code in {200, 302, 400, 404}, response.status_code
    if response.status_code == 302:
        location = response["Location"]
        parts = urlsplit(location)
        assert (parts.scheme, parts.netloc) == ("", ""), location
        assert location.startswith("/"), location
        assert not location.startswith("//"), location
        assert "\\" not in location
        if default is not None:
            assert location == default


@pytest.mark.parametrize("value", HOSTILE)
def test_the_helper_refuses_every_hostile_value(value):
    assert not is_local_path(value)
    assert safe_next(value, "/fallback/") == "/fallback/"


@pytest.mark.parametrize("value", ["/", "/clients/", LOCAL, "/clients/12/?tab=consent#notes", "/a%2F%2Fb/"])
def test_the_helper_accepts_local_paths(value):
    assert safe_next(value, "/fallback/") == value


@given(st.text(max_size=60))
def test_whatever_the_helper_accepts_is_a_path_on_this_site(value):
    if is_local_path(value):
        parts = urlsplit(value)
        assert value.startswith("/")
        assert not value.startswith("//")
        assert (parts.scheme, parts.netloc) == ("", "")
        assert value.isascii()
        assert value.isprintable()
        assert " " not in value


def test_signing_in_with_a_hostile_next_lands_on_the_dashboard_and_stays_signed_in(caseworker):
    for value in [*HOSTILE, None]:
        client = Client()
        data = {"username": "casey", "password": PASSWORD}
        if value is not None:
            data["next"] = value
        page = client.get(reverse("accounts:login"), {"next": value} if value is not None else {})
        assert page.status_code == 200, value

        response = client.post(reverse("accounts:login") + "?next=abc", data)

        assert_local_or_page(response, default="/")
        assert client.get("/").status_code == 200, value
        assert ActiveSession.objects.get(user=caseworker).session_key == client.session.session_key


def test_signing_in_goes_on_to_a_local_next(client, caseworker):
    response = client.post(reverse("accounts:login"), {"username": "casey", "password": PASSWORD, "next": LOCAL})
    assert response["Location"] == LOCAL


def test_a_second_factor_with_a_hostile_next_lands_on_the_dashboard(manager):
    device = TOTPDeviceFactory(user=manager)
    start = timezone.now()
    for minutes, value in enumerate(HOSTILE):
        # A code is accepted once: each sign-in happens in its own time step.
        with time_machine.travel(start + timedelta(minutes=minutes)):
            check_second_factor(Client(), device, value)


def check_second_factor(client, device, value):
    client.post(reverse("accounts:login"), {"username": "morgan", "password": PASSWORD, "next": value})

    page = client.get(reverse("accounts:two_factor_verify"), {"next": value})
    assert_local_or_page(page)
    response = client.post(reverse("accounts:two_factor_verify"), {"token": unused_totp_code(device), "next": value})

    assert_local_or_page(response, default="/")
    assert client.get("/").status_code == 200
    again = client.get(reverse("accounts:two_factor_verify"), {"next": value})
    assert_local_or_page(again, default="/")


def test_enrolment_with_a_hostile_next_never_fails(client, manager):
    client.post(reverse("accounts:login"), {"username": "morgan", "password": PASSWORD})

    for value in HOSTILE:
        page = client.get(reverse("accounts:two_factor_enrol"), {"next": value})
        assert_local_or_page(page)
        wrong = client.post(reverse("accounts:two_factor_enrol"), {"token": "000000", "next": value})
        assert_local_or_page(wrong)
        assert '<input type="hidden" name="next" value="">' in wrong.content.decode()


def test_the_admin_sign_in_with_a_hostile_next_stays_on_the_site(client, login, admin_user):
    for value in HOSTILE:
        assert_local_or_page(client.get("/admin/login/", {"next": value}))
    login(admin_user)
    for value in HOSTILE:
        assert_local_or_page(client.get("/admin/login/", {"next": value}), default=reverse("admin:index"))


def test_the_reason_page_with_a_hostile_next_opens_the_record(login, caseworker, other_team_client):
    test_client = login(caseworker)
    url = reverse("access:reason", args=[other_team_client.pk])
    for value in HOSTILE:
        assert_local_or_page(test_client.get(url, {"next": value}))

        response = test_client.post(
            url + "?next=2", {"category": "covering", "text": "Covering for a colleague on leave", "next": value}
        )

        # A NUL character makes the form invalid: the page comes back with the error.
        expected = None if "\x00" in value else reverse("clients:record", args=[other_team_client.pk])
        assert_local_or_page(response, default=expected)


def test_the_access_review_with_a_hostile_next_goes_back_to_the_review(login, manager, other_caseworker, own_client):
    test_client = login(manager)
    for value in HOSTILE:
        event = open_client(
            other_caseworker, own_client.pk, reason="Covering the duty desk", reason_category="duty"
        ).event
        assert_local_or_page(test_client.get(reverse("access:review"), {"next": value}))

        response = test_client.post(
            reverse("access:review_mark"), {"kind": "event", "item": event.pk, "note": "Fine", "next": value}
        )
        invalid = test_client.post(reverse("access:review_mark"), {"kind": "event", "next": value})

        assert_local_or_page(response, default=reverse("access:review"))
        assert_local_or_page(invalid, default=reverse("access:review"))
        # A NUL character makes the form invalid (Django refuses it), so nothing is marked.
        assert AccessReview.objects.filter(event=event).exists() == ("\x00" not in value), repr(value)


@pytest.mark.parametrize("value", ["abc", "//evil.example/", "https://evil.example/"])
def test_single_sign_on_with_a_hostile_next_lands_on_the_dashboard(rf, caseworker, value):
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.sso import SignOnCallback

    request = rf.get("/accounts/sso/callback/")
    request.session = SessionStore()
    request.session["oidc_login_next"] = value
    request.user = caseworker
    request.sso_mfa = False
    view = SignOnCallback()
    view.request, view.user = request, caseworker

    response = view.login_success()

    assert_local_or_page(response, default="/")
