"""Single sign-on against a real OpenID Connect provider running in its own process.

The provider (oidc-provider-mock) signs real RS256 ID tokens; these tests go through its
authorisation form over HTTP (test_sso_browser.py does the same in Chromium).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

import jwt
import pytest
import time_machine
from django.test import Client as BrowserlessClient
from django.urls import reverse
from django.utils import timezone

from accounts import sso
from accounts.models import ActiveSession, Role, SecurityEvent, User
from accounts.tests.factories import TOTPDeviceFactory, UserFactory
from accounts.tests.test_first_factor_alone import verified

from .oidc_provider import Provider

CLIENT_ID = "casework-tests"


@pytest.fixture(scope="module")
def provider():
    running = Provider()
    yield running
    running.stop()


@pytest.fixture
def sso_settings(db, settings, provider):
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "not-a-real-secret"
    settings.OIDC_PROVIDER_NAME = "Example Workspace"
    return settings


def sign_on(provider, subject: str, test_client=None, next_url: str = ""):
    """Start at our sign-on page, sign in at the provider as `subject`, come back; return the final response."""
    test_client = test_client or BrowserlessClient()
    start = test_client.get(reverse("accounts:sso_start"), {"next": next_url} if next_url else {})
    assert start.status_code == 302
    back = provider.authorize(start["Location"], subject)
    parts = urlsplit(back)
    return test_client, test_client.get(f"{parts.path}?{parts.query}")


def test_the_sign_on_pages_do_not_exist_until_configured(db, client):
    assert client.get(reverse("accounts:sso_start")).status_code == 404
    assert client.get(reverse("accounts:sso_callback")).status_code == 404
    assert b"Sign in with" not in client.get(reverse("accounts:login")).content


def test_a_staff_member_signs_in_and_their_account_is_linked(sso_settings, provider):
    person = UserFactory(username="alex", email="Alex.Hill@example.org")
    provider.set_claims("idp-alex", email="alex.hill@example.org", email_verified=True)

    test_client, response = sign_on(provider, "idp-alex", next_url="/clients/")

    assert response.status_code == 302
    assert response["Location"] == "/clients/"
    person.refresh_from_db()
    assert person.sso_subject == "idp-alex"
    assert test_client.get("/").status_code == 200
    assert ActiveSession.objects.filter(user=person, session_key=test_client.session.session_key).exists()
    login = SecurityEvent.objects.get(user=person, kind=SecurityEvent.Kind.LOGIN)
    assert login.detail == "single sign-on"


def test_an_unknown_identity_is_refused_and_no_account_is_created(sso_settings, provider):
    provider.set_claims("idp-stranger", email="stranger@example.net", email_verified=True)
    users_before = User.objects.count()

    test_client, response = sign_on(provider, "idp-stranger")

    assert response.status_code == 403
    assert "no staff account here is linked to it" in response.content.decode()
    assert User.objects.count() == users_before
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SSO_REFUSED)
    assert event.detail.startswith(sso.UNKNOWN_IDENTITY)
    assert test_client.get("/").status_code == 302  # still signed out


def test_an_unverified_email_links_nothing(sso_settings, provider):
    UserFactory(username="sam", email="sam@example.org")
    provider.set_claims("idp-sam", email="sam@example.org", email_verified=False)

    _, response = sign_on(provider, "idp-sam")

    assert response.status_code == 403
    assert User.objects.get(username="sam").sso_subject == ""


def test_a_linked_account_answers_only_to_its_own_subject(sso_settings, provider):
    UserFactory(username="kim", email="kim@example.org", sso_subject="idp-kim")
    # Someone else at the provider now reports kim's address.
    provider.set_claims("idp-impostor", email="kim@example.org", email_verified=True)

    _, response = sign_on(provider, "idp-impostor")

    assert response.status_code == 403


def test_a_deactivated_staff_member_is_refused(sso_settings, provider):
    UserFactory(username="dee", email="dee@example.org", is_active=False)
    provider.set_claims("idp-dee", email="dee@example.org", email_verified=True)

    test_client, response = sign_on(provider, "idp-dee")

    assert response.status_code == 403
    assert "switched off" in response.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SSO_REFUSED, detail__startswith=sso.DEACTIVATED)
    assert test_client.get("/").status_code == 302


def test_asserted_multi_factor_counts_as_the_second_factor(sso_settings, provider):
    manager = UserFactory(username="mo", email="mo@example.org", role=Role.SERVICE_MANAGER)
    provider.set_claims("idp-mo", email="mo@example.org", email_verified=True, amr=["pwd", "mfa"])

    test_client, response = sign_on(provider, "idp-mo")

    assert response["Location"] == "/"
    page = test_client.get("/")
    assert page.status_code == 200
    assert SecurityEvent.objects.get(user=manager, kind=SecurityEvent.Kind.LOGIN).detail.endswith(
        "(multi-factor asserted by the provider)"
    )


def test_without_multi_factor_a_manager_still_completes_the_second_factor(sso_settings, provider):
    UserFactory(username="max", email="max@example.org", role=Role.SERVICE_MANAGER)
    provider.set_claims("idp-max", email="max@example.org", email_verified=True, amr=["pwd"])

    test_client, response = sign_on(provider, "idp-max")

    assert response["Location"].startswith(reverse("accounts:two_factor_enrol"))
    # Until then, nothing else opens.
    assert test_client.get("/").status_code == 302


def test_a_new_sign_on_ends_the_older_session_as_a_concurrent_login(sso_settings, provider):
    person = UserFactory(username="jo", email="jo@example.org")
    provider.set_claims("idp-jo", email="jo@example.org", email_verified=True)

    first, _ = sign_on(provider, "idp-jo")
    second, _ = sign_on(provider, "idp-jo")

    assert second.get("/").status_code == 200
    assert first.get("/").status_code == 302
    assert SecurityEvent.objects.filter(user=person, kind=SecurityEvent.Kind.CONCURRENT_LOGIN).count() == 1


def test_password_sign_in_can_be_turned_off_for_a_role(sso_settings, provider, client):
    from accounts.tests.factories import PASSWORD

    sso_settings.PASSWORD_SIGN_IN_OFF_FOR_ROLES = [Role.CASEWORKER]
    UserFactory(username="cal", email="cal@example.org")

    response = client.post(reverse("accounts:login"), {"username": "cal", "password": PASSWORD})

    assert response.status_code == 200
    assert "People in your role sign in with Example Workspace" in response.content.decode()
    assert client.get("/").status_code == 302


# --- The ID token itself -------------------------------------------------------------------------


def _real_id_token(provider, subject: str) -> str:
    """An ID token the provider issued for our client, fetched the way our backend fetches one."""
    import httpx

    metadata = httpx.get(provider.issuer + sso.DISCOVERY_PATH, timeout=5).json()
    redirect_uri = "http://testserver/accounts/sso/callback/"
    authorize = httpx.Request(
        "GET",
        metadata["authorization_endpoint"],
        params={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": "openid email",
            "state": "s",
            "nonce": "n",
        },
    )
    back = provider.authorize(str(authorize.url), subject)
    code = dict(part.split("=", 1) for part in urlsplit(back).query.split("&"))["code"]
    token = httpx.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": CLIENT_ID,
            "client_secret": "x",
        },
        timeout=5,
    )
    return token.json()["id_token"]


def _backend():
    backend = sso.StaffOIDCBackend()
    backend.OIDC_RP_SIGN_ALGO = "RS256"
    backend.OIDC_OP_JWKS_ENDPOINT = sso.provider_setting("OIDC_OP_JWKS_ENDPOINT")
    backend.OIDC_RP_IDP_SIGN_KEY = None
    return backend


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def test_a_genuine_id_token_verifies(sso_settings, provider):
    token = _real_id_token(provider, "idp-real")
    backend = _backend()
    claims = backend.get_payload_data(token, backend.retrieve_matching_jwk(token))
    assert claims["sub"] == "idp-real"
    assert claims["aud"] in (CLIENT_ID, [CLIENT_ID])


def test_a_tampered_id_token_is_refused(sso_settings, provider):
    token = _tampered(_real_id_token(provider, "idp-real"))
    backend = _backend()
    with pytest.raises(jwt.InvalidSignatureError):
        backend.get_payload_data(token, backend.retrieve_matching_jwk(token))


def test_an_expired_id_token_is_refused(sso_settings, provider):
    token = _real_id_token(provider, "idp-real")
    backend = _backend()
    key = backend.retrieve_matching_jwk(token)
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=3)), pytest.raises(jwt.ExpiredSignatureError):
        backend.get_payload_data(token, key)


def test_an_id_token_for_another_client_is_refused(sso_settings, provider):
    token = _real_id_token(provider, "idp-real")
    sso_settings.OIDC_RP_CLIENT_ID = "some-other-app"
    backend = _backend()
    with pytest.raises(jwt.InvalidAudienceError):
        backend.get_payload_data(token, backend.retrieve_matching_jwk(token))


class TamperingBackend(sso.StaffOIDCBackend):
    """The real exchange with the provider, with the ID token altered on the way back."""

    def get_token(self, payload):
        tokens = super().get_token(payload)
        tokens["id_token"] = _tampered(tokens["id_token"])
        return tokens


def test_a_tampered_token_at_the_callback_is_refused_with_a_page_and_an_event(sso_settings, provider):
    sso_settings.AUTHENTICATION_BACKENDS = ["accounts.tests.test_sso.TamperingBackend"]
    UserFactory(username="tam", email="tam@example.org")
    provider.set_claims("idp-tam", email="tam@example.org", email_verified=True)

    test_client, response = sign_on(provider, "idp-tam")

    assert response.status_code == 403
    assert "could not be checked" in response.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SSO_REFUSED, detail__startswith=sso.BAD_TOKEN)
    assert test_client.get("/").status_code == 302


def test_single_sign_on_without_multi_factor_does_not_end_a_verified_session(sso_settings, provider):
    manager = UserFactory(username="mia", email="mia@example.org", role=Role.SERVICE_MANAGER)
    device = TOTPDeviceFactory(user=manager)
    real = verified(manager, device)
    provider.set_claims("idp-mia", email="mia@example.org", email_verified=True, amr=["pwd"])

    sign_on(provider, "idp-mia")

    assert real.get("/").status_code == 200


def test_single_sign_on_with_multi_factor_is_the_second_factor(sso_settings, provider):
    manager = UserFactory(username="mel", email="mel@example.org", role=Role.SERVICE_MANAGER)
    device = TOTPDeviceFactory(user=manager)
    real = verified(manager, device)
    provider.set_claims("idp-mel", email="mel@example.org", email_verified=True, amr=["pwd", "mfa"])

    new, _ = sign_on(provider, "idp-mel")

    assert new.get("/").status_code == 200
    assert real.get("/").status_code == 302
