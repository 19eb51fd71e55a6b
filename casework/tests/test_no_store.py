"""Every response to a signed-in person is `Cache-Control: no-store`: walks the URL matrix.

Client pages on a shared computer must not come back from the browser's cache after
sign-out. Uses the tables of test_url_coverage, so a URL added there is checked here too.
"""

import pytest
from django.http import HttpResponse
from django.test import Client as BrowserlessClient
from django.test import RequestFactory
from django.urls import reverse

from casework.middleware import NoStoreMiddleware
from casework.tests.test_url_coverage import (
    CLIENT_URLS,
    LOGIN_ONLY,
    PATTERNS,
    PUBLIC,
    ROLE_ONLY,
    _url_for,
    fx,  # noqa: F401 (a fixture)
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def not_stored(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_every_client_url_is_no_store_for_whoever_opens_it(fx, login, own_client):  # noqa: F811
    cached = []
    for user_key in ("manager", "caseworker", "admin_user"):
        test_client = login(getattr(fx, user_key), BrowserlessClient())
        for name, spec in sorted(CLIENT_URLS.items()):
            url = reverse(name, kwargs=spec.kwargs(own_client, fx))
            response = getattr(test_client, spec.method)(url, spec.data(own_client, fx) if spec.data else {})
            if not not_stored(response):
                cached.append((user_key, name, response.status_code, response.get("Cache-Control")))
    assert not cached, cached


def test_every_role_and_signed_in_url_is_no_store(fx, login):  # noqa: F811
    cached = []
    for user_key in ("manager", "iso", "caseworker"):
        test_client = login(getattr(fx, user_key), BrowserlessClient())
        for name in sorted(LOGIN_ONLY):
            response = test_client.get(reverse(name))
            if not not_stored(response):
                cached.append((user_key, name, response.status_code))
        for name, spec in sorted(ROLE_ONLY.items()):
            url = reverse(name, kwargs=spec.kwargs(fx) if spec.kwargs else {})
            response = getattr(test_client, spec.method)(url, spec.data)
            if not not_stored(response):
                cached.append((user_key, name, response.status_code))
    assert not cached, cached


def test_every_url_pattern_including_admin_is_no_store_for_staff(login, admin_user):
    test_client = login(admin_user, BrowserlessClient())
    cached = []
    for pattern in PATTERNS:
        if pattern.name in PUBLIC or pattern.name in {"admin:logout"}:
            continue
        response = test_client.get(_url_for(pattern))
        if not not_stored(response):
            cached.append((pattern.name, response.status_code))
    assert not cached, cached


def test_signing_out_is_no_store_and_the_record_then_asks_for_sign_in(login, caseworker, own_client):
    test_client = login(caseworker, BrowserlessClient())
    record = reverse("clients:record", args=[own_client.pk])
    assert not_stored(test_client.get(record))

    response = test_client.post(reverse("accounts:logout"))

    assert not_stored(response)
    assert test_client.get(record).status_code == 302


def test_a_view_that_asks_for_caching_is_overruled_for_a_signed_in_person(caseworker):
    def view(request):
        response = HttpResponse("client data")
        response["Cache-Control"] = "public, max-age=3600"
        response["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
        return response

    request = RequestFactory().get("/clients/")
    request.user = caseworker
    response = NoStoreMiddleware(view)(request)

    assert response["Cache-Control"] == "no-store, private"
    assert "Expires" not in response


def test_static_files_and_anonymous_pages_keep_their_own_caching(caseworker):
    def view(request):
        response = HttpResponse("body{}")
        response["Cache-Control"] = "public, max-age=3600"
        return response

    static = RequestFactory().get("/static/css/app.css")
    static.user = caseworker
    anonymous = RequestFactory().get("/healthz")
    from django.contrib.auth.models import AnonymousUser

    anonymous.user = AnonymousUser()

    assert NoStoreMiddleware(view)(static)["Cache-Control"] == "public, max-age=3600"
    assert NoStoreMiddleware(view)(anonymous)["Cache-Control"] == "public, max-age=3600"
