"""The gate's user flow from issue 3, in a real browser. Branches are covered by view tests."""

import pytest

pytestmark = pytest.mark.browser


def test_a_caseworker_breaks_the_glass_and_the_other_teams_manager_reviews_it(
    page, axe, browser_login, caseworker, other_manager, own_client, other_team_client
):
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_text("1 open case.").is_visible()
    axe(page)

    # Their own client opens straight away.
    page.get_by_role("link", name="My caseload", exact=True).click()
    page.get_by_role("heading", name="My caseload").wait_for()
    axe(page)
    page.get_by_role("link", name="Olivia Owens").click()
    page.get_by_role("heading", name="Olivia Owens").wait_for()
    assert page.get_by_role("heading", name="Domestic abuse").is_visible()
    axe(page)

    # Another team's client: known to the search, but the record asks for a reason first.
    page.get_by_role("link", name="Find a client", exact=True).click()
    page.get_by_label("Name or reference").fill("Bethan")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Bethan Brooks").wait_for()
    assert page.get_by_role("cell", name="Riverside Hostel").is_visible()
    axe(page)
    page.get_by_role("link", name="Bethan Brooks").click()
    page.get_by_role("heading", name="Why do you need this record?").wait_for()
    assert "Bethan" not in page.content()
    axe(page)

    page.get_by_role("button", name="Open the record").click()  # nothing chosen yet
    page.get_by_role("heading", name="There is a problem").wait_for()
    axe(page)
    page.get_by_label("Safeguarding concern").check()
    page.get_by_label("Explain why you need this record now").fill("Police welfare check asked for a contact number")
    page.get_by_role("button", name="Open the record").click()
    page.get_by_role("heading", name="Bethan Brooks").wait_for()
    assert page.get_by_text("You opened this record with a reason").is_visible()
    axe(page)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()

    # The manager of the other team sees it in the access review and marks it reviewed.
    browser_login(other_manager)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Access review", exact=True).click()
    page.get_by_role("heading", name="Access review").wait_for()
    row = page.get_by_role("row").filter(has_text="Police welfare check asked for a contact number")
    assert "Casey Worker" in row.inner_text()
    assert "Safeguarding concern" in row.inner_text()
    axe(page)
    row.get_by_label("Review note").fill("Checked with the police contact: genuine.")
    row.get_by_role("button", name="Mark reviewed").click()
    page.get_by_text("Marked reviewed.").wait_for()
    assert page.get_by_text("Checked with the police contact: genuine.").first.is_visible()
    axe(page)
