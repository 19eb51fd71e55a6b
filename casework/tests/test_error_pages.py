"""Error pages are in the base layout, say what is safe to say, and offer a way back."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from casework import views


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_header_names_the_organisation_once(login, caseworker, settings):
    settings.ORGANISATION_NAME = "Riverside Trust"

    content = login(caseworker).get(reverse("home")).content.decode()

    assert 'class="brand" href="/">Riverside Trust</a>' in content
    assert "Riverside Trust casework" not in content


def test_a_non_staff_person_is_told_they_have_no_access_to_the_admin_site(login, caseworker):
    response = login(caseworker).get(reverse("admin:login"))

    assert response.status_code == 403
    content = response.content.decode()
    assert "Your account does not have access to the admin site." in content
    assert "Skip to main content" in content  # the base layout
    assert reverse("home") in content


def test_a_missing_page_is_a_styled_404_with_a_way_back(login, caseworker):
    response = login(caseworker).get("/no-such-page/")

    assert response.status_code == 404
    content = response.content.decode()
    assert "Page not found" in content
    assert "Go to your dashboard" in content


def test_an_unknown_client_and_a_forbidden_one_get_the_same_404(login, caseworker, other_team_client):
    test_client = login(caseworker)
    forbidden = test_client.post(reverse("clients:note_add", args=[other_team_client.pk]), {})
    unknown = test_client.post(reverse("clients:note_add", args=[999_999]), {})

    def without_token(response):
        # The per-form tokens (CSRF, the form's owner and one-time tokens) differ by design.
        return re.sub(rb'name="(csrfmiddlewaretoken|_form_owner|_form_once)" value="[^"]+"', b"", response.content)

    assert forbidden.status_code == unknown.status_code == 404
    assert without_token(forbidden) == without_token(unknown)


def test_the_500_page_is_in_the_base_layout(caseworker):
    request = RequestFactory().get("/")
    request.user = caseworker

    response = views.server_error(request)

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Go to your dashboard" in response.content


def test_the_500_page_still_renders_when_the_request_context_fails(monkeypatch):
    request = RequestFactory().get("/")

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(views, "render", broken)
    response = views.server_error(request)

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Sign in" in response.content


def test_the_503_page_gives_the_reason(rf):
    from django.template.loader import render_to_string

    content = render_to_string("503.html", {"reason": "The system is being updated until 18:00."})

    assert "The system is being updated until 18:00." in content
    assert "Try again in a few minutes" in content
