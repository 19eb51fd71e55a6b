"""Browser: a manager sees the closed cases past retention and the one a legal hold keeps (with its
reason), approves a batch, and reads the report; both pages pass axe."""

import datetime as dt

import pytest
from django.utils import timezone

from clients import services as client_services
from clients.models import Client
from rights import retention, tasks
from rights.models import RetentionBatch, RetentionRule

pytestmark = pytest.mark.browser


@pytest.fixture
def anonymised_at_once(monkeypatch):
    """The worker's job done in the request's on-commit, so the report is there when the page loads."""
    monkeypatch.setattr(
        tasks.run_retention_batch, "delay", lambda batch_id: retention.retention_batch_run(batch_id=batch_id)
    )


def _closed(team, actor, reference, closed_on):
    client = client_services.client_create(
        actor=actor,
        team=team,
        first_name="Past",
        last_name=reference,
        reference=reference,
        opened_on=closed_on - dt.timedelta(days=300),
    )
    return client_services.client_close(actor=actor, client=client, reason="Housed", closed_on=closed_on)


def test_a_manager_approves_the_closed_cases_past_retention_and_reads_the_report(
    page, axe, browser_login, manager, team_a, anonymised_at_once
):
    RetentionRule.objects.create(kind="closed_cases", period_months=72, starts_from="case_closed")
    _closed(team_a, manager, "PAST-1", dt.date(2017, 4, 30))
    held = _closed(team_a, manager, "PAST-HELD", dt.date(2017, 5, 31))
    Client.objects.filter(pk=held.pk).update(legal_hold_since=timezone.now(), legal_hold_reason="Production order PO-4")

    browser_login(manager)
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.get_by_role("link", name="Retention").click()
    page.get_by_role("heading", name="Retention", exact=True).wait_for()
    axe(page)
    assert page.get_by_role("cell", name="PAST-1").is_visible()
    assert page.get_by_role("cell", name="Production order PO-4").is_visible()

    page.get_by_role("button", name="Approve and anonymise").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    page.get_by_label("I have checked the list").check()
    page.get_by_role("button", name="Approve and anonymise").click()

    batch = RetentionBatch.objects.get()
    page.get_by_role("heading", name=f"Retention batch {batch.reference}").wait_for()
    page.get_by_role("heading", name="Report").wait_for()
    axe(page)
    assert page.get_by_text("1 of 1 done: 1 anonymised, 0 skipped.").is_visible()
    assert Client.objects.get(reference="PAST-1").anonymised_at is not None
    assert Client.objects.get(reference="PAST-HELD").anonymised_at is None
