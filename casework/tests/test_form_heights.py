"""Forms that fit the moment: with JavaScript the police-request and consent forms show only
the fields for the basis claimed or the way consent was given, and are much shorter than the
same page without JavaScript, where every field shows and the server checks them."""

import pytest

from consent.tests.factories import PrivacyNoticeFactory

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def no_js_page(browser, live_server, page):
    """Call it after signing `page` in: a page without JavaScript sharing `page`'s session."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Europe/London", java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    plain = context.new_page()
    plain.set_viewport_size(DESKTOP)

    def _signed_in():
        context.add_cookies(page.context.cookies())
        return plain

    yield _signed_in
    context.close()


def _height(page) -> int:
    return page.evaluate("() => document.body.scrollHeight")


def test_the_police_request_form_shows_only_the_basis_claimed(
    page, axe, no_js_page, browser_login, caseworker, own_client
):
    path = f"/sharing/client/{own_client.pk}/statutory/new/"
    page.set_viewport_size(DESKTOP)
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()
    plain = no_js_page()
    plain.goto(path)
    page.goto(path)
    page.get_by_role("heading", name="Log a police or statutory request").wait_for()

    # Without JavaScript every basis's details show; with it, none until a basis is chosen.
    for label in ("Order reference", "Why it is urgent", "Authorising officer's rank"):
        assert plain.get_by_label(label).is_visible()
        assert page.get_by_label(label).is_hidden()
    with_js, without_js = _height(page), _height(plain)
    assert with_js < 0.7 * without_js, f"{with_js} px with JavaScript, {without_js} px without"
    # The request's selection says what was not asked for, not what was "not shared".
    assert page.get_by_role("group", name="Identity", exact=True).first.get_by_label("Not asked for").is_checked()
    axe(page)

    # Keyboard: arrow keys move through the basis radios and the details follow.
    page.get_by_label("Warrant or court order").focus()
    page.keyboard.press("Space")
    assert page.get_by_role("group", name="The warrant or court order").is_visible()
    assert page.get_by_label("Order reference").is_visible()
    assert page.get_by_role("group", name="What the order covers, or what the emergency needs").is_visible()
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Emergency", exact=True).is_checked()
    assert page.get_by_label("Why it is urgent").is_visible()
    assert page.get_by_label("Order reference").is_hidden()
    assert page.get_by_label("Order reference").is_disabled()  # what cannot be seen is not sent
    assert page.get_by_role("group", name="What the order covers, or what the emergency needs").is_visible()
    axe(page)

    # The server still checks the basis chosen; its errors link to fields that are shown,
    # and a field with an error stays shown when the basis changes.
    page.get_by_label("Warrant or court order").check()
    page.get_by_role("button", name="Log the request").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    page.get_by_label("Emergency", exact=True).check()
    assert page.get_by_label("Order reference").is_visible()
    for link in page.locator(".error-summary a").all():
        target = link.get_attribute("href")[1:]
        assert page.locator(f"[id='{target}']").is_visible(), target
    page.get_by_role("link", name="Order reference: Enter the order's reference.").click()
    assert page.evaluate("() => document.activeElement.id") == "id_order_reference"
    axe(page)


def test_the_consent_form_shows_only_the_fields_for_the_way_consent_was_given(
    page, axe, no_js_page, browser_login, caseworker, own_client
):
    PrivacyNoticeFactory()
    path = f"/consent/client/{own_client.pk}/record/"
    page.set_viewport_size(DESKTOP)
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()
    plain = no_js_page()
    plain.goto(path)
    page.goto(path)
    page.get_by_role("heading", name="Record consent").wait_for()

    for label in ("Signed consent form", "Witness", "Electronic consent reference"):
        assert plain.get_by_label(label, exact=True).is_visible()
        assert page.get_by_label(label, exact=True).is_hidden()
    with_js, without_js = _height(page), _height(plain)
    assert with_js < 0.75 * without_js, f"{with_js} px with JavaScript, {without_js} px without"
    axe(page)

    page.get_by_label("Verbal, witnessed").focus()
    page.keyboard.press("Space")
    assert page.get_by_role("group", name="Verbal consent").is_visible()
    assert page.get_by_label("Witness", exact=True).is_visible()
    assert page.get_by_label("Signed consent form").is_hidden()
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Electronic consent reference").is_visible()
    assert page.get_by_label("Witness", exact=True).is_hidden()
    assert page.get_by_label("Witness", exact=True).is_disabled()
    axe(page)
