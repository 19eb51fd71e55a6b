"""Never lose typed work: a form sent after the session ended is kept and restored after
signing in again as the same person; a form sent twice acts once (accounts.drafts,
accounts.formtokens) — shown on the caseworker's own forms."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client as BrowserlessClient
from django.urls import reverse
from django.utils import timezone

from access.models import AccessEvent
from accounts.models import FormDraft, FormSubmission
from accounts.tests.factories import PASSWORD
from clients.models import CaseNote, Client, InformationEntry

NOTE = "Met at the day centre. Wants help with a PIP claim; next visit Thursday."


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, user, next_url=""):
    response = client.post(
        "/accounts/login/" + (f"?next={next_url}" if next_url else ""),
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    return response


def tokens(page) -> dict:
    html = page.content.decode()
    return {
        name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)
        for name in ("csrfmiddlewaretoken", "_form_owner", "_form_once")
    }


def note_form(client, own_client):
    return client.get(reverse("clients:note_add", args=[own_client.pk]))


def test_a_note_sent_without_a_session_is_restored_after_signing_in_again(caseworker, own_client):
    browser = BrowserlessClient()
    sign_in(browser, caseworker)
    url = reverse("clients:note_add", args=[own_client.pk])
    fields = tokens(note_form(browser, own_client))
    browser.cookies.pop(settings.SESSION_COOKIE_NAME)  # the session is gone

    sent = browser.post(url, {**fields, "category": "support_needs", "text": NOTE})

    location = urlsplit(sent["Location"])
    assert location.path == "/accounts/login/"
    next_url = parse_qs(location.query)["next"][0]
    assert next_url.startswith(url + "?restore_draft=")
    assert not CaseNote.objects.exists()
    back = sign_in(browser, caseworker, next_url)
    assert back["Location"] == next_url
    page = browser.get(next_url).content.decode()
    assert "what you typed was kept" in page
    assert NOTE in page
    assert 'id="restored-draft-fields"' in page
    assert not FormDraft.objects.exists()  # used once, then gone
    assert NOTE not in browser.get(next_url).content.decode()


def test_a_note_sent_after_the_idle_timeout_is_kept_too(caseworker, own_client):
    browser = BrowserlessClient()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(browser, caseworker)
        fields = tokens(note_form(browser, own_client))
        clock.shift(timedelta(minutes=45))
        sent = browser.post(
            reverse("clients:note_add", args=[own_client.pk]), {**fields, "category": "support_needs", "text": NOTE}
        )

    assert "ended=idle" in sent["Location"]
    assert "restore_draft" in sent["Location"]
    assert FormDraft.objects.get().user == caseworker


def test_only_the_same_person_gets_the_draft_back(caseworker, own_client, manager):
    browser = BrowserlessClient()
    sign_in(browser, caseworker)
    fields = tokens(note_form(browser, own_client))
    browser.cookies.pop(settings.SESSION_COOKIE_NAME)
    sent = browser.post(
        reverse("clients:note_add", args=[own_client.pk]), {**fields, "category": "support_needs", "text": NOTE}
    )
    next_url = parse_qs(urlsplit(sent["Location"]).query)["next"][0]

    someone_else = BrowserlessClient()
    someone_else.force_login(manager)
    page = someone_else.get(next_url).content.decode()

    assert NOTE not in page
    assert FormDraft.objects.filter(user=caseworker).exists()


def test_a_post_without_a_genuine_owner_token_is_not_kept(caseworker, own_client):
    browser = BrowserlessClient()
    sent = browser.post(
        reverse("clients:note_add", args=[own_client.pk]), {"text": NOTE, "_form_owner": "forged:token"}
    )

    assert "restore_draft" not in sent.get("Location", "")
    assert not FormDraft.objects.exists()


def test_an_expired_draft_is_not_restored_and_is_deleted(caseworker, own_client):
    browser = BrowserlessClient()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(browser, caseworker)
        fields = tokens(note_form(browser, own_client))
        browser.cookies.pop(settings.SESSION_COOKIE_NAME)
        sent = browser.post(
            reverse("clients:note_add", args=[own_client.pk]), {**fields, "category": "support_needs", "text": NOTE}
        )
        next_url = parse_qs(urlsplit(sent["Location"]).query)["next"][0]
        clock.shift(settings.SESSION_ABSOLUTE_LIFETIME + timedelta(seconds=1))
        browser.force_login(caseworker)
        page = browser.get(next_url).content.decode()

    assert NOTE not in page
    assert not FormDraft.objects.exists()


def test_a_draft_never_reaches_the_audit_log(caseworker, own_client):
    browser = BrowserlessClient()
    sign_in(browser, caseworker)
    fields = tokens(note_form(browser, own_client))
    browser.cookies.pop(settings.SESSION_COOKIE_NAME)
    sent = browser.post(
        reverse("clients:note_add", args=[own_client.pk]), {**fields, "category": "support_needs", "text": NOTE}
    )
    sign_in(browser, caseworker, parse_qs(urlsplit(sent["Location"]).query)["next"][0])

    for event in AccessEvent.objects.all():
        assert "day centre" not in f"{event.detail} {event.reason} {event.purpose}"


# --- One-time form tokens: a form sent twice acts once ------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "data", "model"),
    [
        ("clients:note_add", {"category": "support_needs", "text": NOTE}, CaseNote),
        ("clients:entry_add", {"category": "housing_history", "summary": "Sleeping rough"}, InformationEntry),
    ],
)
def test_a_create_form_sent_twice_creates_once_and_shows_the_first_result(
    login, caseworker, own_client, url_name, data, model
):
    browser = login(caseworker)
    url = reverse(url_name, args=[own_client.pk])
    fields = tokens(browser.get(url))

    first = browser.post(url, {**fields, **data})
    second = browser.post(url, {**fields, **data})

    assert model.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert "already been sent, so nothing was saved twice" in browser.get(second["Location"]).content.decode()


def test_the_back_button_and_send_again_saves_the_note_once(login, caseworker, own_client):
    """Back renders the form again with a fresh token; the browser puts the text back."""
    browser = login(caseworker)
    url = reverse("clients:note_add", args=[own_client.pk])
    data = {"category": "support_needs", "text": NOTE}

    first = browser.post(url, {**tokens(browser.get(url)), **data})
    again = browser.post(url, {**tokens(browser.get(url)), **data})  # a new page, a new token, the same text

    assert CaseNote.objects.count() == 1
    assert again["Location"] == first["Location"]
    different = browser.post(url, {**tokens(browser.get(url)), "category": "support_needs", "text": "Another visit."})
    assert different.status_code == 302
    assert CaseNote.objects.count() == 2


def test_the_same_content_after_another_submission_is_a_new_decision_not_a_repeat(login, caseworker, own_client):
    """Withhold, put back, withhold again (or note, other note, same note again): each acts."""
    browser = login(caseworker)
    url = reverse("clients:note_add", args=[own_client.pk])
    same = {"category": "support_needs", "text": NOTE}

    browser.post(url, {**tokens(browser.get(url)), **same})
    browser.post(url, {**tokens(browser.get(url)), "category": "support_needs", "text": "Another visit."})
    again = browser.post(url, {**tokens(browser.get(url)), **same})

    assert again.status_code == 302
    assert CaseNote.objects.filter(text=NOTE).count() == 2


def test_the_same_content_from_another_browser_is_not_a_repeat(client, caseworker, own_client, login):
    from django.test import Client as BrowserClient

    url = reverse("clients:note_add", args=[own_client.pk])
    data = {"category": "support_needs", "text": NOTE}
    first = login(caseworker)
    first.post(url, {**tokens(first.get(url)), **data})

    second = login(caseworker, BrowserClient())  # a second sign-in: another session
    other = second.post(url, {**tokens(second.get(url)), **data})

    assert other.status_code == 302
    assert CaseNote.objects.filter(text=NOTE).count() == 2


def test_add_a_client_sent_twice_adds_one_client(login, caseworker, team_a):
    browser = login(caseworker)
    url = reverse("clients:create")
    fields = tokens(browser.get(url))
    data = {**fields, "team": team_a.pk, "first_name": "Nia", "last_name": "Jones"}

    first = browser.post(url, data)
    second = browser.post(url, data)

    assert Client.objects.filter(last_name="Jones").count() == 1
    assert second["Location"] == first["Location"]


def test_a_form_with_errors_can_be_sent_again(login, caseworker, own_client):
    browser = login(caseworker)
    url = reverse("clients:note_add", args=[own_client.pk])
    fields = tokens(browser.get(url))

    refused = browser.post(url, {**fields, "category": "support_needs", "text": ""})
    accepted = browser.post(url, {**fields, "category": "support_needs", "text": NOTE})

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert CaseNote.objects.count() == 1
    assert FormSubmission.objects.get().result_url == accepted["Location"]


def test_the_confirmation_is_on_the_page_the_person_lands_on(login, caseworker, own_client):
    browser = login(caseworker)
    url = reverse("clients:note_add", args=[own_client.pk])

    landed = browser.post(url, {**tokens(browser.get(url)), "category": "support_needs", "text": NOTE}, follow=True)

    assert landed.status_code == 200
    assert 'class="messages" role="status"' in landed.content.decode()
    assert "Note added." in landed.content.decode()
