import datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import TOTPDeviceFactory, totp_code
from breaches.models import BreachReport
from breaches.tests.alerts import all_alerts
from deadlines.services import deadlines_sweep

pytestmark = pytest.mark.browser


def sign_in(page, browser_login, user, device=None):
    browser_login(user)
    if device is not None and "two-factor/verify" in page.url:
        page.get_by_label("Code").fill(totp_code(device))
        page.get_by_role("button", name="Verify").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_a_caseworker_reports_a_lost_notebook_and_the_manager_handles_it_until_alerts_stop(
    page, browser_login, axe, caseworker, manager
):
    # The caseworker: two clicks from any page.
    sign_in(page, browser_login, caseworker)
    page.get_by_role("link", name="Report a breach").click()
    page.get_by_role("heading", name="Report a personal data breach").wait_for()
    axe(page)
    page.get_by_label("What happened?").fill("My notebook with this week's visit notes was stolen on the 42 bus.")
    page.get_by_label("When did it happen, in words (optional)").fill("This morning, on the way to the hostel")
    page.get_by_label("Identity").check()
    page.get_by_label("Mental health").check()
    page.get_by_role("button", name="Send the report").click()
    page.get_by_role("heading", name="Breach reported").wait_for()
    axe(page)
    breach = BreachReport.objects.get()
    assert breach.reference in page.content()
    page.get_by_role("button", name="Sign out").click()

    # The manager: queue, triage, assessment, decision, ICO notification.
    sign_in(page, browser_login, manager, device=TOTPDeviceFactory(user=manager))
    page.get_by_role("link", name="Breaches", exact=True).click()
    page.get_by_role("heading", name="Personal data breaches").wait_for()
    assert "left" in page.get_by_role("row", name=breach.reference).inner_text()
    axe(page)
    page.get_by_role("link", name=breach.reference).click()
    page.get_by_role("heading", name=f"Breach {breach.reference}").wait_for()
    axe(page)

    page.get_by_role("link", name="Triage").click()
    axe(page)
    page.get_by_label("How was it discovered?").fill("She noticed when she got off the bus.")
    page.get_by_label("Approximate number of people affected").fill("6")
    page.get_by_label("Approximate number of records affected").fill("6")
    page.get_by_label("Vulnerable adults").check()
    page.get_by_label("Containment and recovery: what has been done?").fill("Reported to the bus company and police.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Triage: saved.").wait_for()

    page.get_by_role("link", name="Assess the risk").click()
    axe(page)
    page.get_by_label("What are the likely consequences for the people affected?").fill(
        "Distress; health details seen by a stranger."
    )
    page.get_by_label("Possible – harm could happen").check()
    page.get_by_label("Significant – distress or inconvenience, overcome with some difficulty").check()
    page.get_by_label("Reasoning behind the assessment").fill("First names and mental-health notes, handwritten.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Risk assessment: saved.").wait_for()

    page.get_by_role("link", name="Decide").click()
    axe(page)
    page.get_by_label("Notify the ICO", exact=True).check()
    page.get_by_label("Reasons for the decision").fill("Special category data of vulnerable adults: a risk.")
    page.get_by_label("Not yet, but they will be told").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Decision: saved.").wait_for()

    page.get_by_role("link", name="Record an ICO notification").click()
    axe(page)
    page.get_by_label("ICO reference").fill("IC-246810")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("ICO notification: saved.").wait_for()
    assert "Clock stopped: ico notified" in page.content()
    axe(page)

    breach.refresh_from_db()
    assert breach.status == BreachReport.Status.NOTIFIED
    assert breach.risk == "risk"
    # The alerts stop: sweeping right past the deadline raises nothing more.
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=80)):
        deadlines_sweep()
    assert [alert.threshold for alert in all_alerts(breach)] == ["reported"]
