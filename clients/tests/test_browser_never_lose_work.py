"""Issue 12 in a real browser: no lost typing, no duplicates by accident (axe on each page)."""

import datetime
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from clients import merge, services
from clients.models import CaseNote
from clients.tests.factories import AssignmentFactory, ClientFactory

pytestmark = pytest.mark.browser

NOTE = "Met at the day centre. Wants help with a PIP claim; next visit Thursday."


def test_a_caseworker_is_warned_before_the_timeout_and_gets_a_lost_note_back(
    page, axe, browser_login, caseworker, own_client, settings
):
    # Warn at once (two seconds into a 30-minute idle timeout).
    settings.SESSION_WARNING = settings.SESSION_IDLE_TIMEOUT - timedelta(seconds=2)
    browser_login(caseworker)
    page.goto(f"/clients/{own_client.pk}/notes/add/")
    page.get_by_role("heading", name="Olivia Owens").wait_for()

    warning = page.get_by_role("alertdialog", name="You will be signed out soon")
    warning.wait_for()
    stay = warning.get_by_role("button", name="Stay signed in")
    assert stay.evaluate("button => document.activeElement === button")
    axe(page)
    stay.click()
    warning.wait_for(state="hidden")

    page.get_by_label("Data category").select_option("support_needs")
    page.get_by_label("Note", exact=True).fill(NOTE)
    page.context.clear_cookies(name=django_settings.SESSION_COOKIE_NAME)  # the session is lost
    page.get_by_role("button", name="Add the note").click()

    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.get_by_text("Your session expired").is_visible()
    axe(page)
    page.get_by_label("Username").fill(caseworker.username)
    from accounts.tests.factories import PASSWORD

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_text("what you typed was kept").wait_for()
    assert page.get_by_label("Note", exact=True).input_value() == NOTE
    assert page.get_by_label("Data category").input_value() == "support_needs"
    axe(page)
    page.get_by_role("button", name="Add the note").click()
    page.get_by_text("Note added.").wait_for()
    assert page.get_by_text("Note added.").is_visible()
    assert CaseNote.objects.get().text == NOTE
    axe(page)


def test_a_caseworker_adding_someone_already_known_is_shown_the_match(
    page, axe, browser_login, caseworker, team_a, team_b, other_caseworker
):
    known = ClientFactory(
        team=team_b, first_name="William", last_name="Smith", date_of_birth=datetime.date(1980, 5, 17)
    )
    AssignmentFactory(client=known, caseworker=other_caseworker)
    browser_login(caseworker)
    page.goto("/clients/new/")
    page.get_by_role("heading", name="Add a client").wait_for()
    axe(page)
    page.get_by_label("First name").fill("Bill")
    page.get_by_label("Last name").fill("SMITH")
    page.get_by_label("Date of birth").fill("1980-05-17")
    page.get_by_role("button", name="Add the client").click()

    page.get_by_role("heading", name="This person may already be known").wait_for()
    row = page.get_by_role("row").filter(has_text="William Smith")
    assert "1980" in row.inner_text()
    assert "Riverside Hostel" in row.inner_text()
    assert "Olly Other" in row.inner_text()
    axe(page)

    # "A different person" needs a reason: the one error summary, linked to the field.
    page.get_by_role("button", name="Add as a different person").click()
    summary = page.locator("[data-error-summary]").first
    summary.get_by_role("heading", name="There is a problem").wait_for()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "different-reason"
    axe(page)

    row = page.get_by_role("row").filter(has_text="William Smith")
    row.get_by_role("link", name="Open this record").click()
    page.get_by_role("heading", name="Why do you need this record?").wait_for()
    axe(page)


def test_a_manager_merges_two_records_and_the_old_link_lands_on_the_survivor(
    page, axe, browser_login, manager, caseworker, team_a, own_client
):
    duplicate = services.client_create(actor=caseworker, team=team_a, first_name="Liv", last_name="Owens")
    browser_login(manager)
    page.goto(f"/clients/{own_client.pk}/assignments/")
    page.get_by_role("link", name="Merge a duplicate record into this one").click()
    page.get_by_role("heading", name="Merge a duplicate record into this one").wait_for()
    axe(page)
    page.get_by_label("Reference of the other record").fill(duplicate.reference)
    page.get_by_label("How you know they are the same person").fill("Same NHS number; confirmed with the client.")
    page.get_by_role("button", name="Find the other record").click()
    page.get_by_role("heading", name="Check these are the same person").wait_for()
    axe(page)
    page.get_by_role("button", name=f"Merge {duplicate.reference} into {own_client.reference}").click()
    page.get_by_text(f"{duplicate.reference} was merged into this record").wait_for()
    axe(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()

    assert list(merge.record_ids(own_client).values_list("pk", flat=True)) != [own_client.pk]
    browser_login(caseworker)
    page.goto(f"/clients/{duplicate.pk}/")
    page.get_by_role("heading", name="Olivia Owens").wait_for()
    assert page.url.endswith(f"/clients/{own_client.pk}/")
    axe(page)
