"""Single sign-on in Chromium, through a real OpenID Connect provider's own pages."""

import pytest

from accounts.models import Role, SecurityEvent
from accounts.tests.factories import UserFactory

from .oidc_provider import Provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def provider():
    running = Provider()
    yield running
    running.stop()


@pytest.fixture
def sso_settings(settings, provider):
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = "casework-browser-tests"
    settings.OIDC_RP_CLIENT_SECRET = "not-a-real-secret"
    settings.OIDC_PROVIDER_NAME = "Example Workspace"
    return settings


def sign_on(page, subject):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Example Workspace").click()
    page.locator('input[name="sub"]').fill(subject)
    page.get_by_role("button", name="Authorize").click()


def test_sign_in_through_the_provider_for_known_unknown_and_deactivated_people(page, axe, sso_settings, provider):
    UserFactory(username="ash", first_name="Ash", last_name="Green", email="ash@example.org")
    UserFactory(username="off", email="off@example.org", is_active=False)
    provider.set_claims("idp-ash", email="ash@example.org", email_verified=True)
    provider.set_claims("idp-off", email="off@example.org", email_verified=True)
    provider.set_claims("idp-nobody", email="nobody@example.net", email_verified=True)

    page.goto("/accounts/login/")
    axe(page)
    sign_on(page, "idp-nobody")
    page.get_by_role("heading", name="You have not been signed in").wait_for()
    assert "no staff account here is linked to it" in page.content()
    axe(page)

    sign_on(page, "idp-off")
    page.get_by_role("heading", name="You have not been signed in").wait_for()
    assert "switched off" in page.content()

    sign_on(page, "idp-ash")
    page.get_by_role("button", name="Sign out").wait_for()
    assert "Ash Green" in page.content()
    axe(page)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SSO_REFUSED).count() == 2


def test_a_manager_is_asked_for_a_second_factor_only_when_the_provider_did_not_assert_one(page, sso_settings, provider):
    UserFactory(username="mel", first_name="Mel", last_name="Ward", email="mel@example.org", role=Role.SERVICE_MANAGER)
    provider.set_claims("idp-mel", email="mel@example.org", email_verified=True, amr=["pwd"])

    sign_on(page, "idp-mel")
    page.get_by_role("heading", name="Set up two-factor authentication").wait_for()

    page.context.clear_cookies()
    provider.set_claims("idp-mel", email="mel@example.org", email_verified=True, amr=["pwd", "mfa"])
    sign_on(page, "idp-mel")
    page.get_by_role("button", name="Sign out").wait_for()
    assert page.url.endswith("/")
    assert "Mel Ward" in page.content()
