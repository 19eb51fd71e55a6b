import datetime as dt

import pytest

from clients.tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_reports_page_and_its_charts(page, browser_login, axe, manager, team_a):
    ClientFactory(team=team_a, opened_on=dt.date.today())
    browser_login(manager)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("heading", name="Reports", level=1).wait_for()
    chart = page.get_by_role("img", name="Caseload and movement")
    assert chart.count() == 1
    axe(page)
    page.get_by_label("From").fill("2025-01-01")
    page.get_by_role("button", name="Show").click()
    assert "1 January 2025" in page.content()


def test_the_iso_opens_the_records_of_processing_from_the_navigation(page, browser_login, axe, iso):
    from sharing.tests.factories import DataSharingAgreementFactory

    DataSharingAgreementFactory(reference="DSA-BROWSER-1")
    browser_login(iso)
    page.get_by_role("link", name="Records of processing").click()
    page.get_by_role("heading", name="Records of processing", level=1).wait_for()
    assert page.get_by_role("cell", name="DSA-BROWSER-1").count() >= 1
    axe(page)
