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
    assert page.get_by_role("heading", name="What happened").is_visible()
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


def test_a_caseworker_adds_a_staff_safety_alert_and_reads_the_timeline_by_category(
    page, axe, browser_login, caseworker, own_client
):
    from clients import services

    services.note_create(actor=caseworker, client=own_client, category="mental_health", text="Low mood this week")
    services.note_create(actor=caseworker, client=own_client, category="finances", text="Universal Credit sanction")
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.get_by_role("link", name="My caseload", exact=True).click()
    page.get_by_role("link", name="Olivia Owens").click()
    page.get_by_role("heading", name="Olivia Owens").wait_for()
    page.get_by_role("link", name="Add an alert").click()
    page.get_by_role("heading", name="Add an alert").wait_for()
    axe(page)
    page.get_by_role("button", name="Add the alert").click()  # nothing chosen yet
    page.get_by_role("heading", name="There is a problem").wait_for()
    axe(page)
    page.get_by_label("Risk to staff").check()
    page.get_by_label("What people need to know").fill("Threatened staff with a knife in March. Visit in pairs.")
    page.get_by_role("button", name="Add the alert").click()

    # The record: the warning comes first, then who the person is and what happened last.
    page.get_by_role("heading", name="Olivia Owens").wait_for()
    warnings = page.get_by_role("region", name="Warnings about this client")
    assert "Threatened staff with a knife" in warnings.inner_text()
    assert "Risk to staff" in warnings.inner_text()
    axe(page)

    # The timeline filtered by category.
    page.get_by_label("Data category").select_option(label="Finances and benefits")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("Universal Credit sanction").wait_for()
    assert page.get_by_text("Low mood this week").count() == 0
    axe(page)

    # The caseload row and the search result flag it, in words.
    page.get_by_role("link", name="My caseload", exact=True).click()
    row = page.get_by_role("row").filter(has_text="Olivia Owens")
    assert "Risk to staff" in row.inner_text()
    axe(page)
    page.get_by_role("link", name="Find a client", exact=True).click()
    page.get_by_label("Name or reference").fill("Owens")
    page.get_by_role("button", name="Search").click()
    result = page.get_by_role("row").filter(has_text="Olivia Owens")
    result.wait_for()
    assert "Risk to staff" in result.inner_text()
    axe(page)
