import pytest

pytestmark = pytest.mark.browser


def test_the_login_page_is_accessible(page, axe, transactional_db):
    page.goto("/accounts/login/")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    axe(page)


def test_a_caseworker_signs_in_and_sees_the_dashboard(page, browser_login, caseworker, axe):
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert "Casey Worker" in page.content()
    axe(page)
