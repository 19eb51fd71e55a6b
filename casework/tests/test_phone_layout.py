"""On a 390-pixel phone nothing makes the whole page scroll sideways: wide tables scroll
inside their own box. Outreach workers use phones."""

import pytest

from breaches.tests.factories import BreachReportFactory
from clients.tests.factories import AlertFactory, CaseNoteFactory
from sharing.tests.factories import sent_referral

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide on a {widths[1]} px screen"


def test_caseload_record_and_referral_fit_a_phone(page, axe, browser_login, caseworker, own_client):
    page.set_viewport_size(PHONE)
    AlertFactory(client=own_client, raised_by=caseworker, text="Visit in pairs: " + "long-unbroken-text" * 8)
    CaseNoteFactory(client=own_client, author=caseworker, text="Rang the housing office; " + "x" * 200)
    referral = sent_referral(client=own_client, actor=caseworker)
    browser_login(caseworker)
    page.get_by_role("heading", name="Dashboard").wait_for()

    for path, heading in [
        ("/clients/", "My caseload"),
        (f"/clients/{own_client.pk}/", "Olivia Owens"),
        (f"/clients/{own_client.pk}/changes/", "Olivia Owens"),
        (f"/sharing/client/{own_client.pk}/referrals/{referral.pk}/", "Olivia Owens"),
    ]:
        page.goto(path)
        page.get_by_role("heading", name=heading, exact=True).first.wait_for()
        _fits(page)
        axe(page)


def test_the_breach_queue_fits_a_phone(page, axe, browser_login, manager, team_a):
    page.set_viewport_size(PHONE)
    for n in range(3):
        BreachReportFactory(team=team_a, what_happened=f"Referral e-mailed to the wrong address {n}")
    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.goto("/breaches/")
    page.get_by_role("heading", level=1).first.wait_for()
    _fits(page)
    axe(page)
