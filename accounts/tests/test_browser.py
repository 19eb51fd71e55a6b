"""The login-security flows from the issue, in a real browser. Branches are covered by view tests."""

import base64
import re

import pytest

from accounts.models import SecurityEvent
from accounts.tests.factories import PASSWORD, totp_code_for_key

pytestmark = pytest.mark.browser


def fill_login(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_caseworker_signs_in_and_sees_the_dashboard(page, axe, caseworker):
    page.goto("/accounts/login/")
    axe(page)
    fill_login(page, "casey")
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_role("link", name="Two-factor authentication").is_visible()
    assert not page.get_by_role("link", name="Security events").is_visible()
    axe(page)


def test_a_manager_without_two_factor_is_sent_to_enrolment(page, axe, manager):
    fill_login(page, "morgan")
    page.get_by_role("heading", name="Set up two-factor authentication").wait_for()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    axe(page)

    # Set up the "phone" from the key shown for manual entry, then confirm with its code.
    secret = page.locator("figcaption code").inner_text().replace(" ", "")
    page.get_by_label("Code", exact=True).fill(totp_code_for_key(base64.b32decode(secret)))
    page.get_by_role("button", name="Confirm and turn on").click()
    page.get_by_role("heading", name="Your backup codes").wait_for()
    assert page.get_by_text("Two-factor authentication is set up").is_visible()
    assert page.get_by_role("list", name="Backup codes").get_by_role("listitem").count() == 10
    axe(page)
    page.get_by_role("link", name="I have saved my codes: continue").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_repeated_wrong_passwords_lock_the_account_with_a_clear_message(page, axe, caseworker):
    fill_login(page, "casey", "wrong password")
    page.get_by_text("The username or password is not right").first.wait_for()
    axe(page)
    for _ in range(4):
        fill_login(page, "casey", "wrong password")
    page.get_by_role("heading", name="Signing in is paused").wait_for()
    assert page.get_by_text("Wait 30 minutes without trying").is_visible()
    assert page.get_by_text("ask an admin to unlock your account").is_visible()
    axe(page)

    fill_login(page, "casey")  # even the right password, while paused
    page.get_by_role("heading", name="Signing in is paused").wait_for()


def test_a_second_login_ends_the_first_session_and_the_manager_sees_it(
    page, axe, browser, live_server, browser_login, caseworker, manager
):
    fill_login(page, "casey")
    page.get_by_role("heading", name="Dashboard").wait_for()

    elsewhere = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/London")
    try:
        second = elsewhere.new_page()
        fill_login(second, "casey")
        second.get_by_role("heading", name="Dashboard").wait_for()
    finally:
        elsewhere.close()

    page.reload()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.get_by_text("your account was used to sign in on another device or browser").is_visible()
    axe(page)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.CONCURRENT_LOGIN, user=caseworker).count() == 1

    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Security events").click()
    page.get_by_role("heading", name="Security events").wait_for()
    row = page.get_by_role("row", name=re.compile("Casey Worker"))
    assert row.count() == 1
    axe(page)
