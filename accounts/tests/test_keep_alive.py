"""'Stay signed in' (the keep-alive) and the session clock pages carry; drafts at rest."""

import json
import re
from datetime import timedelta

import time_machine
from django.test import override_settings
from django.utils import timezone

from accounts import drafts, formtokens
from accounts.models import FormDraft
from accounts.tests.factories import PASSWORD

KEEP_ALIVE = "/accounts/keep-alive/"


def sign_in(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def csrf(client, page="/accounts/two-factor/"):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(page).content.decode()).group(1)


def test_keep_alive_restarts_the_idle_timer(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, caseworker)
        token = csrf(client)
        clock.shift(timedelta(minutes=29))
        response = client.post(KEEP_ALIVE, HTTP_X_CSRFTOKEN=token)
        clock.shift(timedelta(minutes=29))
        still_in = client.get("/accounts/two-factor/")

    assert response.status_code == 200
    assert response.json()["idle_seconds"] == 30 * 60
    assert "no-store" in response["Cache-Control"]
    assert still_in.status_code == 200


def test_keep_alive_never_extends_the_absolute_lifetime(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client, caseworker)
        token = csrf(client)
        for _ in range(39):  # every 15 minutes for 9h45
            clock.shift(timedelta(minutes=15))
            left = client.post(KEEP_ALIVE, HTTP_X_CSRFTOKEN=token).json()["lifetime_seconds"]
        clock.shift(timedelta(minutes=15))
        response = client.post(KEEP_ALIVE, HTTP_X_CSRFTOKEN=token)

    assert left == 15 * 60
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?ended=lifetime")


def test_keep_alive_is_a_post(client, caseworker):
    sign_in(client, caseworker)

    assert client.get(KEEP_ALIVE).status_code == 405


@override_settings(SESSION_WARNING=timedelta(minutes=3))
def test_pages_carry_the_session_clock_for_the_warning(client, caseworker):
    with time_machine.travel(timezone.now(), tick=False):
        sign_in(client, caseworker)
        page = client.get("/accounts/two-factor/").content.decode()

    assert 'data-session-idle="1800"' in page
    assert 'data-session-lifetime="36000"' in page
    assert 'data-session-warn="180"' in page
    assert f'data-keep-alive="{KEEP_ALIVE}"' in page
    assert "js/session.js" in page


def test_the_sign_in_page_has_no_session_clock(client, db):
    assert "data-session-idle" not in client.get("/accounts/login/").content.decode()


def test_every_form_carries_the_owner_and_one_time_tokens(client, caseworker):
    sign_in(client, caseworker)
    page = client.get("/accounts/password/change/").content.decode()

    owner = re.search(r'name="_form_owner" value="([^"]+)"', page).group(1)
    assert formtokens.owner_of(owner) == formtokens.Owner(user_id=caseworker.pk, page="/accounts/password/change/")
    assert re.search(r'name="_form_once" value="[\w-]{20,}"', page)


def test_a_forged_or_stale_owner_token_names_nobody(caseworker):
    token = formtokens.owner_token(caseworker, "/clients/")

    assert formtokens.owner_of(token + "x") is None
    assert formtokens.owner_of("") is None
    with time_machine.travel(timezone.now() + timedelta(hours=10, seconds=1)):
        assert formtokens.owner_of(token) is None


def test_a_draft_is_encrypted_at_rest(rf, caseworker):
    request = rf.post(
        "/clients/1/notes/add/",
        {
            "text": "Met at the day centre",
            formtokens.OWNER_FIELD: formtokens.owner_token(caseworker, "/clients/1/notes/add/"),
        },
    )

    url = drafts.keep(request)

    stored = bytes(FormDraft.objects.get().data)
    assert url.startswith("/clients/1/notes/add/?restore_draft=")
    assert b"day centre" not in stored
    assert json.loads(drafts.cipher().decrypt(stored))["fields"] == {"text": ["Met at the day centre"]}


def test_passwords_and_tokens_are_never_kept(rf, caseworker):
    owner = formtokens.owner_token(caseworker, "/accounts/password/change/")
    request = rf.post(
        "/accounts/password/change/",
        {"old_password": "secret", "new_password1": "x", "csrfmiddlewaretoken": "t", formtokens.OWNER_FIELD: owner},
    )

    assert drafts.keep(request) is None
    assert not FormDraft.objects.exists()
