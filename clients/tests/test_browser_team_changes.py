"""A manager follows up a caseworker leaving the team and moves a client, in a real browser."""

import pytest

pytestmark = pytest.mark.browser


def test_a_manager_sees_who_needs_a_key_worker_and_moves_a_client(
    page, axe, browser_login, manager, caseworker, team_a, team_b, own_client, team_client
):
    caseworker.teams.remove(team_a)  # Casey moved to another service: their caseload ended

    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Clients who need a key worker").click()
    page.get_by_role("heading", name="Needs a key worker", exact=True).wait_for()
    row = page.get_by_role("row").filter(has_text="Olivia Owens")
    assert "Left Outreach North" in row.inner_text()
    assert page.get_by_role("cell", name="Left a team: Outreach North").is_visible()
    axe(page)

    page.get_by_role("link", name="Assignments not used recently").click()
    page.get_by_role("heading", name="Assignments not used recently").wait_for()
    axe(page)

    page.goto(f"/clients/{team_client.pk}/")
    page.get_by_role("link", name="Move to another team").click()
    page.get_by_role("heading", name="Move to another team").wait_for()
    axe(page)
    page.get_by_role("button", name="Move the client").click()  # nothing chosen yet
    page.get_by_role("heading", name="There is a problem").wait_for()
    axe(page)
    page.get_by_label("Move to").select_option(label="Riverside Hostel")
    page.get_by_label("Why is the client moving?").fill("Moved into the hostel's supported housing")
    page.get_by_role("button", name="Move the client").click()
    page.get_by_role("heading", name="Needs a key worker", exact=True).wait_for()
    moved = page.get_by_role("row").filter(has_text="Moved into the hostel's supported housing")
    assert "TEAM-001" in moved.inner_text()
    assert "Riverside Hostel" in moved.inner_text()
    axe(page)
