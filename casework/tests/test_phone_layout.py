"""On a 390-pixel phone nothing makes the whole page scroll sideways: wide tables scroll
inside their own box. Outreach workers use phones."""

import pytest

from breaches.tests.factories import BreachReportFactory
from clients import services
from clients.tests.factories import AlertFactory, CaseNoteFactory
from rights.tests.factories import SubjectAccessRequestFactory
from sharing.tests.factories import sent_referral

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


# The element reaching furthest right outside a scrolling box: what to fix when a page is too wide.
WIDEST = """() => {
  let widest = null, right = 0;
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".table-scroll") && getComputedStyle(el).position !== "absolute") continue;
    const r = el.getBoundingClientRect().right;
    if (r > right) { right = r; widest = el; }
  }
  return widest ? `${widest.tagName.toLowerCase()}.${widest.className} (${Math.round(right)} px)` : "";
}"""


def _fits(page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (
        f"{page.url} is {widths[0]} px wide on a {widths[1]} px screen; widest: {page.evaluate(WIDEST)}"
    )


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
        (f"/clients/{own_client.pk}/?category=whole_case", "Olivia Owens"),
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


def test_the_managers_pages_fit_a_phone(
    page, axe, browser_login, manager, caseworker, team_a, team_b, own_client, team_client
):
    page.set_viewport_size(PHONE)
    # Casey leaves the team: Casey's clients need a key worker and the staff change is listed.
    caseworker.teams.remove(team_a)
    moved = services.client_create(
        actor=manager, team=team_a, first_name="Maximilian-Alexander", last_name="Fotheringham"
    )
    services.client_move(
        actor=manager, client=moved, team=team_b, reason="Moved to the supported-housing scheme across the river"
    )
    SubjectAccessRequestFactory(client=own_client, logged_by=manager)
    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()

    for path in [
        "/clients/needs-key-worker/",
        "/clients/idle-assignments/",
        f"/clients/{team_client.pk}/",
        "/rights/subject-access/",
        "/reports/",
        "/imports/",
    ]:
        page.goto(path)
        page.get_by_role("heading", level=1).first.wait_for()
        _fits(page)
        axe(page)
